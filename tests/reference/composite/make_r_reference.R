# Independent R implementation of the composite-index formulas, used to cross-check
# disparity.measures.composite. Run from this folder:  Rscript make_r_reference.R
# Writes r_reference_*.csv. Base R only.
set.seed(20240601)
n <- 31
X <- data.frame(
  x1 = round(runif(n, 300, 1200), 1),     # per-capita financing (+)
  x2 = round(runif(n, 0.45, 0.80), 3),    # reimbursement rate (+)
  x3 = round(runif(n, 200, 1500), 0),     # deductible (-)
  x4 = round(rlnorm(n, 2, 0.5), 2),       # fund balance months (+)
  x5 = round(runif(n, 0, 1), 3)           # share (+)
)
X$x5[3] <- 0                                # exercise 0 log 0
dirs <- c(1, 1, -1, 1, 1)
write.csv(X, "r_reference_input.csv", row.names = FALSE)

minmax <- function(x, d) {
  r <- max(x) - min(x)
  if (r == 0) return(rep(1, length(x)))
  if (d > 0) (x - min(x)) / r else (max(x) - x) / r
}
entropy_w <- function(Z) {
  P <- sweep(Z, 2, colSums(Z), "/")
  e <- apply(P, 2, function(p) -sum(ifelse(p > 0, p * log(p), 0)) / log(nrow(Z)))
  d <- 1 - e
  list(e = e, w = d / sum(d))
}
Z <- sapply(seq_along(dirs), function(j) minmax(X[[j]], dirs[j]))
colnames(Z) <- names(X)
ew <- entropy_w(Z)
ew_shift <- entropy_w(Z + 0.01)
Xp <- as.matrix(X[, c("x1", "x2", "x4", "x5")])
ew_prop <- entropy_w(Xp)
write.csv(data.frame(indicator = names(X), entropy = ew$e, weight_minmax = ew$w,
                     weight_minmax_shift001 = ew_shift$w),
          "r_reference_entropy.csv", row.names = FALSE)
write.csv(data.frame(indicator = colnames(Xp), weight_proportion = ew_prop$w),
          "r_reference_entropy_proportion.csv", row.names = FALSE)

# TOPSIS, vector normalisation, entropy (min-max) weights
R <- sweep(as.matrix(X), 2, sqrt(colSums(as.matrix(X)^2)), "/")
V <- sweep(R, 2, ew$w, "*")
best <- ifelse(dirs > 0, apply(V, 2, max), apply(V, 2, min))
worst <- ifelse(dirs > 0, apply(V, 2, min), apply(V, 2, max))
dp <- sqrt(rowSums(sweep(V, 2, best)^2))
dm <- sqrt(rowSums(sweep(V, 2, worst)^2))
score <- as.vector(Z %*% ew$w)
# obstacle degree with entropy weights
dev <- 1 - Z
ob <- sweep(dev, 2, ew$w, "*")
ob <- ob / rowSums(ob)
colnames(ob) <- paste0("obstacle_", names(X))
write.csv(data.frame(d_best = dp, d_worst = dm, closeness = dm / (dp + dm),
                     composite_entropy = score, ob),
          "r_reference_topsis_obstacle.csv", row.names = FALSE)

# coupling coordination, three subsystems
U <- data.frame(s1 = c(0.0162, 0.1782, 0.5490, 0.6730, 0.0207, 0.9875),
                s2 = c(0.2720, 0.6824, 0.0593, 0.4812, 0.8891, 0.5573),
                s3 = c(0.2655, 0.3721, 0.5729, 0.9082, 0.2017, 0.8984))
std_C <- apply(U, 1, function(u) (prod(u) / mean(u)^3)^(1 / 3))
std_C_k1 <- apply(U, 1, function(u) prod(u) / mean(u)^3)
wang_C <- apply(U, 1, function(u) {
  pr <- combn(3, 2)
  sqrt((1 - mean(abs(u[pr[1, ]] - u[pr[2, ]]))) * prod(u / max(u))^(1 / 2))
})
Tw <- as.vector(as.matrix(U) %*% c(0.4, 0.3, 0.3))
write.csv(data.frame(U, C_standard = std_C, C_standard_k1 = std_C_k1, C_wang2021 = wang_C,
                     T_weighted = Tw, D_standard_weighted = sqrt(std_C * Tw),
                     D_wang2021_weighted = sqrt(wang_C * Tw)),
          "r_reference_coupling.csv", row.names = FALSE)
cat(R.version.string, "\n", file = "r_reference_version.txt")
