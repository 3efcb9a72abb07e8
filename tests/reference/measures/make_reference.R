# Independent reference values for disparity's measures (tests/measures/test_reference.py).
#
#   Rscript tests/reference/measures/make_reference.R
#
# Written from the textbook formulas, NOT from disparity's code: inequality indices by their
# definitions (pairwise mean-difference form for the Gini and the concentration index, so ties
# need no special handling), linearisation variables by differentiating those pairwise forms, and
# every design-based variance by the R `survey` package (svytotal / svymean / svyby / svycontrast /
# svyratio), so the with-replacement PSU variance, strata, fpc and domains are survey's, not ours.
suppressPackageStartupMessages(library(survey))
here <- local({
  a <- commandArgs(trailingOnly = FALSE)
  f <- sub("^--file=", "", a[grep("^--file=", a)])
  if (length(f)) dirname(normalizePath(f)) else "."
})
d <- read.csv(file.path(here, "sample.csv"))
out <- list()
add <- function(case, component, estimate, se = NA_real_) {
  out[[length(out) + 1]] <<- data.frame(case = case, component = component, row.names = NULL,
                                        estimate = as.numeric(estimate), std_error = as.numeric(se))
}
des_strat <- svydesign(ids = ~psu, strata = ~st, weights = ~w, data = d, nest = TRUE)
des_fpc <- svydesign(ids = ~psu, strata = ~st, weights = ~w, fpc = ~fpc, data = d, nest = TRUE)
des_iid <- svydesign(ids = ~1, weights = ~w, data = d)
des_clu <- svydesign(ids = ~psu, weights = ~w, data = d)
des_unw <- svydesign(ids = ~1, weights = ~rep(1, nrow(d)), data = d)
designs <- list(iid = des_iid, strat = des_strat, fpc = des_fpc, cluster = des_clu)
se_total <- function(u, des) { des$variables$u_ <- u; as.numeric(SE(svytotal(~u_, des))) }

# ---- Gini: G = sum_ij w_i w_j |y_i - y_j| / (2 W Y); u_k = dG/dw_k --------------------------
gini_pair <- function(y, w) {
  W <- sum(w); Y <- sum(w * y)
  D <- abs(outer(y, y, "-"))
  A <- sum(outer(w, w) * D)
  G <- A / (2 * W * Y)
  u <- (2 * as.vector(D %*% w)) / (2 * W * Y) - G * (1 / W + y / Y)
  list(value = G, u = u)
}
# ---- concentration index: C = sum_ij w_i w_j y_i sign(x_i - x_j) / (W Y) ----------------------
ci_pair <- function(y, x, w) {
  W <- sum(w); Y <- sum(w * y)
  S <- sign(outer(x, x, "-"))            # S[k, j] = sign(x_k - x_j)
  C <- sum(outer(w * y, w) * S) / (W * Y)
  # d/dw_k of sum_ij w_i w_j y_i S_ij = y_k sum_j w_j S_kj + sum_i w_i y_i S_ik
  dA <- y * as.vector(S %*% w) + as.vector(t(S) %*% (w * y))
  u <- dA / (W * Y) - C * (1 / W + y / Y)
  mu <- Y / W
  list(value = C, u = u, mu = mu, umu = (y - mu) / W)
}

w <- d$w
for (nm in names(designs)) {
  g <- gini_pair(d$inc, w)
  add(paste0("gini_w_", nm), "gini", g$value, se_total(g$u, designs[[nm]]))
}
g <- gini_pair(d$inc, rep(1, nrow(d)))
add("gini_unw", "gini", g$value, se_total(g$u, des_unw))
g <- gini_pair(d$inc_r, w)
add("gini_ties_strat", "gini", g$value, se_total(g$u, des_strat))
for (lev in c(0, 1)) {  # domains of the stratified design
  sel <- d$urban == lev
  g <- gini_pair(d$inc[sel], w[sel])
  u <- numeric(nrow(d)); u[sel] <- g$u
  add("gini_domain_urban", paste0("urban=", lev), g$value, se_total(u, des_strat))
}

