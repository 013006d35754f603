# The delete-one-council jackknife of a weighted wave, each replicate raked again, in
# R's survey: as.svrepdesign(type = "JK1") of the design on the base weights, then
# rake() to the same margins and totals as the weight stage's. Reads in.csv (code,
# base_weight, the calibration_* categories, the answer y) and totals.csv (margin,
# category, total); writes estimates.csv (category, share, se) and the replicate
# weights' largest relative margin error.
suppressPackageStartupMessages(library(survey))
args <- commandArgs(trailingOnly = TRUE)
dir <- args[1]
d <- read.csv(file.path(dir, "in.csv"), colClasses = "character")
d$base_weight <- as.numeric(d$base_weight)
d$y <- factor(d$y)
tot <- read.csv(file.path(dir, "totals.csv"), colClasses = c("character", "character", "numeric"))
margins <- unique(tot$margin)
pops <- lapply(margins, function(m) {
  t <- tot[tot$margin == m, ]
  p <- data.frame(t$category, t$total)
  names(p) <- c(m, "Freq")
  p
})
formulas <- lapply(margins, function(m) as.formula(paste0("~", m)))
jk <- rake(as.svrepdesign(svydesign(id = ~code, weights = ~base_weight, data = d),
                          type = "JK1", compress = FALSE),
           formulas, pops, control = list(maxit = 10000, epsilon = 1e-12))
m <- svymean(~y, jk, na.rm = TRUE)
write.csv(data.frame(category = sub("^y", "", names(coef(m))), share = coef(m), se = SE(m)),
          file.path(dir, "estimates.csv"), row.names = FALSE)
# every replicate meets every margin again
rw <- as.matrix(weights(jk, type = "analysis"))
err <- 0
for (m in margins) {
  t <- tot[tot$margin == m, ]
  got <- rowsum(rw, d[[m]])
  err <- max(err, abs(got[t$category, ] / t$total - 1))
}
writeLines(format(err, digits = 17), file.path(dir, "margin_error.txt"))
