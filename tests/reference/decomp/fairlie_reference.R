# Fairlie (2005) decomposition computed in R from its definition, with the random draws of
# fairlie_draws.json (subsample of the larger group, term order per replication) so that the
# result is comparable digit by digit. Run from the repository root:
#   Rscript tests/reference/decomp/fairlie_reference.R
# Route: glm() for the coefficients (pooled with the group dummy, pooled without it, or group B),
# vcov(glm) (expected information: the probit case is run with information = "eim") or
# sandwich::vcovCL(type = "HC0") for their covariance; ranking, matching and
# sequential switching written out; delta-method gradients analytic (Fairlie 2005, eq. 7).
suppressPackageStartupMessages({ library(jsonlite); library(sandwich) })
d <- read.csv("tests/reference/decomp/chifeng_income.csv", colClasses = c(county = "character"))
d$hi <- as.numeric(d$lninc > median(d$lninc))
draws <- fromJSON("tests/reference/decomp/fairlie_draws.json", simplifyVector = TRUE)
X <- model.matrix(~ age + edu_years + female + factor(county), d)
terms <- list(age = 2, edu_years = 3, female = 4, county = 5:ncol(X))
a <- d$urban == 1
run <- function(case) {
  o <- case$options
  fam <- binomial(link = o$model)
  ctl <- glm.control(epsilon = 1e-14, maxit = 100)
  if (o$reference == "pooled") m <- glm(hi ~ age + edu_years + female + factor(county) + urban, fam, d, control = ctl)
  if (o$reference == "neumark") m <- glm(hi ~ age + edu_years + female + factor(county), fam, d, control = ctl)
  if (o$reference == "B") m <- glm(hi ~ age + edu_years + female + factor(county), fam, d[!a, ], control = ctl)
  V <- if (!is.null(o$vcov) && o$vcov == "cluster") {
    vcovCL(m, cluster = if (o$reference == "B") ~county else ~county, type = "HC0")
  } else vcov(m)
  k <- ncol(X)
  beta <- coef(m)[1:k]; V <- V[1:k, 1:k]
  Fc <- fam$linkinv; fd <- fam$mu.eta
  XA <- X[a, ]; XB <- X[!a, ]
  expl <- mean(Fc(XA %*% beta)) - mean(Fc(XB %*% beta))
  gexp <- colMeans(as.vector(fd(XA %*% beta)) * XA) - colMeans(as.vector(fd(XB %*% beta)) * XB)
  K <- length(terms); contrib <- rep(0, K); G <- matrix(0, K, k)
  subs <- matrix(case$subsample, nrow = o$reps); ords <- matrix(case$orders, nrow = o$reps)
  for (r in seq_len(o$reps)) {
    sub <- subs[r, ] + 1
    if (case$a_larger) { Ar <- XA[sub, ]; Br <- XB } else { Ar <- XA; Br <- XB[sub, ] }
    Ar <- Ar[order(Fc(Ar %*% beta)), ]; Br <- Br[order(Fc(Br %*% beta)), ]
    Z <- Ar
    for (t in ords[r, ] + 1) {
      eta0 <- drop(Z %*% beta); p0 <- Fc(eta0); g0 <- fd(eta0) * Z
      Z[, terms[[t]]] <- Br[, terms[[t]]]
      eta1 <- drop(Z %*% beta)
      contrib[t] <- contrib[t] + mean(p0 - Fc(eta1))
      G[t, ] <- G[t, ] + colMeans(g0 - fd(eta1) * Z)
    }
  }
  contrib <- contrib / o$reps; G <- G / o$reps
  list(term = names(terms), estimate = contrib, std_error = sqrt(diag(G %*% V %*% t(G))),
       explained = expl, se_explained = sqrt(drop(t(gexp) %*% V %*% gexp)),
       gap = mean(d$hi[a]) - mean(d$hi[!a]))
}
out <- lapply(draws, run)
out$versions <- list(R = R.version.string, sandwich = as.character(packageVersion("sandwich")))
writeLines(toJSON(out, digits = I(17), auto_unbox = TRUE, pretty = TRUE), "tests/reference/decomp/fairlie_reference.json")
