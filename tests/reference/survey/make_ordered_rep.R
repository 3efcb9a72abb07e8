# Ordered logit/probit on replicate-weight designs: survey::svyolr on svrepdesign (survey 4.1).
# survey 4.1's svyolr.svyrep.design refits the replicates without its `method` argument (always
# logistic), so the probit reference repeats its computation (MASS::polr per replicate weight,
# survey::svrVar around the full-sample fit) with method = "probit" passed on.
# Reads the JK1 and bootstrap replicate weights stored by make_reference.R; writes ordered_rep.csv.
# Run from this folder: Rscript make_ordered_rep.R
suppressPackageStartupMessages(library(survey))
api <- read.csv("apiclus1.csv")
api$stype <- factor(api$stype, levels = c("E", "M", "H"), ordered = TRUE)
ref <- read.csv("reference.csv", colClasses = c(value = "character"))
out <- list()
for (nm in c("jk1", "boot")) {
  rw <- read.csv(paste0("rep_", nm, ".csv"))
  stopifnot(all(rw$snum == api$snum))
  cols <- grep("^rw", names(rw), value = TRUE)
  sc <- as.numeric(ref$value[ref$case == paste0("rep_", nm) & ref$stat == "scale"])
  rs <- as.numeric(ref$value[ref$case == paste0("rep_", nm) & ref$stat == "rscales"])
  rd <- svrepdesign(data = cbind(api, rw[, cols]), repweights = as.matrix(rw[, cols]),
                    weights = ~pw, type = if (nm == "jk1") "JK1" else "bootstrap",
                    scale = sc, rscales = rs, combined.weights = TRUE)
  for (method in c("logistic", "probit")) {
    if (method == "logistic") {
      m <- svyolr(stype ~ ell + meals, design = rd)
      est <- c(coef(m)); se <- sqrt(diag(vcov(m)))
    } else {
      df <- rd$variables
      full <- MASS::polr(stype ~ ell + meals, data = df, weights = pw, method = method)
      est <- c(full$coefficients, full$zeta)
      betas <- apply(weights(rd, "analysis"), 2, function(w) {
        m <- MASS::polr(stype ~ ell + meals, data = df, weights = w, method = method,
                        start = est)
        c(m$coefficients, m$zeta)
      })
      se <- sqrt(diag(as.matrix(svrVar(t(betas), rd$scale, rd$rscales, mse = rd$mse, coef = est))))
    }
    out[[length(out) + 1]] <- data.frame(case = paste0("ordered_", method, "_", nm),
                                         term = names(est), estimate = sprintf("%.17g", est),
                                         se = sprintf("%.17g", se))
  }
}
write.csv(do.call(rbind, out), "ordered_rep.csv", row.names = FALSE)
