# Reference values for disparity's survey inference (tests/survey/test_against_r.py).
#
# Run from the repository root:  Rscript tests/reference/survey/make_reference.R
# Needs R >= 4.2 with survey 4.1 and convey 0.2.5 (see README.md). Writes the data sets used
# (api*.csv, fpc.csv, scd.csv, the replicate weights) and reference.csv (17 significant digits).
suppressPackageStartupMessages({library(survey); library(convey)})
out_dir <- "tests/reference/survey"
data(api); data(fpc); data(scd)
options(survey.lonely.psu = "fail")

wr <- function(d, f) write.csv(d, file.path(out_dir, f), row.names = FALSE, na = "")
wr(apistrat, "apistrat.csv"); wr(apiclus1, "apiclus1.csv"); wr(apiclus2, "apiclus2.csv")
wr(fpc, "fpc.csv"); wr(scd, "scd.csv")

rows <- list()
add <- function(case, stat, value) {
  value <- as.numeric(value)
  names_ <- if (length(value) > 1) seq_along(value) else 1
  rows[[length(rows) + 1]] <<- data.frame(case = case, stat = stat, index = names_,
                                          value = sprintf("%.17g", value))
}
stat_rows <- function(case, s) {  # a svystat: estimates, SEs, deff if present
  add(case, "estimate", coef(s)); add(case, "se", SE(s))
  d <- attr(s, "deff"); if (!is.null(d)) add(case, "deff", diag(as.matrix(d)))
}

# ---- designs ---------------------------------------------------------------------------------
designs <- list(
  strat = svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = apistrat),
  strat_wr = svydesign(id = ~1, strata = ~stype, weights = ~pw, data = apistrat),
  clus1 = svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = apiclus1),
  clus2 = svydesign(id = ~dnum + snum, fpc = ~fpc1 + fpc2, weights = ~pw, data = apiclus2),
  clus2_wr = svydesign(id = ~dnum + snum, weights = ~pw, data = apiclus2)
)
designs$fpc <- svydesign(weights = ~weight, ids = ~psuid, strata = ~stratid, fpc = ~Nh,
                         data = fpc, nest = TRUE)

for (nm in setdiff(names(designs), "fpc")) {
  des <- designs[[nm]]; message(nm)
  stat_rows(paste0("mean_api00_", nm), svymean(~api00, des, deff = TRUE))
  stat_rows(paste0("total_enroll_", nm), svytotal(~enroll, des, na.rm = TRUE, deff = TRUE))
  stat_rows(paste0("mean_acs46_", nm), svymean(~acs.46, des, na.rm = TRUE, deff = TRUE))
  r <- svyratio(~api.stu, ~enroll, des, na.rm = TRUE)
  add(paste0("ratio_", nm), "estimate", coef(r)); add(paste0("ratio_", nm), "se", SE(r))
  b <- svyby(~api00, ~stype, des, svymean, deff = TRUE)
  add(paste0("by_api00_stype_", nm), "estimate", coef(b)); add(paste0("by_api00_stype_", nm), "se", SE(b))
  add(paste0("by_api00_stype_", nm), "deff", deff(b))
  sub <- subset(des, sch.wide == "Yes")
  stat_rows(paste0("subset_mean_api00_", nm), svymean(~api00, sub))
  add(paste0("subset_mean_api00_", nm), "degf", degf(sub))
  # (survey 4.1 fails here on the two-stage design with fpc: "arguments must have same length")
  b2 <- tryCatch(svyby(~acs.46, ~stype, des, svymean, na.rm = TRUE), error = function(e) NULL)
  if (!is.null(b2)) {
    add(paste0("by_acs46_stype_", nm), "estimate", coef(b2))
    add(paste0("by_acs46_stype_", nm), "se", SE(b2))
  }
  add(paste0("design_", nm), "degf", degf(des))
  # models: linear, with a regressor that has missing values (domain), and a logit
  m <- svyglm(api00 ~ ell + meals + mobility, design = des)
  add(paste0("glm_", nm), "estimate", coef(m)); add(paste0("glm_", nm), "se", SE(m))
  add(paste0("glm_", nm), "df_resid", m$df.residual)
  m2 <- svyglm(api00 ~ ell + acs.46, design = des)
  add(paste0("glm_na_", nm), "estimate", coef(m2)); add(paste0("glm_na_", nm), "se", SE(m2))
  add(paste0("glm_na_", nm), "df_resid", m2$df.residual)
  m3 <- svyglm(I(sch.wide == "Yes") ~ ell + meals, design = des, family = quasibinomial(),
               control = glm.control(epsilon = 1e-12, maxit = 100))
  add(paste0("logit_", nm), "estimate", coef(m3)); add(paste0("logit_", nm), "se", SE(m3))
  # inequality (convey): Gini (convey's rank convention), GE family, Atkinson
  cd <- convey_prep(des)
  for (lab in c("api00", "acs.46")) {
    key <- if (lab == "api00") "api00" else "acs46"
    f <- as.formula(paste0("~", lab))
    g <- svygini(f, cd, na.rm = TRUE)
    add(paste0("convey_gini_", key, "_", nm), "estimate", coef(g))
    add(paste0("convey_gini_", key, "_", nm), "se", SE(g))
    for (a in c(0, 1, 2)) {
      g <- svygei(f, cd, epsilon = a, na.rm = TRUE)
      add(paste0("convey_ge", a, "_", key, "_", nm), "estimate", coef(g))
      add(paste0("convey_ge", a, "_", key, "_", nm), "se", SE(g))
    }
    for (e in c(0.5, 1, 2)) {
      g <- svyatk(f, cd, epsilon = e, na.rm = TRUE)
      add(paste0("convey_atk", e, "_", key, "_", nm), "estimate", coef(g))
      add(paste0("convey_atk", e, "_", key, "_", nm), "se", SE(g))
    }
  }
}