# ---- concentration indices -------------------------------------------------------------------
for (nm in c("iid", "strat")) {
  r <- ci_pair(d$h, d$inc, w)
  des <- designs[[nm]]
  add(paste0("ci_h_", nm), "standard", r$value, se_total(r$u, des))
  add(paste0("ci_h_", nm), "generalized", r$mu * r$value,
      se_total(r$mu * r$u + r$value * r$umu, des))
  # Wagstaff (bounds 0, 1): C / (1 - mu); Erreygers: 4 mu C
  add(paste0("ci_h_", nm), "wagstaff", r$value / (1 - r$mu),
      se_total(r$u / (1 - r$mu) + r$value / (1 - r$mu)^2 * r$umu, des))
  add(paste0("ci_h_", nm), "erreygers", 4 * r$mu * r$value,
      se_total(4 * (r$mu * r$u + r$value * r$umu), des))
}
r <- ci_pair(d$h, d$inc_r, w)
add("ci_h_ties_strat", "standard", r$value, se_total(r$u, des_strat))
r <- ci_pair(d$score, d$inc, w)   # bounded score in [0, 10]
a <- 0; b <- 10
add("ci_score_iid", "erreygers", 4 * r$mu * r$value / (b - a),
    se_total(4 / (b - a) * (r$mu * r$u + r$value * r$umu), des_iid))
wag <- (b - a) * r$mu * r$value / ((b - r$mu) * (r$mu - a))
dwag_dgc <- (b - a) / ((b - r$mu) * (r$mu - a))
dwag_dmu <- -(b - a) * r$mu * r$value * ((b - r$mu) * 1 - (r$mu - a)) / ((b - r$mu) * (r$mu - a))^2
add("ci_score_iid", "wagstaff", wag,
    se_total(dwag_dgc * (r$mu * r$u + r$value * r$umu) + dwag_dmu * r$umu, des_iid))

# Kakwani, Wagstaff & van Doorslaer (1997) variance, unweighted, no ties:
# var(C) = (1/n) [ (1/n) sum a_i^2 - (1 + C)^2 ],  a_i = (y_i/mu)(2R_i - 1 - C) + 2 - q_{i-1} - q_i
o <- order(d$inc); y <- d$h[o]; n <- length(y)
mu <- mean(y); R <- (seq_len(n) - 0.5) / n
C <- 2 * sum(y * R) / (n * mu) - 1
q <- cumsum(y) / sum(y); qprev <- c(0, q[-n])
aa <- (y / mu) * (2 * R - 1 - C) + 2 - qprev - q
add("ci_h_unw_kwv1997", "standard", C, sqrt((sum(aa^2) / n - (1 + C)^2) / n))
# the "convenient regression" (O'Donnell et al. 2008, eq. 8.5): 2 var(R) y / mu on R
fit <- lm(I(2 * var(R) * (n - 1) / n * y / mu) ~ R)
add("ci_h_unw_regression", "standard", unname(coef(fit)[2]))

# ---- GE family and decompositions via svycontrast on svytotal --------------------------------
d$one <- 1
d$ylny <- d$inc * log(d$inc); d$lny <- log(d$inc); d$y2 <- d$inc^2; d$yh <- d$inc^0.5
d$yneg <- d$inc^(-1)
regions <- sort(unique(d$region))
for (reg in regions) {
  s <- d$region == reg
  d[[paste0("one_", reg)]] <- as.numeric(s)
  d[[paste0("y_", reg)]] <- d$inc * s
  d[[paste0("ylny_", reg)]] <- d$ylny * s
  d[[paste0("lny_", reg)]] <- d$lny * s
  d[[paste0("y2_", reg)]] <- d$y2 * s
}
des_strat <- svydesign(ids = ~psu, strata = ~st, weights = ~w, data = d, nest = TRUE)
des_iid <- svydesign(ids = ~1, weights = ~w, data = d)
tot_vars <- c("one", "inc", "ylny", "lny", "y2", "yh", "yneg",
              unlist(lapply(regions, function(r) paste0(c("one_", "y_", "ylny_", "lny_", "y2_"), r))))
