"""Seeded generator of the synthetic bundled waves (SurveyMonkey CSV and SPSS exports).

The microdata of "The Start of the Possible" (LGiU, 2017) are not public. This module
reconstructs a plausible export that agrees with the report's published figures, so that
the pipeline can be run, tested and reviewed end to end. **It is synthetic**: no row is a
real councillor. It is run once by a developer to write ``data/raw/<wave>/`` and never by
the pipeline (raw data is an immutable input)::

    python -m councilsurvey.dev.synth --wave 2017 --seed 2017 --out data/raw/2017

It writes the export, ``codebook.yaml`` and ``truth.csv``; ``wave.yaml`` (fieldwork, frame
year) is written by hand. The 2017 export is drawn from the May-2017 frame (``--frame``,
default ``councils_england_2017.csv``); the pipeline weights the wave to the frame of its
``wave.yaml`` (2016: the councils before the May 2017 elections). Both frames have the
same 353 councils, so every drawn council is in the frame the wave is weighted to. The
export's timestamps are invented: the real fieldwork dates were not published.

Independence
------------
The generator never runs the project's cleaner, council matcher or segment classifier,
and imports nothing from ``councilsurvey.cleaning``, ``councilsurvey.analysis`` or
``councilsurvey.pipeline`` (``tests/test_synth.py`` parses every module's imports). It
reads the instrument, the frames (``councilsurvey.inputs``), the values of the cleaning
rules (``config.yaml`` ``cleaning:``) and the questionnaire's segment rule, and implements
the rules itself (:mod:`~councilsurvey.dev.synth.rules`). The published figures hold by
construction; that the pipeline's cleaning of the written export reproduces them is a
test, not a step of the generator.

How it is built
---------------
1. **Councils**: 278 of the frame's 353 councils are drawn with probabilities that
   favour London boroughs, metropolitan and county councils over districts (as opt-in
   surveys do); 808 respondents are spread over them in proportion to seats, at least
   one each. These are the valid respondents: everything else is built around them.
2. **Respondents**: party is drawn from the council's seats by party with Labour,
   Liberal Democrat and Green members more likely to respond; cabinet members are
   over-represented among roles; age, tenure and gender follow councillor censuses in
   broad strokes.
3. **Answers** come from one latent attitude to technology (depending on party, age,
   role and tenure) through an ordinal item model with item loadings, so items are
   correlated. The segments are fixed first by ranking the latent score (373
   enthusiasts, 118 sceptics, the rest middle or unclassified) and the three benefit
   items are drawn to satisfy the questionnaire's segment rule; the middle's big-data
   and automation answers are then moved (never across segments) to the published 70%
   and 62%. Every other published share is an exact count of those answering, given to
   the respondents with the highest propensity (:func:`~.population.exact_share`,
   :func:`~.population.draw_multi`): wellbeing, the ten-year impact, the digital
   strategy, and each published option of the tick-all-that-apply questions (of those
   who ticked any option), the others ticked at random, "choose up to three" respected.
4. **Dirt**, each submission with its designed fate (``truth.csv``): exact duplicates,
   earlier submissions superseded from the same email, partial responses, test
   submissions, speeders, officers answering by mistake, members of Welsh and Scottish
   councils, invented, blank, shared and twin-hatted council names, and six
   over-three answers to "choose up to three" among the respondents (cleaning sets them
   missing; the shares were drawn without them). Every council name is typed through
   the noise model (:mod:`~councilsurvey.dev.synth.noise`).

Modules
-------
:mod:`~councilsurvey.dev.synth.population`
    Steps 1 to 3: councils, respondents, attitudes, strategy and impact answers.
:mod:`~councilsurvey.dev.synth.noise`
    Council names as councillors type them, and the answers that name no single council.
:mod:`~councilsurvey.dev.synth.rules`
    The cleaning rules' values and the segment rule, implemented on their own.
:mod:`~councilsurvey.dev.synth.texts`
    Invented names and free-text answers; loading the reference files.
:mod:`~councilsurvey.dev.synth.answers`
    Step 4: the submissions, dirt included (:func:`generate`), and :func:`truth`.
:mod:`~councilsurvey.dev.synth.exports`
    Writing the export as SurveyMonkey does (CSV, SPSS .sav).
:mod:`~councilsurvey.dev.synth.waves`
    Building the bundled 2017 and 2019 waves (:func:`build`, :func:`build_2019`) and the
    figures of the respondents as drawn (:func:`drawn_figures`).
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
