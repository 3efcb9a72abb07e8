# Independent reference values for dp.oaxaca, computed in R from first principles.
# Run from the repository root:  Rscript tests/reference/decomp/oaxaca_reference.R
# Writes tests/reference/decomp/oaxaca_reference.json.
#
# Route (deliberately different from the Python code): fit lm() per group and pooled, collect the
# parameter vector theta = (xbar_A, xbar_B, b_A, b_B, b_ref), stack their influence functions
# (sandwich::estfun %*% sandwich::bread / n for coefficients), take V(theta) = sum psi psi' (or the
# survey-design variance of the totals of psi with survey::svytotal), and apply the delta method
# with a Jacobian of the decomposition formulas obtained by central differences (exact for these
# bilinear functions up to rounding).
suppressPackageStartupMessages({ library(sandwich); library(survey); library(jsonlite) })

comp_fun <- function(theta, k) {
  xa <- theta[1:k]; xb <- theta[k + 1:k]; ba <- theta[2 * k + 1:k]; bb <- theta[3 * k + 1:k]
  bs <- theta[4 * k + 1:k]
  dx <- xa - xb
  c(endowments = sum(dx * bb), coefficients = sum(xb * (ba - bb)), interaction = sum(dx * (ba - bb)),
    explained = sum(dx * bs), unexplained = sum(xa * (ba - bs) + xb * (bs - bb)),
    gap = sum(xa * ba) - sum(xb * bb),
    dx * bb, xb * (ba - bb), dx * (ba - bb), dx * bs, xa * (ba - bs) + xb * (bs - bb))
}

jac <- function(f, theta) {
  f0 <- f(theta)
  J <- matrix(0, length(f0), length(theta))
  for (j in seq_along(theta)) {
    h <- 1e-4 * max(1, abs(theta[j]))
    tp <- theta; tm <- theta; tp[j] <- tp[j] + h; tm[j] <- tm[j] - h
    J[, j] <- (f(tp) - f(tm)) / (2 * h)
  }
  J
}

# coef influence functions on the full sample (zero outside the rows used)
coef_if <- function(m, rows, n) {
  psi <- matrix(0, n, length(coef(m)))
  psi[rows, ] <- estfun(m) %*% bread(m) / nobs(m)
  psi
}
mean_if <- function(X, w, rows, n) {
  psi <- matrix(0, n, ncol(X))
  xb <- colSums(w[rows] * X[rows, , drop = FALSE]) / sum(w[rows])
  psi[rows, ] <- w[rows] * sweep(X[rows, , drop = FALSE], 2, xb) / sum(w[rows])
  list(mean = xb, psi = psi)
}

decompose <- function(fml, d, by, reference, w = NULL, yun = NULL, design = NULL) {
  n <- nrow(d)
  if (is.null(w)) w <- rep(1, n)
  d$w__ <- w
  X <- model.matrix(fml, d)
  y <- model.response(model.frame(fml, d))
  a <- d[[by]] == 1
  mA <- lm(fml, data = d[a, ], weights = w__)
  mB <- lm(fml, data = d[!a, ], weights = w__)
  k <- ncol(X)
  psiA <- coef_if(mA, which(a), n); psiB <- coef_if(mB, which(!a), n)
  bA <- coef(mA); bB <- coef(mB)
  if (reference %in% c("pooled", "neumark")) {
    f2 <- if (reference == "pooled") update(fml, paste(". ~ . +", by)) else fml
    mS <- lm(f2, data = d, weights = w__)
    bS <- coef(mS)[1:k]; psiS <- coef_if(mS, seq_len(n), n)[, 1:k]
  } else {
    lam <- switch(reference, A = 1, B = 0, cotton = sum(w[a]) / sum(w), reimers = 0.5)
    bS <- lam * bA + (1 - lam) * bB; psiS <- lam * psiA + (1 - lam) * psiB
  }
  # Yun normalisation: base dummy appended; factor coefficients as deviations from their mean
  Tm <- diag(k); names_t <- colnames(X)
  if (!is.null(yun)) {
    cols <- grep(paste0("^", yun), colnames(X)); L <- length(cols) + 1
    Tm <- rbind(Tm, 0); avg <- rep(0, k); avg[cols] <- 1 / L
    for (j in cols) Tm[j, ] <- Tm[j, ] - avg
    Tm[k + 1, ] <- -avg; Tm[1, ] <- Tm[1, ] + avg
    X <- cbind(X, base = 1 - rowSums(X[, cols])); names_t <- c(names_t, "base")
  }
  ma <- mean_if(X, w, which(a), n); mb <- mean_if(X, w, which(!a), n)
  kt <- ncol(X)
  theta <- c(ma$mean, mb$mean, Tm %*% bA, Tm %*% bB, Tm %*% bS)
  psi <- cbind(ma$psi, mb$psi, psiA %*% t(Tm), psiB %*% t(Tm), psiS %*% t(Tm))
  if (is.null(design)) {
    V <- crossprod(psi)
  } else {
    dd <- data.frame(psi / w, strata = d[[design$strata]], psu = d[[design$psu]], w = w)
    des <- svydesign(ids = ~psu, strata = ~strata, weights = ~w, data = dd, nest = TRUE)
    V <- vcov(svytotal(as.formula(paste("~", paste(colnames(dd)[seq_len(ncol(psi))], collapse = "+"))), des))
    V <- unclass(V)[seq_len(ncol(psi)), seq_len(ncol(psi))]
  }
  f <- function(th) comp_fun(th, kt)
  est <- f(theta); J <- jac(f, theta)
  se <- sqrt(pmax(diag(J %*% V %*% t(J)), 0))
  parts <- c("endowments", "coefficients", "interaction", "explained", "unexplained")
  detail <- list()
  for (p in seq_along(parts)) {
    idx <- 6 + (p - 1) * kt + seq_len(kt)
    detail[[parts[p]]] <- list(term = names_t, estimate = unname(est[idx]), std_error = unname(se[idx]))
  }
  # Jann (2008) textbook formulas, for comparison only: coefficient and mean blocks independent
  list(overall = list(component = names(est)[1:6], estimate = unname(est[1:6]), std_error = unname(se[1:6])),
       detail = detail)
}

out <- list()
cc <- read.csv("tests/reference/decomp/ccard.csv")
f1 <- AVGEXP ~ AGE + INCOME + INCOMESQ
for (ref in c("A", "B", "pooled", "neumark", "cotton", "reimers")) {
  out[[paste0("ccard_", ref)]] <- decompose(f1, cc, "OWNRENT", ref)
}
ch <- read.csv("tests/reference/decomp/chifeng_income.csv", colClasses = c(county = "character"))
f2 <- lninc ~ age + edu_years + female + county
out$chifeng_pooled_weighted <- decompose(f2, ch, "urban", "pooled", w = ch$weight, yun = "county")
out$chifeng_pooled_survey <- decompose(f2, ch, "urban", "pooled", w = ch$weight, yun = "county",
                                       design = list(strata = "strata", psu = "psu"))
out$chifeng_neumark_unweighted <- decompose(f2, ch, "urban", "neumark", yun = "county")
out$versions <- list(R = R.version.string, sandwich = as.character(packageVersion("sandwich")),
                     survey = as.character(packageVersion("survey")))
writeLines(toJSON(out, digits = I(17), auto_unbox = TRUE, pretty = TRUE),
           "tests/reference/decomp/oaxaca_reference.json")
