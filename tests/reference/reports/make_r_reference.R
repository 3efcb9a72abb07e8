# Reference values for disparity.reports summary_table / balance_table.
# Run from the repository root:  Rscript tests/reference/reports/make_r_reference.R
# Input: tests/reference/models/survey_sample.csv (400 rows; made by tests/reference/models/make_data.py).
suppressPackageStartupMessages({library(sandwich); library(lmtest); library(survey)})
d <- read.csv("tests/reference/models/survey_sample.csv")
d$fw <- 1 + (d$hh %% 3)                      # integer replication counts 1..3
vars <- c("x1", "x2", "y")
rows <- list()
des <- svydesign(ids = ~1, weights = ~w, data = d)
for (v in vars) {
  x <- d[[v]]
  # Welch two-sample t-test, group yb = 1 minus yb = 0
  tt <- t.test(x[d$yb == 1], x[d$yb == 0], var.equal = FALSE)
  # weighted difference: WLS on the group dummy, HC1 (sandwich), t with n - 2 df
  fit <- lm(as.formula(paste(v, "~ yb")), data = d, weights = w)
  ct <- coeftest(fit, vcov. = vcovHC(fit, type = "HC1"))
  # aweight SD: survey::svyvar (divisor n - 1 after normalising the weights)
  sv <- svyvar(as.formula(paste0("~", v)), des)
  # fweight SD and lower weighted median: on the replicated sample
  xr <- rep(x, times = d$fw)
  rows[[v]] <- data.frame(
    variable = v,
    mean_0 = mean(x[d$yb == 0]), mean_1 = mean(x[d$yb == 1]),
    welch_t = unname(tt$statistic), welch_p = tt$p.value,
    wmean_0 = weighted.mean(x[d$yb == 0], d$w[d$yb == 0]),
    wmean_1 = weighted.mean(x[d$yb == 1], d$w[d$yb == 1]),
    wls_t = ct["yb", "t value"], wls_p = ct["yb", "Pr(>|t|)"],
    wmean = weighted.mean(x, d$w), asd = sqrt(as.numeric(sv)),
    fmean = mean(xr), fsd = sd(xr), fn = length(xr),
    fmedian = unname(quantile(xr, 0.5, type = 1)),
    sd = sd(x), median = median(x)
  )
}
out <- do.call(rbind, rows)
write.csv(format(out, digits = 17), "tests/reference/reports/r_reference_summary.csv", row.names = FALSE, quote = FALSE)
writeLines(c(R.version.string,
             paste("survey", packageVersion("survey")),
             paste("sandwich", packageVersion("sandwich")),
             paste("lmtest", packageVersion("lmtest"))),
           "tests/reference/reports/r_version.txt")
