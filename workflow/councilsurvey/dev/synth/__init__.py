"""Seeded generator of the synthetic bundled wave (a SurveyMonkey-style export).

The microdata of "The Start of the Possible" (LGiU, 2017) are not public. This module
reconstructs a plausible export that agrees with the report's published figures, so that
the pipeline can be run, tested and reviewed end to end. **It is synthetic**: no row is a
real councillor. It is run once by a developer to write ``data/raw/<wave>/`` and never by
the pipeline (raw data is an immutable input)::

    python -m councilsurvey.dev.synth --wave 2017 --seed 2017 --out data/raw/2017

It writes the export and ``codebook.yaml``; ``wave.yaml`` (fieldwork, frame year) is written
by hand. The 2017 export was drawn from the May-2017 frame (``--frame``, default
``councils_england_2017.csv``), and keeps being drawn from it so that it stays byte for
byte the bundled file; the pipeline weights the wave to the frame of its ``wave.yaml``
(2016: the councils before the May 2017 elections). Both frames have the same 353
councils, so every drawn council is in the frame the wave is weighted to. The export's
timestamps (from 2016-10-17) are invented: the real fieldwork dates were not published.

How it is built
---------------
1. **Councils**: 278 of the frame's 353 councils are drawn with probabilities that
   favour London boroughs, metropolitan and county councils over districts (as opt-in
   surveys do); 808 respondents are spread over them in proportion to seats, at least
   one each.
2. **Respondents**: party is drawn from the council's seats by party with Labour,
   Liberal Democrat and Green members more likely to respond; cabinet members are
   over-represented among roles; age, tenure and gender follow councillor censuses in
   broad strokes.
3. **Attitudes** come from one latent attitude to technology (depending on party, age,
   role and tenure) through an ordinal item model with item loadings, so items are
   correlated. The segments are fixed first by ranking the latent score (373
   enthusiasts, 118 sceptics, the rest middle or unclassified) and the three benefit
   items are then drawn to satisfy the segment rule. ``att_wellbeing`` is set so that
   exactly the published share of those answering agree; ``has_digital_strategy``
   follows a council-level truth with respondent noise, ranked to the published third.
4. **Dirt**: exact duplicates, resubmissions from the same email, partial responses,
   test submissions, members of Welsh and Scottish councils, unmatchable and ambiguous
   council names, and council names typed as variants or misspelt. Each variant is
   checked against the project's matcher so that the cleaned data has exactly the
   published numbers of respondents and councils.

Modules
-------
:mod:`~councilsurvey.dev.synth.population`
    Steps 1 to 3: councils, respondents, attitudes and strategy answers.
:mod:`~councilsurvey.dev.synth.texts`
    Invented names and free-text answers; council names as respondents type them.
:mod:`~councilsurvey.dev.synth.answers`
    Step 4: the submissions, dirt included (:func:`generate`).
:mod:`~councilsurvey.dev.synth.exports`
    Writing the export as SurveyMonkey does (CSV, SPSS .sav).
:mod:`~councilsurvey.dev.synth.waves`
    Building and checking the bundled 2017 and 2019 waves (:func:`build`,
    :func:`build_2019`, :func:`check`).
:mod:`~councilsurvey.dev.synth.large`
    Large seeded waves for benchmarks (:func:`large_export`, :func:`write_large_export`,
    :func:`large_responses`).
:mod:`~councilsurvey.dev.synth.cli`
    The command line above.
"""

from councilsurvey.dev.synth.answers import generate, truth
from councilsurvey.dev.synth.exports import column_order, csv_body, option_key, to_csv, to_sav
from councilsurvey.dev.synth.large import (
    LARGE_DIRT,
    LARGE_PARTIES,
    council_variants,
    large_export,
    large_responses,
    write_large_export,
)
from councilsurvey.dev.synth.noise import UNMATCHABLE, WELSH_SCOTTISH, NameTyper
from councilsurvey.dev.synth.population import PUBLISHED
from councilsurvey.dev.synth.rules import CleaningRules, segment
from councilsurvey.dev.synth.waves import (
    TARGETS_2019,
    Built,
    build,
    build_2019,
    drawn_figures,
    export_bytes,
)

__all__ = [
    "LARGE_DIRT",
    "LARGE_PARTIES",
    "PUBLISHED",
    "TARGETS_2019",
    "UNMATCHABLE",
    "WELSH_SCOTTISH",
    "Built",
    "CleaningRules",
    "NameTyper",
    "build",
    "build_2019",
    "column_order",
    "council_variants",
    "csv_body",
    "drawn_figures",
    "export_bytes",
    "generate",
    "large_export",
    "large_responses",
    "option_key",
    "segment",
    "to_csv",
    "to_sav",
    "truth",
    "write_large_export",
]
