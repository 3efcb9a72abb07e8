# GLMs and count models on replicate-weight designs (for tests/survey/test_model_replicate.py).
#
# Gamma (log link) and Poisson: survey::svyglm on the JK1 and bootstrap svrepdesign of apiclus1
# stored by make_reference.R (svyglm refits each replicate from the full-sample coefficients).
# Negative binomial, zero-inflated Poisson and the Poisson hurdle have no svyglm method: their weighted
# ML fits (MASS::glm.nb, pscl::zeroinfl, pscl::hurdle, started at the full-sample estimates) are
# refitted on every replicate weight column with survey::withReplicates (svrVar).
# Writes model_rep.csv. Run from this folder: Rscript make_model_rep.R
suppressPackageStartupMessages({library(survey); library(MASS); library(pscl)})

ref <- read.csv("reference.csv", colClasses = c(value = "character"))
refval <- function(case, stat) as.numeric(ref$value[ref$case == case & ref$stat == stat])
tight <- glm.control(epsilon = 1e-14, maxit = 200)

repdesign <- function(nm) {
  base <- read.csv("apiclus1.csv")
  base$nb <- base$enroll %/% 100                         # an over-dispersed count
  base$zc <- ifelse(base$api00 > 750, 0, base$enroll %/% 100)  # with excess zeros
  rw <- read.csv(paste0("rep_", nm, ".csv"))
  stopifnot(all(rw$snum == base$snum))
  cols <- grep("^rw", names(rw), value = TRUE)
  svrepdesign(data = base, repweights = as.matrix(rw[, cols]), weights = ~pw,
              type = c(jk1 = "JK1", boot = "bootstrap")[[nm]],
              scale = refval(paste0("rep_", nm), "scale"),
              rscales = refval(paste0("rep_", nm), "rscales"), combined.weights = TRUE)
}

row <- function(case, est, V) data.frame(case = case, term = names(est), estimate = sprintf("%.17g", est),
                                         se = sprintf("%.17g", sqrt(diag(as.matrix(V)))))
out <- list()
for (nm in c("jk1", "boot")) {
  des <- repdesign(nm)
  m <- svyglm(api00 ~ ell + meals, design = des, family = Gamma(link = "log"), control = tight)
  out[[length(out) + 1]] <- row(paste0("gamma_", nm), coef(m), vcov(m))
  m <- svyglm(nb ~ ell + meals, design = des, family = quasipoisson(), control = tight)
  out[[length(out) + 1]] <- row(paste0("poisson_", nm), coef(m), vcov(m))

  data <- des$variables
  full <- glm.nb(nb ~ ell + meals, data = data, weights = pw, control = tight)
  nbfit <- function(w, data) {
    m <- glm.nb(nb ~ ell + meals, data = data, weights = w, start = coef(full),
                init.theta = full$theta, control = tight)
    c(coef(m), alpha = 1 / m$theta)
  }
  r <- withReplicates(des, nbfit)
  out[[length(out) + 1]] <- row(paste0("negbin_", nm), coef(r), vcov(r))
}

des <- repdesign("jk1")
data <- des$variables
zc <- zeroinfl.control(reltol = 1e-15, maxit = 100000)
full <- zeroinfl(zc ~ ell + meals | meals, data = data, weights = pw, dist = "poisson", control = zc)
zipfit <- function(w, data) {
  ctl <- zeroinfl.control(reltol = 1e-15, maxit = 100000, start = list(count = full$coefficients$count,
                                                                       zero = full$coefficients$zero))
  coef(zeroinfl(zc ~ ell + meals | meals, data = data, weights = w, dist = "poisson", control = ctl))
}
r <- withReplicates(des, zipfit)
out[[length(out) + 1]] <- row("zip_jk1", coef(r), vcov(r))
hc <- hurdle.control(reltol = 1e-15, maxit = 100000)
full <- hurdle(zc ~ ell + meals | meals, data = data, weights = pw, dist = "poisson",
               zero.dist = "binomial", control = hc)
hfit <- function(w, data) {
  ctl <- hurdle.control(reltol = 1e-15, maxit = 100000, start = list(count = full$coefficients$count,
                                                                     zero = full$coefficients$zero))
  coef(hurdle(zc ~ ell + meals | meals, data = data, weights = w, dist = "poisson",
              zero.dist = "binomial", control = ctl))
}
r <- withReplicates(des, hfit)
out[[length(out) + 1]] <- row("hurdle_jk1", coef(r), vcov(r))

write.csv(do.call(rbind, out), "model_rep.csv", row.names = FALSE)
cat(sprintf("R %s, survey %s, MASS %s, pscl %s\n", getRversion(), packageVersion("survey"),
            packageVersion("MASS"), packageVersion("pscl")))
