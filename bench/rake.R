# R side of bench/rake_vs_r.py: survey::rake() on the same respondents and margins.
#   Rscript bench/rake.R data.csv population.csv maxit epsilon repeats out_dir
# Only the rake() call is timed (system.time: elapsed, and CPU = user + system), `repeats`
# times; reading the data and building the design are not. Writes <out_dir>/r_times.csv
# (one row per run)
# and <out_dir>/r_weights.csv (the last run's weights, in the data's row order).
suppressPackageStartupMessages(library(survey))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1], stringsAsFactors = FALSE)
pop <- read.csv(args[2], stringsAsFactors = FALSE)
maxit <- as.integer(args[3]); epsilon <- as.numeric(args[4])
repeats <- as.integer(args[5]); out <- args[6]

base <- svydesign(ids = ~code, weights = ~base_weight, data = d)
margins <- unique(pop$margin)
sample_margins <- lapply(margins, function(m) as.formula(paste0("~", m)))
population_margins <- lapply(margins, function(m) {
  p <- pop[pop$margin == m, c("category", "seats")]
  names(p) <- c(m, "Freq")
  p
})
times <- numeric(repeats)
cpu <- numeric(repeats)
converged <- logical(repeats)
for (i in seq_len(repeats)) {
  warned <- FALSE
  st <- system.time(
    raked <- withCallingHandlers(
      rake(base, sample_margins, population_margins,
           control = list(maxit = maxit, epsilon = epsilon, verbose = FALSE)),
      warning = function(w) { warned <<- TRUE; invokeRestart("muffleWarning") }
    )
  )
  times[i] <- st[["elapsed"]]
  cpu[i] <- st[["user.self"]] + st[["sys.self"]]
  converged[i] <- !warned
}
write.csv(data.frame(run = seq_len(repeats), seconds = times, cpu_seconds = cpu,
                     converged = converged),
          file.path(out, "r_times.csv"), row.names = FALSE)
write.csv(data.frame(r_weight = weights(raked)), file.path(out, "r_weights.csv"),
          row.names = FALSE)
cat(sprintf("R %s, survey %s: rake() %s s\n", getRversion(), packageVersion("survey"),
            paste(sprintf("%.2f", times), collapse = ", ")))
