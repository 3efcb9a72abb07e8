# Reference values for dp.glm, dp.poisson/negbin/zip/zinb/hurdle and dp.twopart.
# Run from the repository root: Rscript tests/reference/glm/r_reference.R
suppressPackageStartupMessages({library(MASS); library(pscl); library(sandwich); library(survey); library(jsonlite)})
here <- "tests/reference/glm"
d <- read.csv(file.path(here, "spending_sample.csv"))
pos <- d[d$spend > 0, ]
d$any <- as.numeric(d$spend > 0)
tight <- glm.control(epsilon = 1e-14, maxit = 200)
out <- list(versions = list(R = R.version.string, MASS = as.character(packageVersion("MASS")),
                            pscl = as.character(packageVersion("pscl")),
                            sandwich = as.character(packageVersion("sandwich")),
                            survey = as.character(packageVersion("survey"))))
blk <- function(m, V = vcov(m)) list(coef = as.list(coef(m)), se = as.list(sqrt(diag(V))))

f <- spend ~ x1 + x2 + urban
m <- glm(f, Gamma(link = "log"), pos, control = tight)
out$gamma_log <- c(blk(m), list(deviance = deviance(m), dispersion = summary(m)$dispersion))
mw <- glm(f, Gamma(link = "log"), pos, weights = w, control = tight)
out$gamma_log_pw_cl <- blk(mw, vcovCL(mw, cluster = ~county, type = "HC0"))
out$gamma_log_pw_hc0 <- blk(mw, vcovHC(mw, type = "HC0"))
des <- svydesign(ids = ~county, strata = ~stratum, weights = ~w, data = pos, nest = TRUE)
ms <- svyglm(f, design = des, family = Gamma(link = "log"), control = tight)
out$gamma_log_svy <- blk(ms)
mi <- glm(f, Gamma(link = "identity"), pos, start = c(mean(pos$spend), 0, 0, 0), control = tight)
out$gamma_identity <- c(blk(mi), list(deviance = deviance(mi)))
mg <- glm(f, inverse.gaussian(link = "log"), pos, start = coef(m), control = tight)
out$invgauss_log <- c(blk(mg), list(deviance = deviance(mg), dispersion = summary(mg)$dispersion))

fp <- visits ~ x1 + x2 + offset(log(days))
mp <- glm(fp, poisson, d, control = tight)
out$poisson_expo <- c(blk(mp), list(loglik = as.numeric(logLik(mp)), aic = AIC(mp)))
mpw <- glm(fp, poisson, d, weights = w, control = tight)
out$poisson_pw_cl <- blk(mpw, vcovCL(mpw, cluster = ~county, type = "HC0"))
mnb <- glm.nb(fp, d, control = tight)
# glm.nb's SE.theta is the observed information of theta evaluated one Newton step before its final
# theta (theta.ml stops when the step is below eps^0.25), ~1e-4 off; se_theta_final evaluates the
# same formula (theta.ml's info) at the final theta and mu.
th <- mnb$theta; mu <- fitted(mnb); y <- d$visits
info <- sum(-trigamma(th + y) + trigamma(th) - 1 / th + 2 / (mu + th) - (y + th) / (mu + th)^2)
out$negbin <- c(blk(mnb), list(theta = th, se_theta = mnb$SE.theta, se_theta_final = 1 / sqrt(info),
                               loglik = mnb$twologlik / 2))

zc <- zeroinfl.control(reltol = 1e-15, maxit = 100000)
mz <- zeroinfl(visits_zi ~ x1 + x2 | z, d, dist = "poisson", control = zc)
out$zip <- c(blk(mz), list(loglik = as.numeric(logLik(mz))))
mzn <- zeroinfl(visits_zi ~ x1 + x2 | z, d, dist = "negbin", control = zc)
out$zinb <- c(blk(mzn), list(theta = mzn$theta, se_logtheta = mzn$SE.logtheta, loglik = as.numeric(logLik(mzn))))
hc <- hurdle.control(reltol = 1e-15, maxit = 100000)
mh <- hurdle(visits ~ x1 + x2 | z, d, dist = "poisson", zero.dist = "binomial", control = hc)
out$hurdle_poisson <- c(blk(mh), list(loglik = as.numeric(logLik(mh))))
mhn <- hurdle(visits ~ x1 + x2 | z, d, dist = "negbin", zero.dist = "binomial", control = hc)
out$hurdle_negbin <- c(blk(mhn), list(theta = mhn$theta, se_logtheta = mhn$SE.logtheta,
                                      loglik = as.numeric(logLik(mhn))))

# Two-part model (twopm-equivalent): logit for any spending on every row, gamma(log) or log-OLS on
# the positive rows; E[y|x] = p(x) m(x). Average marginal effect of x (derivative, weighted mean)
# and its delta-method SE with the block-diagonal covariance (each part's own variance, as twopm
# without suest).
X <- model.matrix(~ x1 + x2 + urban, d)
twopart_ame <- function(a, Va, g, Vg, smear, wts, j) {
  p <- plogis(drop(X %*% a)); m <- exp(drop(X %*% g)) * smear
  dp <- p * (1 - p)
  me <- dp * a[j] * m + p * m * g[j]
  ej <- as.numeric(colnames(X) == j)
  ga <- colSums(wts * ((1 - 2 * p) * dp * a[j] * m * X + dp * m * g[j] * X)) / sum(wts) +
        sum(wts * dp * m) / sum(wts) * ej
  gg <- colSums(wts * (dp * a[j] * m * X + p * m * g[j] * X)) / sum(wts) + sum(wts * p * m) / sum(wts) * ej
  est <- sum(wts * me) / sum(wts)
  se <- sqrt(drop(t(ga) %*% Va %*% ga + t(gg) %*% Vg %*% gg))
  ey <- sum(wts * p * m) / sum(wts)
  list(estimate = est, se = se, mean = ey)
}
fa <- any ~ x1 + x2 + urban
l1 <- glm(fa, binomial, d, control = tight)
out$twopart_gamma <- list(
  x1 = twopart_ame(coef(l1), vcov(l1), coef(m), vcov(m), 1, rep(1, nrow(d)), "x1"),
  x2 = twopart_ame(coef(l1), vcov(l1), coef(m), vcov(m), 1, rep(1, nrow(d)), "x2"))
l1w <- glm(fa, quasibinomial, d, weights = w, control = tight)
out$twopart_gamma_pw_cl <- list(x1 = twopart_ame(coef(l1w), vcovCL(l1w, cluster = ~county, type = "HC0"),
                                                 coef(mw), vcovCL(mw, cluster = ~county, type = "HC0"),
                                                 1, d$w, "x1"))
# log-OLS second part with Duan (1983) smearing: homoskedastic, and by urban (each group's factor)
lo <- lm(log(spend) ~ x1 + x2 + urban, pos)
smear <- mean(exp(residuals(lo)))
out$twopart_logols <- list(smearing = smear,
                           x1 = twopart_ame(coef(l1), vcov(l1), coef(lo), vcov(lo), smear, rep(1, nrow(d)), "x1"))
sg <- tapply(exp(residuals(lo)), pos$urban, mean)
smear_i <- as.numeric(sg[as.character(d$urban)])
out$twopart_logols_group <- list(smearing = as.list(setNames(as.numeric(sg), names(sg))),
                                 x1 = twopart_ame(coef(l1), vcov(l1), coef(lo), vcov(lo), smear_i,
                                                  rep(1, nrow(d)), "x1"))
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), file.path(here, "r_reference.json"))
