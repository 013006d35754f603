# Shares of 0/1 indicators among those answering, on a cluster design, for
# tests/test_themes.py:  Rscript shares.R data.csv out.csv
# data.csv: code (cluster), weight, and one column per indicator (0, 1 or blank).
# For each indicator: the design-based share of 1 among the non-missing (a domain: the
# design is subset, not the data), its linearised standard error, and the logit interval
# of svyciprop with the subset design's degrees of freedom.
suppressPackageStartupMessages(library(survey))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1], stringsAsFactors = FALSE)
des <- svydesign(id = ~code, weights = ~weight, data = d)
rows <- list()
for (v in setdiff(names(d), c("code", "weight"))) {
  sub <- subset(des, !is.na(d[[v]]))
  f <- as.formula(paste0("~", v))
  m <- svymean(f, sub)
  ci <- confint(svyciprop(as.formula(paste0("~I(", v, " == 1)")), sub, method = "logit",
                          df = degf(sub)))
  rows[[length(rows) + 1]] <- data.frame(indicator = v, n = sum(!is.na(d[[v]])),
                                         share = unname(coef(m)), se = unname(SE(m)[1]),
                                         lci = ci[1], uci = ci[2], df = degf(sub))
}
write.csv(do.call(rbind, rows), args[2], row.names = FALSE)