for (nm in c("strat", "iid")) {
  des <- list(strat = des_strat, iid = des_iid)[[nm]]
  tt <- svytotal(as.formula(paste("~", paste(tot_vars, collapse = "+"))), des)
  con <- function(case, comp, expr) {
    v <- svycontrast(tt, expr)
    add(paste0(case, "_", nm), comp, as.numeric(coef(v)), as.numeric(SE(v)))
  }
  con("theil", "total", quote(ylny / inc - log(inc / one)))
  con("mld", "total", quote(log(inc / one) - lny / one))
  con("ge2", "total", quote((y2 / one / (inc / one)^2 - 1) / 2))
  con("ge0.5", "total", quote((yh / one / (inc / one)^0.5 - 1) / (0.5 * -0.5)))
  con("gem1", "total", quote((yneg / one / (inc / one)^(-1) - 1) / 2))
  con("cv", "total", quote(sqrt(y2 / one / (inc / one)^2 - 1)))
  con("atkinson0.5", "atkinson", quote(1 - (yh / one)^2 / (inc / one)))
  con("atkinson1", "atkinson", quote(1 - exp(lny / one) / (inc / one)))
  con("atkinson2", "atkinson", quote(1 - (yneg / one)^(-1) / (inc / one)))
  # Theil decomposition by region: within = sum_g s_g T_g, between = sum_g s_g ln(mu_g / mu)
  sub <- function(tmpl) {
    parts <- vapply(regions, function(r) gsub("G", r, tmpl), "")
    str2lang(paste(parts, collapse = " + "))
  }
  t_within <- sub("(y_G / inc) * (ylny_G / y_G - log(y_G / one_G))")
  t_between <- sub("(y_G / inc) * log((y_G / one_G) / (inc / one))")
  con("theil_region", "within", t_within)
  con("theil_region", "between", t_between)
  for (r in regions) {
    con("theil_region", paste0("region=", r),
        str2lang(gsub("G", r, "ylny_G / y_G - log(y_G / one_G)")))
  }
  m_within <- sub("(one_G / one) * (log(y_G / one_G) - lny_G / one_G)")
  m_between <- sub("(one_G / one) * log((inc / one) / (y_G / one_G))")
  con("mld_region", "within", m_within)
  con("mld_region", "between", m_between)
  g2_within <- sub("(one_G / one)^(-1) * (y_G / inc)^2 * (y2_G / one_G / (y_G / one_G)^2 - 1) / 2")
  g2_between <- str2lang(paste0("(", paste(vapply(regions, function(r)
    gsub("G", r, "(one_G / one) * ((y_G / one_G) / (inc / one))^2"), ""), collapse = " + "), " - 1) / 2"))
  con("ge2_region", "within", g2_within)
  con("ge2_region", "between", g2_between)
}

# ---- gaps: svyby + svycontrast -------------------------------------------------------------
for (nm in names(designs)) {
  des <- designs[[nm]]
  m <- svyby(~oop, ~urban, des, svymean, covmat = TRUE)
  diff <- svycontrast(m, c(-1, 1))
  ratio <- svycontrast(m, quote(`1` / `0`))
  rel <- svycontrast(m, quote(`1` / `0` - 1))
  add(paste0("gap_oop_urban_", nm), "difference", as.numeric(coef(diff)), as.numeric(SE(diff)))
  add(paste0("gap_oop_urban_", nm), "relative", as.numeric(coef(rel)), as.numeric(SE(rel)))
  add(paste0("gap_oop_urban_", nm), "ratio", as.numeric(coef(ratio)), as.numeric(SE(ratio)))
  add(paste0("gap_oop_urban_", nm), "mean[0]", coef(m)[1], SE(m)[1])
  add(paste0("gap_oop_urban_", nm), "mean[1]", coef(m)[2], SE(m)[2])
}
# by region (domains of the stratified design)
m <- svyby(~oop, ~region + urban, des_strat, svymean, covmat = TRUE)
cf <- coef(m)
for (reg in regions) {
  i0 <- which(names(cf) == paste0(reg, ".0")); i1 <- which(names(cf) == paste0(reg, ".1"))
  cvec <- numeric(length(cf)); cvec[i0] <- -1; cvec[i1] <- 1
  v <- svycontrast(m, cvec)
  add("gap_oop_urban_by_region_strat", paste0(reg, ":difference"), as.numeric(coef(v)), as.numeric(SE(v)))
}

