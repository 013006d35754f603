"""councilsurvey: a reproducible pipeline for surveys of elected councillors.

Layers, bottom to top (each imports only from the layers below it; tests/test_layers.py)
-----------------------------------------------------------------------------------------
core      errors, YAML, atomic writers, fingerprints, the data statement
inputs    the instrument, codebooks, council frames and survey-tool export readers
cleaning  the clean stage: recoding, council matching, pseudonyms and redaction
survey    the design object, weighting and design-based estimation
analysis  segments, attitude tests, trends, published-claims checks, robustness
report    figures, notebook helpers and README sections
publish   bundles: disclosure control, provenance, RO-Crate, manifests, bundle diffs
pipeline  paths of every stage's files, stage functions, the script runner, verify
dev       test-data generators (no rule takes them as input)

Importing the package arranges that SciPy and matplotlib, when a stage imports them, skip
the documentation they write at import time (:mod:`councilsurvey.core.light_imports`: the
same functions, results and figures, for a fifth to a quarter less CPU per import).
"""

from councilsurvey.core import light_imports as _light_imports

_light_imports.install()

__version__ = "0.1.0"
