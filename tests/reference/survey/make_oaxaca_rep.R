# Blinder-Oaxaca decompositions under replicate-weight designs (for tests/survey/test_oaxaca_replicate.py).
#
# R `oaxaca` (Hlavac, 0.1.5) is not survey-aware: it takes no weights. So the decomposition is written
# here with weighted least squares (`lm`) and weighted `glm` (quasibinomial, for the logit case),
# checked against `oaxaca::oaxaca` on unit weights, refitted on every replicate weight column with
# `survey::withReplicates` (which combines the re-estimates by `svrVar` with the design's scale,
# rscales and mse), on the JK1, bootstrap and JKn `svrepdesign`s stored by make_reference.R.
# Writes oaxaca_rep.csv. Run from this folder: R_LIBS=<where oaxaca is installed> Rscript make_oaxaca_rep.R
suppressPackageStartupMessages({library(survey); library(oaxaca)})

ref <- read.csv("reference.csv", colClasses = c(value = "character"))
refval <- function(case, stat) as.numeric(ref$value[ref$case == case & ref$stat == stat])

# Group A is e == 0 (as oaxaca::oaxaca); the pooled regression of the "pooled" reference adds the
# indicator e (oaxaca's group.weight = -2), "neumark" leaves it out (group.weight = -1).
# Logit refits start from the full-sample coefficients (`start`, as svyglm on a replicate design):
# from glm's default start, IRLS without step-halving diverges on one JK1 replicate of the logit case.
decomp <- function(w, data, f, model = "linear", reference = "pooled", start = NULL) {
  mf <- model.frame(f, data, na.action = na.pass)
  ok <- complete.cases(mf)
  mf <- mf[ok, , drop = FALSE]
  X <- model.matrix(f, mf)
  y <- model.response(mf)
  ww <- w[ok]
  A <- data$e[ok] == 0
  fit <- function(X, y, w, b0) {
    if (model == "linear") return(coef(lm(y ~ 0 + X, weights = w)))
    coef(glm(y ~ 0 + X, weights = w, family = quasibinomial(model), start = b0,
             control = glm.control(epsilon = 1e-14, maxit = 100)))
  }
  bA <- fit(X[A, ], y[A], ww[A], start$A)
  bB <- fit(X[!A, ], y[!A], ww[!A], start$B)
  Z <- if (reference == "pooled") cbind(X, e = as.numeric(!A)) else X
  bS.all <- fit(Z, y, ww, start$S)
  bS <- bS.all[seq_len(ncol(X))]
  xA <- colSums(ww[A] * X[A, , drop = FALSE]) / sum(ww[A])
  xB <- colSums(ww[!A] * X[!A, , drop = FALSE]) / sum(ww[!A])
  k <- colnames(X)
  if (model == "linear") {
    rows <- rbind(endowments = (xA - xB) * bB, coefficients = xB * (bA - bB),
                  interaction = (xA - xB) * (bA - bB), explained = (xA - xB) * bS,
                  unexplained = xA * (bA - bS) + xB * (bS - bB),
                  unexplained_a = xA * (bA - bS), unexplained_b = xB * (bS - bB))
    mA <- sum(xA * bA); mB <- sum(xB * bB)
  } else {
    Fm <- function(rows, b) sum(ww[rows] * plogis(X[rows, ] %*% b)) / sum(ww[rows])
    mA <- Fm(A, bA); mB <- Fm(!A, bB); eA <- Fm(A, bS); eB <- Fm(!A, bS)
    Q <- eA - eB; U <- (mA - mB) - Q
    share <- function(total, num) if (all(num == 0)) 0 * num else total * num / sum(num)
    rows <- rbind(explained = share(Q, (xA - xB) * bS),
                  unexplained = share(U, xA * (bA - bS) + xB * (bS - bB)),
                  unexplained_a = share(mA - eA, xA * (bA - bS)),
                  unexplained_b = share(eB - mB, xB * (bS - bB)))
  }
  colnames(rows) <- sub("^X", "", k)
  detail <- as.vector(t(rows))
  names(detail) <- as.vector(outer(colnames(rows), rownames(rows), function(t, p) paste0(p, ":", t)))
  out <- c(detail, rowSums(rows), gap = mA - mB, mean_a = mA, mean_b = mB)
  attr(out, "start") <- list(A = unname(bA), B = unname(bB), S = unname(bS.all))
  out
}

