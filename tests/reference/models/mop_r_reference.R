# Montiel Olea-Pflueger effective F with R's sandwich variances (an implementation independent of
# disparity's covariance code): F_eff = pi' Q pi / tr(V Q), pi the excluded-instrument first-stage
# coefficients, Q = Z~'W Z~ (instruments partialled on the included regressors, Frisch-Waugh: the
# inverse of the excluded block of (Z'WZ)^{-1}), V their HC1 (vcovHC), CR1 (vcovCL, type "HC1")
# or Newey-West (NeweyWest, lag 5, no prewhitening, adjust = TRUE) variance -- the variances with
# Stata's small-sample factors, as weakivtest uses them.
# Run from the repository root:  Rscript tests/reference/models/mop_r_reference.R
suppressPackageStartupMessages(library(sandwich))
d <- read.csv("tests/reference/models/stata/iv_simulated.csv")
specs <- list(
  two_instruments = x1 ~ z1 + z2,
  four_instruments_control = x1 ~ x3 + z1 + z2 + x4 + x5
)
excl <- list(two_instruments = c("z1", "z2"), four_instruments_control = c("z1", "z2", "x4", "x5"))
rows <- character(0)
for (nm in names(specs)) for (wt in c(FALSE, TRUE)) for (kind in c("HC1", "cluster", "hac")) {
  fit <- if (wt) lm(specs[[nm]], data = d, weights = weights) else lm(specs[[nm]], data = d)
  V <- switch(kind,
    HC1 = vcovHC(fit, type = "HC1"),
    cluster = vcovCL(fit, cluster = ~cluster_id, type = "HC1"),
    hac = NeweyWest(fit, lag = 5, prewhite = FALSE, adjust = TRUE))
  e <- excl[[nm]]
  XtX_inv <- summary(fit)$cov.unscaled
  Q <- solve(XtX_inv[e, e])
  pi <- coef(fit)[e]
  f_eff <- as.numeric(t(pi) %*% Q %*% pi) / sum(diag(V[e, e] %*% Q))
  rows <- c(rows, sprintf('  "%s|%s|%s": %.17g', nm, if (wt) "weighted" else "unweighted", kind, f_eff))
}
ver <- sprintf('  "_versions": "R %s, sandwich %s"', getRversion(), packageVersion("sandwich"))
writeLines(c("{", paste(c(ver, rows), collapse = ",\n"), "}"), "tests/reference/models/mop_r_reference.json")
