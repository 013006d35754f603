# Independent check of stratified designs, with and without the finite-population
# correction, with R's survey package. Called by tests/test_against_r.py:
#   Rscript strata.R design.csv outdir
# design.csv: code (PSU), type (stratum), n_councils (councils of the type in the frame),
# weight and the variables below.
suppressPackageStartupMessages(library(survey))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1], stringsAsFactors = FALSE, na.strings = "")
out <- args[2]
d$party_group <- relevel(factor(d$party_group), ref = "Conservative")
props <- list(); tests <- list(); coefs <- list(); means <- list()
for (fpc in c("none", "n_councils")) {
  des <- if (fpc == "none") {
    svydesign(ids = ~code, strata = ~type, weights = ~weight, data = d)
  } else {
    svydesign(ids = ~code, strata = ~type, fpc = ~n_councils, weights = ~weight, data = d)
  }
  for (v in c("overall_impact", "exclusion_major_issue")) {
    m <- svymean(as.formula(paste0("~factor(", v, ")")), subset(des, !is.na(d[[v]])))
    props[[paste(fpc, v)]] <- data.frame(
      fpc = fpc, variable = v, category = sub(paste0("factor\\(", v, "\\)"), "", names(coef(m))),
      share = as.numeric(coef(m)), se = as.numeric(SE(m)))
  }
  by <- svyby(~att_cyber, ~party_group, subset(des, !is.na(att_cyber)), svymean)
  means[[fpc]] <- data.frame(fpc = fpc, segment = as.character(by$party_group),
                             mean = by$att_cyber, se = SE(by))
  sub <- subset(des, !is.na(party_group) & !is.na(has_digital_strategy))
  rf <- svychisq(~party_group + has_digital_strategy, sub, statistic = "F")
  rc <- svychisq(~party_group + has_digital_strategy, sub, statistic = "Chisq")
  tests[[fpc]] <- data.frame(
    fpc = fpc, f = unname(rf$statistic), df_num = unname(rf$parameter[1]),
    df_den = unname(rf$parameter[2]), p = rf$p.value, chisq = unname(rc$statistic),
    chisq_p = rc$p.value)
  fit <- svyglm(agrees_big_data ~ party_group, design = subset(des, !is.na(agrees_big_data)),
                family = quasibinomial(), control = glm.control(epsilon = 1e-12, maxit = 100))
  s <- summary(fit)$coefficients
  coefs[[fpc]] <- data.frame(fpc = fpc, estimate = s[, 1], se = s[, 2],
                             df = fit$df.residual)
}
write.csv(do.call(rbind, props), file.path(out, "strata_proportions.csv"), row.names = FALSE)
write.csv(do.call(rbind, tests), file.path(out, "strata_tests.csv"), row.names = FALSE)
write.csv(do.call(rbind, means), file.path(out, "strata_means.csv"), row.names = FALSE)
write.csv(do.call(rbind, coefs), file.path(out, "strata_logistic.csv"), row.names = FALSE)
