# Independent reference values for dp.oaxaca, computed in R from first principles.
# Run from the repository root:  Rscript tests/reference/decomp/oaxaca_reference.R
# Writes tests/reference/decomp/oaxaca_reference.json.
#
# Route (deliberately different from the Python code): fit lm() per group and pooled, collect the
# parameter vector theta = (xbar_A, xbar_B, b_A, b_B, b_ref), stack their influence functions
# (sandwich::estfun %*% sandwich::bread / n for coefficients), take V(theta) = sum psi psi' (or the
# survey-design variance of the totals of psi with survey::svytotal), and apply the delta method
# with a Jacobian of the decomposition formulas obtained by central differences (step 1e-6 relative:
# exact up to rounding for the bilinear linear-model parts, truncation error near 1e-12 for Yun's
# ratio weights in the logit case).
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
  parts <- c("endowments", "coefficients", "interaction", "explained", "unexplained")
  detail <- list()
  for (p in seq_along(parts)) {
    idx <- 6 + (p - 1) * kt + seq_len(kt)
    detail[[parts[p]]] <- list(term = names_t, estimate = unname(est[idx]), std_error = unname(se[idx]))
  }
  list(overall = list(component = names(est)[1:6], estimate = unname(est[1:6]), std_error = unname(se[1:6])),
       detail = detail)
}

# Nonlinear (logit) decomposition: overall parts from mean predicted probabilities, detailed parts
# with Yun's (2004) weights. theta adds the four mean predictions a1..a4 to the parameters; their
# influence functions are w (F - a) / W plus the numerical gradient of a with respect to beta times
# the coefficient influence functions.
decompose_logit <- function(fml, d, by, reference, w, yun) {
  n <- nrow(d); d$w__ <- w
  X <- model.matrix(fml, d); k <- ncol(X)
  a <- d[[by]] == 1
  fitg <- function(f, dd) glm(f, data = dd, weights = w__, family = quasibinomial(),
                             control = glm.control(epsilon = 1e-14, maxit = 100))
  mA <- fitg(fml, d[a, ]); mB <- fitg(fml, d[!a, ])
  psiA <- coef_if(mA, which(a), n); psiB <- coef_if(mB, which(!a), n)
  f2 <- if (reference == "pooled") update(fml, paste(". ~ . +", by)) else fml
  mS <- fitg(f2, d); bS <- coef(mS)[1:k]; psiS <- coef_if(mS, seq_len(n), n)[, 1:k]
  cols <- grep(paste0("^", yun), colnames(X)); L <- length(cols) + 1
  Tm <- rbind(diag(k), 0); avg <- rep(0, k); avg[cols] <- 1 / L
  for (j in cols) Tm[j, ] <- Tm[j, ] - avg
  Tm[k + 1, ] <- -avg; Tm[1, ] <- Tm[1, ] + avg
  Xt <- cbind(X, base = 1 - rowSums(X[, cols])); kt <- ncol(Xt)
  bA <- Tm %*% coef(mA); bB <- Tm %*% coef(mB); bs <- Tm %*% bS
  pA <- psiA %*% t(Tm); pB <- psiB %*% t(Tm); pS <- psiS %*% t(Tm)
  avgpred <- function(rows, b) sum(w[rows] * plogis(Xt[rows, ] %*% b)) / sum(w[rows])
  pred_if <- function(rows, b, psib) {
    m <- avgpred(rows, b)
    g <- sapply(seq_len(kt), function(j) { h <- 1e-6; e <- rep(0, kt); e[j] <- h
      (avgpred(rows, b + e) - avgpred(rows, b - e)) / (2 * h) })
    out <- psib %*% g
    out[rows] <- out[rows] + w[rows] * (plogis(Xt[rows, ] %*% b) - m) / sum(w[rows])
    list(m = m, psi = out)
  }
  A1 <- pred_if(which(a), bA, pA); A2 <- pred_if(which(!a), bB, pB)
  A3 <- pred_if(which(a), bs, pS); A4 <- pred_if(which(!a), bs, pS)
  ma <- mean_if(Xt, w, which(a), n); mb <- mean_if(Xt, w, which(!a), n)
  theta <- c(A1$m, A2$m, A3$m, A4$m, ma$mean, mb$mean, bA, bB, bs)
  psi <- cbind(A1$psi, A2$psi, A3$psi, A4$psi, ma$psi, mb$psi, pA, pB, pS)
  f <- function(th) {
    xa <- th[4 + 1:kt]; xb <- th[4 + kt + 1:kt]; ba <- th[4 + 2 * kt + 1:kt]
    bb <- th[4 + 3 * kt + 1:kt]; b_s <- th[4 + 4 * kt + 1:kt]
    expl <- th[3] - th[4]; unex <- (th[1] - th[2]) - expl
    nq <- (xa - xb) * b_s; nu <- xa * (ba - b_s) + xb * (b_s - bb)
    c(explained = expl, unexplained = unex, gap = th[1] - th[2], mean_a = th[1], mean_b = th[2],
      expl * nq / sum(nq), unex * nu / sum(nu))
  }
  est <- f(theta); J <- jac(f, theta); V <- crossprod(psi)
  se <- sqrt(pmax(diag(J %*% V %*% t(J)), 0))
  list(overall = list(component = names(est)[1:5], estimate = unname(est[1:5]), std_error = unname(se[1:5])),
       detail = list(explained = list(term = colnames(Xt), estimate = unname(est[5 + 1:kt]), std_error = unname(se[5 + 1:kt])),
                     unexplained = list(term = colnames(Xt), estimate = unname(est[5 + kt + 1:kt]),
                                        std_error = unname(se[5 + kt + 1:kt]))))
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
# pweights rescaled to mean 1 (estimates and influence functions are scale-free) because glm.fit
# diverges from its default start with weights in the thousands
ch$hi <- as.numeric(ch$lninc > median(ch$lninc))
out$chifeng_logit_pooled <- decompose_logit(hi ~ age + edu_years + female + county, ch, "urban", "pooled",
                                            w = ch$weight / mean(ch$weight), yun = "county")
out$versions <- list(R = R.version.string, sandwich = as.character(packageVersion("sandwich")),
                     survey = as.character(packageVersion("survey")))
writeLines(toJSON(out, digits = I(17), auto_unbox = TRUE, pretty = TRUE),
           "tests/reference/decomp/oaxaca_reference.json")