# fpc data (survey's own test): stratified cluster sample with fpc
stat_rows("mean_x_fpc", svymean(~x, designs$fpc, deff = TRUE))
stat_rows("total_x_fpc", svytotal(~x, designs$fpc, deff = TRUE))
add("design_fpc", "degf", degf(designs$fpc))

# single-PSU strata: each school its own PSU, strata = county (counties with one school are lonely)
for (rule in c("certainty", "average", "adjust")) {
  options(survey.lonely.psu = rule)
  d1 <- svydesign(id = ~1, strata = ~cname, weights = ~pw, data = apistrat)
  stat_rows(paste0("lonely_", rule), svymean(~api00, d1))
  stat_rows(paste0("lonely_total_", rule), svytotal(~api00, d1))
}
options(survey.lonely.psu = "fail")

# ---- replicate designs ------------------------------------------------------------------------
set.seed(20261201)
reps <- list(
  jk1 = as.svrepdesign(designs$clus1, type = "JK1"),
  boot = as.svrepdesign(designs$clus1, type = "bootstrap", replicates = 50),
  jkn = as.svrepdesign(designs$strat_wr, type = "JKn")
)
for (nm in names(reps)) {
  rd <- reps[[nm]]
  rw <- weights(rd, "analysis")
  colnames(rw) <- paste0("rw", seq_len(ncol(rw)))
  base <- if (nm == "jkn") apistrat else apiclus1
  wr(cbind(base[, c("snum", "pw")], rw), paste0("rep_", nm, ".csv"))
  add(paste0("rep_", nm), "scale", rd$scale)
  add(paste0("rep_", nm), "rscales", rd$rscales)
  stat_rows(paste0("rep_mean_api00_", nm), svymean(~api00, rd))
  stat_rows(paste0("rep_mean_acs46_", nm), svymean(~acs.46, rd, na.rm = TRUE))
  stat_rows(paste0("rep_total_enroll_", nm), svytotal(~enroll, rd, na.rm = TRUE))
  r <- svyratio(~api.stu, ~enroll, rd, na.rm = TRUE)
  add(paste0("rep_ratio_", nm), "estimate", coef(r)); add(paste0("rep_ratio_", nm), "se", SE(r))
  b <- svyby(~api00, ~stype, rd, svymean)
  add(paste0("rep_by_api00_stype_", nm), "estimate", coef(b)); add(paste0("rep_by_api00_stype_", nm), "se", SE(b))
  m <- svyglm(api00 ~ ell + meals + mobility, design = rd)
  add(paste0("rep_glm_", nm), "estimate", coef(m)); add(paste0("rep_glm_", nm), "se", SE(m))
  m2 <- svyglm(api00 ~ ell + acs.46, design = rd)
  add(paste0("rep_glm_na_", nm), "estimate", coef(m2)); add(paste0("rep_glm_na_", nm), "se", SE(m2))
  cd <- convey_prep(rd)
  g <- svygini(~api00, cd)
  add(paste0("rep_convey_gini_", nm), "estimate", coef(g)); add(paste0("rep_convey_gini_", nm), "se", SE(g))
  g <- svygini(~acs.46, cd, na.rm = TRUE)
  add(paste0("rep_convey_gini_acs46_", nm), "estimate", coef(g))
  add(paste0("rep_convey_gini_acs46_", nm), "se", SE(g))
  g <- svyatk(~api00, cd, epsilon = 0.5)
  add(paste0("rep_convey_atk_", nm), "estimate", coef(g)); add(paste0("rep_convey_atk_", nm), "se", SE(g))
  rd_mse <- rd; rd_mse$mse <- TRUE
  add(paste0("rep_mse_", nm), "se",
      SE(svymean(~api00, rd_mse)))
}
# BRR and Fay on the scd data (survey's own example; 2 PSUs per stratum)
repweights <- 2 * cbind(c(1, 0, 1, 0, 1, 0), c(1, 0, 0, 1, 0, 1), c(0, 1, 1, 0, 0, 1), c(0, 1, 0, 1, 1, 0))
scdrep <- svrepdesign(data = scd, type = "BRR", repweights = repweights, combined.weights = FALSE)
stat_rows("rep_brr_arrests", svymean(~arrests, scdrep))
stat_rows("rep_brr_alive_total", svytotal(~alive, scdrep))
fay <- 0.3 + (2 - 2 * 0.3) * (repweights / 2)
scdfay <- svrepdesign(data = scd, type = "Fay", rho = 0.3, repweights = fay, combined.weights = FALSE)
stat_rows("rep_fay_arrests", svymean(~arrests, scdfay))
colnames(repweights) <- paste0("brr", 1:4); colnames(fay) <- paste0("fay", 1:4)
wr(cbind(scd, repweights, fay), "scd_rep.csv")

