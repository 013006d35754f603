# Textbook designs of R's survey package on its own `api` data (California schools),
# for tests/test_against_r_api.py:  Rscript api.R outdir
# Writes the data the estimates are made on (with missing values placed
# deterministically) and R's estimates on each design.
suppressPackageStartupMessages(library(survey))
out <- commandArgs(trailingOnly = TRUE)[1]
data(api)
keep <- c("snum", "dnum", "stype", "sch.wide", "awards", "api00", "enroll", "pw", "fpc")

# missing values: every 7th school has no `awards`, every 11th no `enroll`
miss <- function(d) {
  d$awards <- as.character(d$awards); d$sch.wide <- as.character(d$sch.wide)
  d$stype <- as.character(d$stype)
  d$awards[seq_len(nrow(d)) %% 7 == 0] <- NA
  d$enroll[seq_len(nrow(d)) %% 11 == 0] <- NA
  d[, keep]
}
strat <- miss(apistrat); clus1 <- miss(apiclus1)
write.csv(strat, file.path(out, "apistrat.csv"), row.names = FALSE, na = "")
write.csv(clus1, file.path(out, "apiclus1.csv"), row.names = FALSE, na = "")

rows <- list()
add <- function(design, what, term, estimate, se = NA, df = NA, extra = NA) {
  rows[[length(rows) + 1]] <<- data.frame(design = design, what = what, term = term,
                                          estimate = as.numeric(estimate)[1],
                                          se = as.numeric(se)[1], df = as.numeric(df)[1],
                                          extra = as.numeric(extra)[1])
}
estimates <- function(name, des) {
  m <- svymean(~api00, des); add(name, "mean", "api00", coef(m), SE(m), degf(des))
  t <- svytotal(~enroll, des, na.rm = TRUE); add(name, "total", "enroll", coef(t), SE(t))
  # na.rm = TRUE: a domain of those answering (subset(); a factor() of the variable in
  # the formula gives NA on a raked design, the margins' columns being re-evaluated)
  p <- svymean(~awards, des, na.rm = TRUE)
  for (k in seq_along(coef(p))) {
    add(name, "prop", sub("^awards", "", names(coef(p))[k]), coef(p)[k], SE(p)[k])
  }
  sub <- subset(des, !is.na(awards) & !is.na(sch.wide))
  f <- svychisq(~sch.wide + awards, sub, statistic = "F")
  add(name, "chisq_f", "sch.wide:awards", unname(f$statistic), NA, unname(f$parameter[2]),
      unname(f$parameter[1]))
  add(name, "chisq_p", "sch.wide:awards", f$p.value)
  fit <- svyglm(I(sch.wide == "Yes") ~ stype, design = subset(des, !is.na(awards)),
                family = quasibinomial())
  s <- summary(fit)$coefficients
  for (k in seq_len(nrow(s))) add(name, "logistic", rownames(s)[k], s[k, 1], s[k, 2])
  dom <- svymean(~api00, subset(des, stype == "E"))
  add(name, "domain_mean", "api00|stype=E", coef(dom), SE(dom))
}

strat$stype <- relevel(factor(strat$stype), ref = "E")
clus1$stype <- relevel(factor(clus1$stype), ref = "E")
dstrat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = strat)
estimates("strat_fpc", dstrat)
estimates("strat", svydesign(id = ~1, strata = ~stype, weights = ~pw, data = strat))
dclus1 <- svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = clus1)
estimates("clus1_fpc", dclus1)
estimates("clus1", svydesign(id = ~dnum, weights = ~pw, data = clus1))
# raking (the example of ?rake): school type and sch.wide population counts
pop.types <- data.frame(stype = c("E", "H", "M"), Freq = c(4421, 755, 1018))
pop.schwide <- data.frame(sch.wide = c("No", "Yes"), Freq = c(1072, 5122))
rclus1 <- rake(dclus1, list(~stype, ~sch.wide), list(pop.types, pop.schwide),
               control = list(maxit = 1000, epsilon = 1e-13))
estimates("clus1_raked", rclus1)
write.csv(data.frame(snum = clus1$snum, weight = weights(rclus1)),
          file.path(out, "rclus1_weights.csv"), row.names = FALSE)

# replicate weights: delete-one-district jackknife (JK1), each replicate raked again
# (without fpc, as the waves' designs: R's JK1 would scale by 1 - n/N with it)
jk <- rake(as.svrepdesign(svydesign(id = ~dnum, weights = ~pw, data = clus1), type = "JK1",
                          compress = FALSE), list(~stype, ~sch.wide),
           list(pop.types, pop.schwide), control = list(maxit = 1000, epsilon = 1e-13))
m <- svymean(~api00, jk); add("clus1_jk1_raked", "mean", "api00", coef(m), SE(m))
t <- svytotal(~enroll, jk, na.rm = TRUE); add("clus1_jk1_raked", "total", "enroll", coef(t), SE(t))
p <- svymean(~awards, jk, na.rm = TRUE)
for (k in seq_along(coef(p))) {
  add("clus1_jk1_raked", "prop", sub("^awards", "", names(coef(p))[k]), coef(p)[k], SE(p)[k])
}

# lonely PSUs: apistrat with a single high school
lone <- strat[strat$stype != "H" | seq_len(nrow(strat)) == which(strat$stype == "H")[1], ]
write.csv(lone, file.path(out, "apistrat_lonely.csv"), row.names = FALSE, na = "")
for (opt in c("adjust", "average", "remove", "certainty")) {
  options(survey.lonely.psu = opt)
  m <- svymean(~api00, svydesign(id = ~1, strata = ~stype, weights = ~pw, data = lone))
  add(paste0("lonely_", opt), "mean", "api00", coef(m), SE(m))
}
options(survey.lonely.psu = "fail")
failed <- tryCatch({
  svymean(~api00, svydesign(id = ~1, strata = ~stype, weights = ~pw, data = lone)); "no"
}, error = function(e) "yes")
add("lonely_fail", "fails", "api00", as.numeric(failed == "yes"))
write.csv(do.call(rbind, rows), file.path(out, "estimates.csv"), row.names = FALSE)
