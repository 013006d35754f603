"""The pipeline: paths of every stage's files, stage functions, the script runner, verify."""
