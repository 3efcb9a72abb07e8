# Independent, claim-by-claim R implementation of the Jiamusi 2018 resident-scheme rules
# (data/schedules/jiamusi_2018_urrbmi.toml), used to check dp.benefits.reimburse.
# Run from this folder:  Rscript make_reference.R   -> expected_jiamusi_2018.csv
claims <- read.csv("claims.csv", stringsAsFactors = FALSE, na.strings = "")
ded <- c(township_health_center = 200, level1_hospital = 300, level2_hospital = 400, level3_hospital = 700)
rate <- c(township_health_center = 0.90, level1_hospital = 0.80, level2_hospital = 0.75, level3_hospital = 0.65)
oa_ded <- c(in_province = 1000, cross_province = 1500, no_referral = 1500)
oa_rate <- c(in_province = 0.60, cross_province = 0.50, no_referral = 0.40)
basic_ceiling <- 80000
ci_threshold <- 10000; ci_rate <- 0.5; ci_ceiling <- 200000
op_rate <- 0.5; op_ceiling <- 100

ord <- order(claims$person_id, claims$year, claims$day)
acc <- list()
res <- data.frame(claim_id = claims$claim_id, basic = 0, critical_illness = 0, outpatient = 0)
for (i in ord) {
  cl <- claims[i, ]
  key <- paste(cl$person_id, cl$year)
  if (is.null(acc[[key]])) acc[[key]] <- c(basic = 0, oop = 0, ci = 0, op = 0)
  a <- acc[[key]]
  poor <- !is.na(cl$group) && cl$group == "poor_and_special_groups"
  e <- cl$cost * cl$scope_share
  if (cl$setting == "outpatient") {
    pay <- min(op_rate * e, op_ceiling - a["op"])
    a["op"] <- a["op"] + pay
    res$outpatient[i] <- pay
  } else {
    if (is.na(cl$area)) {
      d <- ded[[cl$level]]; r <- min(rate[[cl$level]] + if (poor) 0.05 else 0, 1)
    } else {
      d <- oa_ded[[cl$area]]; r <- oa_rate[[cl$area]]
    }
    b <- min(max(e - d, 0) * r, max(basic_ceiling - a["basic"], 0))
    a["basic"] <- a["basic"] + b
    oop_before <- a["oop"]; a["oop"] <- a["oop"] + e - b
    thr <- if (poor) ci_threshold / 2 else ci_threshold
    cap <- if (poor) Inf else ci_ceiling
    due <- ci_rate * (max(a["oop"] - thr, 0) - max(oop_before - thr, 0))
    ci <- min(due, max(cap - a["ci"], 0))
    a["ci"] <- a["ci"] + ci
    res$basic[i] <- b
    res$critical_illness[i] <- ci
  }
  acc[[key]] <- a
}
res$reimbursed <- res$basic + res$critical_illness + res$outpatient
write.csv(res, "expected_jiamusi_2018.csv", row.names = FALSE)
cat(R.version.string, "\n", file = "r_version.txt")
