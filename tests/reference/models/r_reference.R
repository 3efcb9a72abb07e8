# Reference values for tests/models, generated with R and CRAN packages (Debian builds).
# Run from the repository root:
#   python tests/reference/models/make_data.py     # writes survey_sample.csv and /tmp/wage_panel.csv
#   Rscript tests/reference/models/r_reference.R   # writes r_reference.json
suppressPackageStartupMessages({
  library(sandwich); library(lmtest); library(AER); library(MASS)
  library(quantreg); library(survey); library(plm); library(jsonlite)
})
d <- read.csv("tests/reference/models/survey_sample.csv")
wp <- read.csv("/tmp/wage_panel.csv")
out <- list()
cs <- function(m, V) list(coef = as.list(coef(m)), se = as.list(sqrt(diag(V))))

# OLS with robust and clustered variances (sandwich)
m <- lm(y ~ x1 * log_gdp + x2, data = d)
out$ols_hc1 <- cs(m, vcovHC(m, type = "HC1"))
out$ols_hc3 <- cs(m, vcovHC(m, type = "HC3"))
out$ols_cl1 <- cs(m, vcovCL(m, cluster = ~county, type = "HC1"))
out$ols_cl2 <- cs(m, vcovCL(m, cluster = ~county + hh, type = "HC1"))
mw <- lm(y ~ x1 * log_gdp + x2, data = d, weights = w)
out$wls_cl1 <- cs(mw, vcovCL(mw, cluster = ~county, type = "HC1"))

# Survey designs: 4 strata, counties as PSUs, sampling weights; Taylor linearisation
des <- svydesign(ids = ~county, strata = ~stratum, weights = ~w, data = d, nest = TRUE)
sg <- svyglm(y ~ x1 * log_gdp + x2, design = des)
out$svy_gaussian <- cs(sg, vcov(sg))
sl <- svyglm(yb ~ x1 + x2, design = des, family = quasibinomial())
out$svy_logit <- cs(sl, vcov(sl))
d$npsu <- 10  # finite population: 10 counties in each stratum, 3 sampled
desf <- svydesign(ids = ~county, strata = ~stratum, weights = ~w, fpc = ~npsu, data = d, nest = TRUE)
sgf <- svyglm(y ~ x1 * log_gdp + x2, design = desf)
out$svy_gaussian_fpc <- cs(sgf, vcov(sgf))
sp <- svyglm(yb ~ x1 + x2, design = des, family = quasibinomial(link = "probit"))
out$svy_probit <- cs(sp, vcov(sp))

# Logit with pweights and county-clustered variance (Stata's logit [pw=w], vce(cluster county))
gl <- glm(yb ~ x1 + x2, data = d, weights = w, family = quasibinomial())
out$logit_pw_cl <- cs(gl, vcovCL(gl, cluster = ~county, type = "HC0"))
g0 <- glm(yb ~ x1 + x2, data = d, family = binomial())
out$logit_iid <- cs(g0, vcov(g0))
out$logit_iid$loglik <- as.numeric(logLik(g0))

# Ordered logit / probit (MASS::polr)
for (lk in c("logistic", "probit")) {
  p <- polr(factor(yo) ~ x1 + x2, data = d, method = lk, Hess = TRUE)
  V <- vcov(p)
  out[[paste0("polr_", lk)]] <- list(coef = as.list(coef(p)), zeta = as.list(p$zeta),
    se = as.list(sqrt(diag(V))), loglik = as.numeric(logLik(p)))
}

# Median regression (quantreg::rq)
q <- rq(y ~ x1 + x2, tau = 0.5, data = d)
qs <- summary(q, se = "nid")
out$rq_median <- list(coef = as.list(coef(q)), se = as.list(setNames(qs$coefficients[, 2], names(coef(q)))))
q3 <- rq(y ~ x1 + x2, tau = 0.25, data = d)
out$rq_q25 <- list(coef = as.list(coef(q3)), se = as.list(setNames(summary(q3, se = "nid")$coefficients[, 2], names(coef(q3)))))

# IV: 2SLS with diagnostics (AER::ivreg)
iv <- ivreg(yiv ~ x1 + dend | x1 + z1 + z2, data = d)
s <- summary(iv, diagnostics = TRUE)
out$ivreg <- list(coef = as.list(coef(iv)), se = as.list(sqrt(diag(vcov(iv)))),
  diagnostics = lapply(split(as.data.frame(s$diagnostics), rownames(s$diagnostics)), as.list))

# Panels on linearmodels' wage_panel (plm)
pd <- pdata.frame(wp, index = c("nr", "year"))
fe <- plm(lwage ~ exper + expersq + union + married, data = pd, model = "within", effect = "individual")
out$plm_fe <- cs(fe, vcov(fe))
out$plm_fe$se_cluster <- as.list(sqrt(diag(vcovHC(fe, method = "arellano", type = "sss", cluster = "group"))))
fe2 <- plm(lwage ~ expersq + union + married, data = pd, model = "within", effect = "twoways")
out$plm_fe_twoways <- cs(fe2, vcov(fe2))
out$plm_fe_twoways$se_cluster <- as.list(sqrt(diag(vcovHC(fe2, method = "arellano", type = "sss", cluster = "group"))))
re <- plm(lwage ~ exper + expersq + union + married, data = pd, model = "random", effect = "individual")
out$plm_re <- cs(re, vcov(re))
out$plm_re$se_cluster <- as.list(sqrt(diag(vcovHC(re, method = "arellano", type = "sss", cluster = "group"))))
po <- plm(lwage ~ exper + expersq + union + married, data = pd, model = "pooling")
out$plm_pooled <- cs(po, vcov(po))
out$plm_pooled$se_cluster <- as.list(sqrt(diag(vcovHC(po, method = "arellano", type = "sss", cluster = "group"))))
h <- phtest(fe, re)
out$phtest <- list(statistic = unname(h$statistic), df = unname(h$parameter), p_value = h$p.value)
be <- plm(lwage ~ exper + expersq + union + married, data = pd, model = "between")
out$plm_be <- cs(be, vcov(be))
fd <- plm(lwage ~ expersq + union + married - 1, data = pd, model = "fd")
out$plm_fd <- cs(fd, vcov(fd))

out$versions <- list(R = R.version.string,
  packages = lapply(c(sandwich = "sandwich", lmtest = "lmtest", AER = "AER", MASS = "MASS",
    quantreg = "quantreg", survey = "survey", plm = "plm"), function(p) as.character(packageVersion(p))))
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), "tests/reference/models/r_reference.json")
