# Reference values for the split of the unexplained part of dp.oaxaca (unexplained A and B).
# Run from the repository root with R oaxaca installed:
#   git archive of the GitHub mirror cran/oaxaca (version 0.1.5), then R CMD INSTALL -l /tmp/rlib;
#   R_LIBS=/tmp/rlib Rscript tests/reference/decomp/oaxaca_split_reference.R
# Writes tests/reference/decomp/oaxaca_split_reference.json:
# * "r_oaxaca": R oaxaca's twofold results on Greene's credit-card data (group A = OWNRENT 0) for
#   each group.weight (0, 1, 0.5, share of A, -1 = Neumark pooled, -2 = pooled with the group
#   dummy): explained, unexplained, unexplained A, unexplained B, overall and by variable. R oaxaca's
#   own standard errors are bootstrap draws and are not stored.
# * "delta": delta-method SEs of the same quantities from first principles (the route of
#   oaxaca_reference.R, its decomposition function extended by the two parts).
suppressPackageStartupMessages({ library(sandwich); library(survey); library(jsonlite); library(oaxaca) })

comp_fun <- function(theta, k) {
  xa <- theta[1:k]; xb <- theta[k + 1:k]; ba <- theta[2 * k + 1:k]; bb <- theta[3 * k + 1:k]
  bs <- theta[4 * k + 1:k]
  dx <- xa - xb
  c(endowments = sum(dx * bb), coefficients = sum(xb * (ba - bb)), interaction = sum(dx * (ba - bb)),
    explained = sum(dx * bs), unexplained = sum(xa * (ba - bs) + xb * (bs - bb)),
    gap = sum(xa * ba) - sum(xb * bb),
    unexplained_a = sum(xa * (ba - bs)), unexplained_b = sum(xb * (bs - bb)),
    dx * bb, xb * (ba - bb), dx * (ba - bb), dx * bs, xa * (ba - bs) + xb * (bs - bb),
    xa * (ba - bs), xb * (bs - bb))
}

jac <- function(f, theta) {
  f0 <- f(theta)
  J <- matrix(0, length(f0), length(theta))
  for (j in seq_along(theta)) {
    h <- 1e-6 * max(1, abs(theta[j]))
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
  parts <- c("endowments", "coefficients", "interaction", "explained", "unexplained",
             "unexplained_a", "unexplained_b")
  detail <- list()
  for (p in seq_along(parts)) {
    idx <- 8 + (p - 1) * kt + seq_len(kt)
    detail[[parts[p]]] <- list(term = names_t, estimate = unname(est[idx]), std_error = unname(se[idx]))
  }
  list(overall = list(component = names(est)[1:8], estimate = unname(est[1:8]), std_error = unname(se[1:8])),
       detail = detail)
}


out <- list()
cc <- read.csv("tests/reference/decomp/ccard.csv")
r <- oaxaca(AVGEXP ~ AGE + INCOME + INCOMESQ | OWNRENT, data = cc, R = NULL)
ov <- r$twofold$overall
vars <- lapply(seq_len(nrow(ov)), function(i) {
  v <- r$twofold$variables[[i]]
  list(term = rownames(v), unexplained_a = unname(v[, "coef(unexplained A)"]),
       unexplained_b = unname(v[, "coef(unexplained B)"]), unexplained = unname(v[, "coef(unexplained)"]),
       explained = unname(v[, "coef(explained)"]))
})
out$r_oaxaca <- list(group_weight = unname(ov[, "group.weight"]), explained = unname(ov[, "coef(explained)"]),
                     unexplained = unname(ov[, "coef(unexplained)"]),
                     unexplained_a = unname(ov[, "coef(unexplained A)"]),
                     unexplained_b = unname(ov[, "coef(unexplained B)"]), variables = vars)
# first principles, group A = OWNRENT 1 as in the decompose() helper (dp.oaxaca's default group A)
f1 <- AVGEXP ~ AGE + INCOME + INCOMESQ
for (ref in c("A", "B", "pooled", "neumark", "cotton", "reimers")) {
  out$delta[[paste0("ccard_", ref)]] <- decompose(f1, cc, "OWNRENT", ref)
}
ch <- read.csv("tests/reference/decomp/chifeng_income.csv", colClasses = c(county = "character"))
f2 <- lninc ~ age + edu_years + female + county
out$delta$chifeng_pooled_survey <- decompose(f2, ch, "urban", "pooled", w = ch$weight, yun = "county",
                                             design = list(strata = "strata", psu = "psu"))
out$versions <- list(R = R.version.string, oaxaca = as.character(packageVersion("oaxaca")),
                     sandwich = as.character(packageVersion("sandwich")),
                     survey = as.character(packageVersion("survey")))
writeLines(toJSON(out, digits = I(17), auto_unbox = TRUE, pretty = TRUE),
           "tests/reference/decomp/oaxaca_split_reference.json")