# The decomposition above equals oaxaca::oaxaca (unweighted; its twofold row group.weight = -2).
api1 <- read.csv("apiclus1.csv")
api1$e <- as.numeric(api1$stype == "E")
chk <- decomp(rep(1, nrow(api1)), api1, api00 ~ ell + meals + mobility)
o <- oaxaca(api00 ~ ell + meals + mobility | e, data = api1, R = NULL)
stopifnot(isTRUE(all.equal(unname(chk[c("endowments", "coefficients", "interaction")]),
                           unname(o$threefold$overall[c(1, 3, 5)]), tolerance = 1e-12)))
two <- o$twofold$overall[o$twofold$overall[, "group.weight"] == -2, ]
stopifnot(isTRUE(all.equal(unname(chk[c("explained", "unexplained", "unexplained_a", "unexplained_b")]),
                           unname(two[c(2, 4, 6, 8)]), tolerance = 1e-12)))
stopifnot(isTRUE(all.equal(unname(chk[paste0("endowments:", c("(Intercept)", "ell", "meals", "mobility"))]),
                           unname(o$threefold$variables[, 1]), tolerance = 1e-12)))
stopifnot(isTRUE(all.equal(unname(chk[paste0("explained:", c("(Intercept)", "ell", "meals", "mobility"))]),
                           unname(o$twofold$variables[[6]][, "coef(explained)"]), tolerance = 1e-12)))

repdesign <- function(nm, mse = FALSE) {
  base <- read.csv(if (nm == "jkn") "apistrat.csv" else "apiclus1.csv")
  base$e <- as.numeric(base$stype == "E")
  base$yes <- as.numeric(base$sch.wide == "Yes")
  rw <- read.csv(paste0("rep_", nm, ".csv"))
  stopifnot(all(rw$snum == base$snum))
  cols <- grep("^rw", names(rw), value = TRUE)
  svrepdesign(data = base, repweights = as.matrix(rw[, cols]), weights = ~pw,
              type = c(jk1 = "JK1", boot = "bootstrap", jkn = "JKn")[[nm]],
              scale = refval(paste0("rep_", nm), "scale"),
              rscales = refval(paste0("rep_", nm), "rscales"), combined.weights = TRUE, mse = mse)
}

cases <- list(
  list(case = "oaxaca_jk1", nm = "jk1", f = api00 ~ ell + meals + mobility),
  list(case = "oaxaca_boot", nm = "boot", f = api00 ~ ell + meals + mobility),
  list(case = "oaxaca_jkn", nm = "jkn", f = api00 ~ ell + meals + mobility),
  # missing values in a regressor (acs.46): the complete rows, with the whole replicate design
  list(case = "oaxaca_na_jk1", nm = "jk1", f = api00 ~ ell + acs.46),
  # a subpopulation: subset(design, sch.wide == "Yes")
  list(case = "oaxaca_sub_jk1", nm = "jk1", f = api00 ~ ell + meals, sub = TRUE),
  list(case = "oaxaca_neumark_mse_boot", nm = "boot", f = api00 ~ ell + meals + mobility,
       reference = "neumark", mse = TRUE),
  list(case = "oaxaca_logit_jk1", nm = "jk1", f = yes ~ ell + meals, model = "logit")
)
out <- list()
for (cs in cases) {
  des <- repdesign(cs$nm, mse = isTRUE(cs$mse))
  if (isTRUE(cs$sub)) des <- subset(des, sch.wide == "Yes")
  model <- if (is.null(cs$model)) "linear" else cs$model
  reference <- if (is.null(cs$reference)) "pooled" else cs$reference
  full <- decomp(weights(des, "sampling"), des$variables, cs$f, model, reference)
  r <- withReplicates(des, function(w, data) {
    c(decomp(w, data, cs$f, model, reference, start = attr(full, "start")))
  })
  est <- coef(r)
  se <- sqrt(diag(as.matrix(vcov(r))))
  out[[length(out) + 1]] <- data.frame(case = cs$case, term = names(est),
                                       estimate = sprintf("%.17g", est), se = sprintf("%.17g", se))
}
write.csv(do.call(rbind, out), "oaxaca_rep.csv", row.names = FALSE)
cat(sprintf("R %s, survey %s, oaxaca %s\n", getRversion(), packageVersion("survey"),
            packageVersion("oaxaca")))