res <- do.call(rbind, rows)
write.csv(res, file.path(out_dir, "reference.csv"), row.names = FALSE)
cat("wrote", nrow(res), "values\n")

# ---- quantiles (survey >= 4.1 svyquantile: qrule "math", Woodruff "mean" interval) -----------
rows <- list()
for (nm in c("strat", "clus1", "clus2")) {
  des <- designs[[nm]]
  q <- svyquantile(~api00, des, c(0.25, 0.5, 0.9), ci = TRUE)
  add(paste0("quantile_api00_", nm), "estimate", coef(q)); add(paste0("quantile_api00_", nm), "se", SE(q))
  add(paste0("quantile_api00_", nm), "ci", t(confint(q)))
  q <- svyquantile(~acs.46, des, 0.5, ci = TRUE, na.rm = TRUE)
  add(paste0("quantile_acs46_", nm), "estimate", coef(q)); add(paste0("quantile_acs46_", nm), "se", SE(q))
  q <- svyby(~api00, ~stype, des, svyquantile, quantiles = 0.5, ci = TRUE)
  add(paste0("by_quantile_api00_", nm), "estimate", coef(q)); add(paste0("by_quantile_api00_", nm), "se", SE(q))
}
q <- svyquantile(~api00, reps$jk1, c(0.25, 0.5), ci = TRUE)
add("rep_quantile_api00_jk1", "estimate", coef(q)); add("rep_quantile_api00_jk1", "se", SE(q))
res <- rbind(res, do.call(rbind, rows))
write.csv(res, file.path(out_dir, "reference.csv"), row.names = FALSE)
cat("wrote", nrow(res), "values\n")

# ---- tables: proportions and the Rao-Scott F test --------------------------------------------
rows <- list()
for (nm in c("strat", "clus1", "clus2")) {
  des <- update(designs[[nm]], acs_hi = factor(ifelse(acs.46 > 28, "hi", "lo")))
  s <- svymean(~stype, des, deff = TRUE)
  stat_rows(paste0("prop_stype_", nm), s)
  s <- svymean(~interaction(sch.wide, stype), des, deff = TRUE)
  stat_rows(paste0("prop_cells_", nm), s)
  x <- svychisq(~sch.wide + stype, des, statistic = "F")
  add(paste0("chisq_", nm), "F", x$statistic); add(paste0("chisq_", nm), "ndf", x$parameter[1])
  add(paste0("chisq_", nm), "ddf", x$parameter[2]); add(paste0("chisq_", nm), "p", x$p.value)
  sub <- subset(des, !is.na(acs.46))
  x <- svychisq(~sch.wide + acs_hi, sub, statistic = "F")
  add(paste0("chisq_na_", nm), "F", x$statistic); add(paste0("chisq_na_", nm), "ndf", x$parameter[1])
  add(paste0("chisq_na_", nm), "ddf", x$parameter[2]); add(paste0("chisq_na_", nm), "p", x$p.value)
}
res <- rbind(res, do.call(rbind, rows))
write.csv(res, file.path(out_dir, "reference.csv"), row.names = FALSE)
cat("wrote", nrow(res), "values\n")

# ---- logit on replicate designs (refitted per replicate) -------------------------------------
rows <- list()
for (nm in c("jk1", "boot")) {
  m <- svyglm(I(sch.wide == "Yes") ~ ell + meals, design = reps[[nm]], family = quasibinomial(),
              control = glm.control(epsilon = 1e-12, maxit = 100))
  add(paste0("rep_logit_", nm), "estimate", coef(m)); add(paste0("rep_logit_", nm), "se", SE(m))
}
res <- rbind(res, do.call(rbind, rows))
write.csv(res, file.path(out_dir, "reference.csv"), row.names = FALSE)
cat("wrote", nrow(res), "values\n")
