"""councilsurvey: a reproducible pipeline for surveys of elected councillors.

Modules
-------
instrument  the questionnaire: variable ids, options, Likert coding, segment rule
codebook    per-wave mapping of export headers and answer texts to variables and codes
frame       the council population frame and its schema checks
export      reading survey-tool exports (SurveyMonkey two-row CSV) through a codebook
matching    council-name matching to frame codes (exact, normalised, fuzzy)
cleaning    the clean stage: exclusions, repairs, pseudonymisation, cleaning log
segments    the default segmentation rule
synth       the seeded generator of the synthetic bundled wave (never run by the pipeline)
"""

__version__ = "0.1.0"
