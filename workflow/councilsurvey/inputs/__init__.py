"""Raw inputs: the instrument, codebooks, council frames and survey-tool export readers."""
