# Independent brute-force reference for dp.threshold (Hansen 1999), computed with lm() in R.
# Run from the repository root:  Rscript tests/reference/decomp/threshold_reference.R
# Input threshold_panel.csv (make_threshold_data.py); writes threshold_reference.json.
# Every candidate threshold is fitted as a least-squares dummy-variable regression with entity
# dummies (no within-transform shortcuts, no projections), so SSRs, the sequential estimates with
# Hansen's refinement, F statistics and LR-inversion intervals are computed independently.
suppressPackageStartupMessages(library(jsonlite))
d <- read.csv("tests/reference/decomp/threshold_panel.csv")
d$id <- factor(d$id)
trim <- 0.05
N <- nrow(d); n_e <- nlevels(d$id); dof <- N - n_e
lims <- quantile(d$q, c(trim, 1 - trim), type = 7)
cand <- sort(unique(d$q)); cand <- cand[cand >= lims[1] & cand <= lims[2]]
min_obs <- max(ceiling(trim * N), 2)
ssr_at <- function(gs) {
  gs <- sort(gs)
  reg <- findInterval(d$q, gs, left.open = TRUE)  # 0: q <= g1, 1: g1 < q <= g2, ...
  sizes <- tabulate(reg + 1, nbins = length(gs) + 1)
  if (any(sizes < min_obs)) return(Inf)
  X <- sapply(0:length(gs), function(r) d$x * (reg == r))
  m <- lm(d$y ~ d$z + X + d$id)
  sum(resid(m)^2)
}
search <- function(fixed) {
  s <- sapply(cand, function(g) if (g %in% fixed) Inf else ssr_at(c(fixed, g)))
  list(g = cand[which.min(s)], curve = s)
}
S0 <- sum(resid(lm(y ~ z + x + id, data = d))^2)
s1 <- search(c()); g1 <- s1$g; S1 <- min(s1$curve)
F1 <- (S0 - S1) / (S1 / dof)
crit <- -2 * log(1 - sqrt(0.95))
lr1 <- (s1$curve - S1) / (S1 / dof)
ci1 <- range(cand[lr1 <= crit])
s2 <- search(g1); g2 <- s2$g
g1r <- search(g2)$g  # refinement of the first threshold given the second
S2 <- ssr_at(c(g1r, g2))
F2 <- (S1 - S2) / (S2 / dof)
gam <- sort(c(g1r, g2))
ciq <- lapply(seq_along(gam), function(j) {
  other <- gam[-j]; cur <- search(other)$curve
  lr <- (cur - S2) / (S2 / dof); range(cand[lr <= crit])
})
reg <- findInterval(d$q, gam, left.open = TRUE)
X <- sapply(0:2, function(r) d$x * (reg == r))
colnames(X) <- paste0("x__r", 1:3)
m <- lm(d$y ~ d$z + X + d$id)
cf <- summary(m)$coefficients[2:5, 1:2]
out <- list(
  n_candidates = length(cand), S0 = S0,
  single = list(gamma = g1, ssr = S1, F = F1, ci = ci1),
  double = list(gamma = gam, ssr = S2, F = F2, ci_low = sapply(ciq, `[`, 1), ci_high = sapply(ciq, `[`, 2)),
  coef = list(term = c("z", colnames(X)), estimate = unname(cf[, 1]), std_error = unname(cf[, 2])),
  R = R.version.string
)
writeLines(toJSON(out, digits = I(17), auto_unbox = TRUE, pretty = TRUE), "tests/reference/decomp/threshold_reference.json")