# ---- financial protection ---------------------------------------------------------------------
d$share <- d$oop / d$cons
d$E <- as.numeric(d$share > 0.1)
d$O <- d$E * (d$share - 0.1)
z <- 4000
d$pre <- as.numeric(d$cons < z); d$post <- as.numeric(d$cons - d$oop < z)
d$gpre <- d$pre * (z - d$cons); d$gpost <- d$post * (z - (d$cons - d$oop))
d$dh <- d$post - d$pre; d$dg <- d$gpost - d$gpre
des_strat <- svydesign(ids = ~psu, strata = ~st, weights = ~w, data = d, nest = TRUE)
for (v in c("E", "O")) {
  s <- svymean(as.formula(paste0("~", v)), des_strat)
  add("catastrophic_strat", c(E = "headcount", O = "overshoot")[[v]], coef(s), SE(s))
}
mpo <- svyratio(~O, ~E, des_strat)
add("catastrophic_strat", "mean_positive_overshoot", as.numeric(coef(mpo)), as.numeric(SE(mpo)))
# rank-weighted headcount H(1 - C_E) = H - GC_E, by income
rE <- ci_pair(d$E, d$inc, d$w)
add("catastrophic_strat", "headcount_rank_weighted", rE$mu * (1 - rE$value),
    se_total(rE$umu - (rE$mu * rE$u + rE$value * rE$umu), des_strat))
for (v in c("pre", "post", "dh", "gpre", "gpost", "dg")) {
  s <- svymean(as.formula(paste0("~", v)), des_strat)
  comp <- c(pre = "headcount_pre", post = "headcount_post", dh = "headcount_change",
            gpre = "gap_pre", gpost = "gap_post", dg = "gap_change")[[v]]
  add("impoverishment_strat", comp, coef(s), SE(s))
}
# Kakwani of oop w.r.t. income
rc <- ci_pair(d$oop, d$inc, d$w); rg <- gini_pair(d$inc, d$w)
add("kakwani_strat", "kakwani", rc$value - rg$value, se_total(rc$u - rg$u, des_strat))
add("kakwani_strat", "ci_payment", rc$value, se_total(rc$u, des_strat))
add("kakwani_strat", "gini_income", rg$value, se_total(rg$u, des_strat))

# ---- benefit incidence: quintile shares of oop by income (no ties in inc) ---------------------
o <- order(d$inc)
cw <- cumsum(d$w[o]); R <- numeric(nrow(d)); R[o] <- (cw - d$w[o] / 2) / sum(d$w)
d$q <- pmin(floor(R * 5) + 1, 5)
for (k in 1:5) d[[paste0("oop_q", k)]] <- d$oop * (d$q == k)
des_strat <- svydesign(ids = ~psu, strata = ~st, weights = ~w, data = d, nest = TRUE)
for (k in 1:5) {
  s <- svyratio(as.formula(paste0("~oop_q", k)), ~oop, des_strat)
  add("incidence_strat", paste0("share[", k, "]"), as.numeric(coef(s)), as.numeric(SE(s)))
}

# ---- CI decomposition (Wagstaff, van Doorslaer & Watanabe 2003) and horizontal inequity -------
fit <- lm(h ~ age + chronic + urban, data = d, weights = w)
mu <- weighted.mean(d$h, d$w)
ch <- ci_pair(d$h, d$inc, d$w)$value
add("ci_decomposition", "ci", ch)
tot <- 0
for (v in c("age", "chronic", "urban")) {
  xb <- weighted.mean(d[[v]], d$w)
  cx <- ci_pair(d[[v]], d$inc, d$w)$value
  contrib <- coef(fit)[[v]] * xb / mu * cx
  tot <- tot + contrib
  add("ci_decomposition", paste0("contribution[", v, "]"), contrib)
}
add("ci_decomposition", "residual", ch - tot)
# horizontal inequity: need = age, chronic; non-need = urban (held at its mean)
fit <- lm(h ~ age + chronic + urban, data = d, weights = w)
xhat <- coef(fit)[1] + coef(fit)["age"] * d$age + coef(fit)["chronic"] * d$chronic +
  coef(fit)["urban"] * weighted.mean(d$urban, d$w)
his <- d$h - xhat + mu
add("horizontal_inequity", "ci", ch)
add("horizontal_inequity", "ci_need", ci_pair(as.numeric(xhat), d$inc, d$w)$value)
add("horizontal_inequity", "hi", ci_pair(as.numeric(his), d$inc, d$w)$value)

res <- do.call(rbind, out)
res$estimate <- sprintf("%.17g", res$estimate)
res$std_error <- ifelse(is.na(res$std_error), "", sprintf("%.17g", res$std_error))
write.csv(res, file.path(here, "reference.csv"), row.names = FALSE, quote = FALSE)
cat("wrote", nrow(res), "reference values with R", R.version.string,
    "and survey", as.character(packageVersion("survey")), "\n")
