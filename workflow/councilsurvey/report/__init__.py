"""Reader-facing output: figures, notebook helpers and README sections."""
