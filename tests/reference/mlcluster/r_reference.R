# Two-way (and one-way) clustered sandwiches of ML models: reference values for
# tests/models/test_ml_cluster.py. Run from the repository root:
#   Rscript tests/reference/mlcluster/r_reference.R
suppressPackageStartupMessages({library(MASS); library(pscl); library(sandwich); library(jsonlite)})
here <- "tests/reference/mlcluster"
d <- read.csv(file.path(here, "mlcluster_sample.csv"))
d$yord <- factor(d$yord, ordered = TRUE)
tight <- glm.control(epsilon = 1e-14, maxit = 200)
out <- list(versions = list(R = R.version.string, MASS = as.character(packageVersion("MASS")),
                            pscl = as.character(packageVersion("pscl")),
                            sandwich = as.character(packageVersion("sandwich"))))
mat <- function(V) unname(lapply(seq_len(nrow(V)), function(i) unname(V[i, ])))
# vcovCL variants: name -> arguments (cluster = ~a + b unless "one")
variants <- list(
  one_hc0 = list(cluster = ~a, type = "HC0"),
  one_hc1 = list(cluster = ~a, type = "HC1"),
  one_none = list(cluster = ~a, type = "HC0", cadjust = FALSE),
  two_hc0 = list(cluster = ~a + b, type = "HC0"),
  two_hc1 = list(cluster = ~a + b, type = "HC1"),
  two_none = list(cluster = ~a + b, type = "HC0", cadjust = FALSE),
  two_hc0_multi0 = list(cluster = ~a + b, type = "HC0", multi0 = TRUE),
  two_hc1_multi0 = list(cluster = ~a + b, type = "HC1", multi0 = TRUE),
  two_hc0_fix = list(cluster = ~a + b, type = "HC0", fix = TRUE)
)
block <- function(m, meat_only = FALSE) {
  res <- list(coef = unname(coef(m)), names = names(coef(m)), n = NROW(estfun(m)))
  for (v in names(variants)) {
    args <- variants[[v]]
    mt <- do.call(meatCL, c(list(m), args)) * NROW(estfun(m))  # sum-scale meat
    ev <- min(eigen(mt, symmetric = TRUE, only.values = TRUE)$values)
    res[[v]] <- list(meat = mat(mt), meat_min_eigen = ev)
    if (!meat_only) res[[v]]$vcov <- mat(do.call(vcovCL, c(list(m), args)))
  }
  res
}
# glm.fit keeps the working weights of its last iteration's start (one step before the final
# coefficients) for estfun() and bread(); with the deviance criterion that step is ~1e-7, which
# would leave ~1e-8 in the sandwich. Refitting from the converged coefficients makes it ~1e-15.
again <- function(m) suppressWarnings(update(m, start = coef(m)))
f <- ybin ~ x1 + x2
out$logit <- block(again(glm(f, binomial, d, control = tight)))
out$logit_w <- block(again(suppressWarnings(glm(f, binomial, d, weights = w, control = tight))))
out$probit <- block(again(glm(f, binomial(link = "probit"), d, control = tight)))
out$probit_w <- block(again(suppressWarnings(glm(f, binomial(link = "probit"), d, weights = w, control = tight))))
fc <- ycount ~ x1 + x2
out$poisson <- block(again(glm(fc, poisson, d, control = tight)))
out$poisson_w <- block(again(suppressWarnings(glm(fc, poisson, d, weights = w, control = tight))))
# (binomial/poisson with non-integer weights: R warns "non-integer #successes"; the pweighted
# estimates and sandwich are what we want)
# glm.nb: sandwich treats theta as fixed, so only the coefficient block of the meat compares
mnb <- glm.nb(fc, d, control = tight)
out$negbin <- c(block(mnb, meat_only = TRUE), list(theta = mnb$theta))
# polr, zeroinfl, hurdle: the bread is vcov() from optim's finite-difference Hessian; the meat
# (analytic estfun) is exact at the estimates
po <- polr(yord ~ x1 + x2, d, method = "logistic", Hess = TRUE, control = list(reltol = 1e-15, maxit = 10000))
out$polr_logit <- c(block(po), list(zeta = unname(po$zeta)))
pp <- polr(yord ~ x1 + x2, d, method = "probit", Hess = TRUE, control = list(reltol = 1e-15, maxit = 10000))
out$polr_probit <- c(block(pp), list(zeta = unname(pp$zeta)))
zc <- zeroinfl.control(reltol = 1e-15, maxit = 100000)
out$zip <- block(zeroinfl(yzi ~ x1 + x2 | z, d, dist = "poisson", control = zc))
hc <- hurdle.control(reltol = 1e-15, maxit = 100000)
out$hurdle_poisson <- block(hurdle(ycount ~ x1 + x2 | z, d, dist = "poisson", zero.dist = "binomial", control = hc))
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = FALSE), file.path(here, "r_reference.json"))
