# Independent check of councilsurvey's weighting and design-based estimates with R's
# survey package. Called by tests/test_against_r.py:
#   Rscript crosscheck.R weighted.csv population.csv maxit epsilon outdir
suppressPackageStartupMessages(library(survey))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1], stringsAsFactors = FALSE, na.strings = "")
pop <- read.csv(args[2], stringsAsFactors = FALSE)
maxit <- as.integer(args[3]); epsilon <- as.numeric(args[4]); out <- args[5]

# 1. raking of the base weights, councils as clusters. R's `epsilon` (below 1) is scaled by
# the sum of weights and compared with the largest change of a cell total between two
# sweeps, so with slowly converging sparse margins R's loose default stops well short of
# the fixed point: the test passes a small epsilon so that R converges fully.
# the logistic model's reference levels (step 4), set before the designs are made
d$party_group <- relevel(factor(d$party_group), ref = "Conservative")
d$type <- relevel(factor(d$type), ref = "district")
base <- svydesign(ids = ~code, weights = ~base_weight, data = d)
margins <- unique(pop$margin)
sample_margins <- lapply(margins, function(m) as.formula(paste0("~", m)))
population_margins <- lapply(margins, function(m) {
  p <- pop[pop$margin == m, c("category", "seats")]
  names(p) <- c(m, "Freq")
  p
})
raked <- rake(base, sample_margins, population_margins,
              control = list(maxit = maxit, epsilon = epsilon, verbose = FALSE))
write.csv(data.frame(respondent_id = d$respondent_id, r_weight = weights(raked)),
          file.path(out, "weights.csv"), row.names = FALSE)

# 2.-4. estimates on two designs: the final weights taken as fixed, and R's own raked
# design (rake() of the coverage-weighted design), whose variance accounts for the raking
# (`raked` is the design of step 1)
fixed <- svydesign(ids = ~code, weights = ~weight, data = d)
props <- list(); tests <- list(); logit <- list()
for (kind in c("fixed", "raked")) {
  des <- if (kind == "fixed") fixed else raked
  # 2. proportions (missing values: a domain of the full design, as subset() keeps it)
  for (v in c("has_digital_strategy", "overall_impact", "party_group", "wellbeing_positive",
              "segment")) {
    f <- as.formula(paste0("~factor(", v, ")"))
    m <- svymean(f, subset(des, !is.na(d[[v]])), na.rm = TRUE)
    props[[paste(kind, v)]] <- data.frame(
      design = kind, variable = v,
      category = sub(paste0("factor\\(", v, "\\)"), "", names(coef(m))),
      share = as.numeric(coef(m)), se = as.numeric(SE(m)))
  }
  # 3. Rao-Scott tests of independence
  for (pair in list(c("party_group", "has_digital_strategy"), c("type", "exclusion_major_issue"),
                    c("region", "has_digital_strategy"))) {
    f <- as.formula(paste0("~", pair[1], "+", pair[2]))
    sub <- subset(des, !is.na(d[[pair[1]]]) & !is.na(d[[pair[2]]]))
    rf <- svychisq(f, sub, statistic = "F")
    rc <- svychisq(f, sub, statistic = "Chisq")
    tests[[paste(kind, pair[1], pair[2])]] <- data.frame(
      design = kind, row = pair[1], col = pair[2], f = unname(rf$statistic),
      df_num = unname(rf$parameter[1]), df_den = unname(rf$parameter[2]), p = rf$p.value,
      chisq = unname(rc$statistic), chisq_df = unname(rc$parameter), chisq_p = rc$p.value)
  }
  # 4. survey-weighted logistic regression
  fit <- svyglm(agrees_big_data ~ party_group + type, design = des, family = quasibinomial(),
                control = glm.control(epsilon = 1e-12, maxit = 100))
  s <- summary(fit)$coefficients
  logit[[kind]] <- data.frame(design = kind, term = rownames(s), estimate = s[, 1], se = s[, 2])
}
write.csv(do.call(rbind, props), file.path(out, "proportions.csv"), row.names = FALSE)
write.csv(do.call(rbind, tests), file.path(out, "tests.csv"), row.names = FALSE)
write.csv(do.call(rbind, logit), file.path(out, "logistic.csv"), row.names = FALSE)
