"""Headline shares of the report, driven by the wave's questionnaire, and the published
values to mark beside them.

:func:`headlines` gives one row per headline answer (a Yes of a Yes/No question, each
option of a tick-all-that-apply question, the two most positive answers of an ordered
scale), unweighted on the published basis and design-based with its interval, through
:mod:`councilsurvey.survey.estimation` (for the bundled waves: final weight ``weight``,
councils ``code`` as clusters, Taylor linearisation with ``svy``).
:func:`published_marks` reads ``published.yaml`` for the values the theme figures mark.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from councilsurvey.survey import estimation as est
from councilsurvey.survey.design import SurveyDesign

#: columns of :func:`headlines`
HEADLINE_COLUMNS = ["indicator", "category", "basis", *est.ESTIMATE_FIELDS]

#: digital_champion options counted as "leader or chief executive"
LEADER_OR_CHIEF_EXECUTIVE = ("The leader of the council", "The chief executive")


def _levels(series: pd.Series) -> list[str]:
    """Observed levels of a column as text: categorical order if it has one, else sorted."""
    present = set(series.dropna().astype(str))
    if isinstance(series.dtype, pd.CategoricalDtype):
        return [str(c) for c in series.cat.categories if str(c) in present]
    return sorted(present)


# --------------------------------------------------------------------------- headlines

#: sections of a questionnaire whose questions become headline rows, in this order (the
#: respondent profile, the attitude battery and free text are not headlines)
HEADLINE_SECTIONS = ("strategy", "impact")

#: headline indicator of a question whose id is not its indicator
INDICATOR_NAMES = {"has_digital_strategy": "digital_strategy"}

#: derived rows of a question: category -> the options counted together (either ticked,
#: or either answered, for the single-choice form)
DERIVED_CATEGORIES = {
    "digital_champion": {"leader_or_chief_executive": LEADER_OR_CHIEF_EXECUTIVE},
}

#: the questions :func:`headlines` reports without an instrument (the 2017 questionnaire's
#: strategy section in its first, single-choice form)
_LEGACY_ITEMS = (
    {"id": "has_digital_strategy", "options": ["Yes", "No", "Don't know"]},
    {"id": "digital_champion"},
    {"id": "exclusion_major_issue", "options": ["Yes", "No", "Don't know"]},
)


def _headline_items(instrument) -> list[dict]:
    """The questionnaire items headlines are drawn from, in questionnaire order."""
    if instrument is None:
        return [dict(item) for item in _LEGACY_ITEMS]
    raw = instrument.raw if hasattr(instrument, "raw") else instrument
    return [dict(item) for section in HEADLINE_SECTIONS for item in raw.get(section) or []]


def multi_select_columns(columns, item: Mapping) -> dict[str, str] | None:
    """The cleaned columns of a multi-select question: option text -> column.

    Cleaning names each option's column ``<id>__<slug>``, the slug being the option's
    ``id`` in the codebook when it gives one, else
    :func:`councilsurvey.inputs.codebook.option_slug` of its text. An option is found by
    its slug; when some are not (a codebook that names options by ``id``) and the data
    hold exactly one ``<id>__`` column per option, they are matched in order (cleaning
    writes them in the codebook's order, which is the questionnaire's).

    Parameters
    ----------
    columns : iterable of str
        Columns of the cleaned data.
    item : mapping
        The questionnaire's item: ``id`` and ``options`` (their texts).

    Returns
    -------
    dict or None
        Option text -> column, in the options' order; None when the data hold no column
        of the question (the wave did not ask it).

    Raises
    ------
    ValueError
        Some but not all of the question's columns are found, naming the question and
        the options without a column.
    """
    from councilsurvey.inputs.codebook import option_slug

    columns = list(columns)
    qid = str(item["id"])
    prefixed = [c for c in columns if str(c).startswith(f"{qid}__")]
    if not prefixed:
        return None
    options = [str(o) for o in item["options"]]
    found = {o: f"{qid}__{option_slug(o)}" for o in options}
    if all(col in prefixed for col in found.values()):
        return found
    if len(prefixed) == len(options):
        return dict(zip(options, prefixed, strict=True))
    missing = [o for o, col in found.items() if col not in prefixed]
    raise ValueError(
        f"multi-select question {qid!r}: no column for option(s) {missing} among "
        f"{prefixed} (expected {qid}__<slug of the option's text>)"
    )


def multi_select_answered(data: pd.DataFrame, columns: Sequence[str]) -> pd.Series:
    """Respondents who answered a multi-select question: at least one of its option
    columns not missing (cleaning makes a skipped or over-the-limit answer missing in
    every column)."""
    return data[list(columns)].notna().any(axis=1)


def _ticked(data: pd.DataFrame, column: str, answered: pd.Series) -> pd.Series:
    """An option's tick among those answering the question (missing elsewhere)."""
    flag = data[column].astype("boolean").fillna(False)
    return flag.where(answered, pd.NA).astype("boolean")


def ordered_positive(series: pd.Series, options: Sequence[str]) -> tuple[pd.Series, str]:
    """The two most positive answers of an ordered scale, among the substantive answers.

    The scale's substantive options are its options less the non-substantive ones
    (:data:`councilsurvey.inputs.instrument.NON_SUBSTANTIVE`: Don't know, Prefer not to
    say), least to most positive; the flag is True for the top two ("Positive or Very
    positive" on a five-point scale), False for the others, missing for Don't know and
    blank. The cleaned column may hold the answers' texts (a categorical) or their codes
    1..k (an integer column, Don't know already missing); both are read.

    Returns
    -------
    (Series, str)
        The boolean flag, and the category in words (``"Positive or Very positive"``).
    """
    from councilsurvey.inputs.instrument import NON_SUBSTANTIVE

    scale = [str(o) for o in options if str(o) not in NON_SUBSTANTIVE]
    top = scale[-2:]
    if pd.api.types.is_numeric_dtype(series.dtype) and not isinstance(
        series.dtype, pd.CategoricalDtype
    ):
        codes = series.astype("Float64")
        known = codes.between(1, len(scale)).fillna(False).astype(bool)
        flag = (codes >= len(scale) - 1).astype("boolean")
    else:
        text = series.astype(object)
        known = text.isin(scale)
        flag = text.isin(top).astype("boolean")
    flag[~known.to_numpy()] = pd.NA
    return flag, " or ".join(top)


def headlines(design: SurveyDesign, instrument=None, df: bool = False) -> pd.DataFrame:
    """Headline shares of the report, unweighted and design-based.

    The rows are driven by the questionnaire (``instrument``): the wellbeing item, then
    every question of its ``strategy`` and ``impact`` sections in questionnaire order,
    each by its kind. A question the data do not hold (a wave that did not ask it) has
    no rows; so a follow-up wave with a changed questionnaire needs no change here.

    Parameters
    ----------
    design : SurveyDesign
        Weighted responses with their design; its level is that of the (logit)
        intervals.
    instrument : Instrument, optional
        The wave's questionnaire (:func:`councilsurvey.inputs.instrument.load_instrument`).
        Without it the rows are those of the first 2017 questionnaire (wellbeing, digital
        strategy, digital champion as a single choice, digital exclusion).
    df : bool
        Add the column ``df``, the design degrees of freedom of each share (NaN for a
        share of 0).

    Returns
    -------
    DataFrame
        indicator, category, basis, n, unweighted, weighted, se, lci, uci (and df).
        Rows, in order:

        * ``wellbeing_positive`` / ``Agree or Strongly agree``: codes 4-5 on
          ``att_wellbeing`` among those answering (Don't know and blank excluded).
        * A Yes/No question (its options Yes, No and perhaps Don't know):
          ``Yes`` among those answering Yes or No (Don't know excluded), the basis of
          ``published.yaml``; ``has_digital_strategy`` is the indicator
          ``digital_strategy``, ``exclusion_major_issue`` keeps its id.
        * A multi-select question (``type: multi_select``; ``digital_champion``,
          ``impact_areas``, ``top_challenges``): one row per option (questionnaire order),
          the share of those who ticked at least one option who ticked it (the skipped
          and the over-the-limit answers, missing in every column, are out of the base;
          Nobody and Don't know are answers). Shares of one question need not add to 1.
        * ``digital_champion`` as a single choice (the first 2017 form): one row per
          option among those answering (Don't know counts as an answer, blanks are
          excluded); the shares add to 1.
        * An ordered single-choice question (``ordered: true``, e.g. ``overall_impact``):
          its two most positive answers (``Positive or Very positive``) among the
          substantive answers (:func:`ordered_positive`; Don't know excluded).
        * Derived rows (:data:`DERIVED_CATEGORIES`) follow their question's options:
          ``digital_champion`` / ``leader_or_chief_executive``, the leader of the council
          or the chief executive (either ticked; or either answered), on the same base.

        Other single-choice questions have no headline. ``n`` is the base (respondents
        answering), ``unweighted`` the share of that base, ``weighted`` the design-based
        share (:func:`councilsurvey.survey.estimation.share`) with its ``se`` and
        interval; a share of 0 has the interval of
        :func:`councilsurvey.survey.estimation.estimate_record`.
    """
    from councilsurvey.analysis.measures import Shares

    data = design.data
    rows = []
    fields = [*est.ESTIMATE_FIELDS, "df"] if df else est.ESTIMATE_FIELDS
    shares = Shares(design)  # every indicator's share from one svy sample

    def add(indicator, category, basis, record):
        rows.append({"indicator": indicator, "category": category, "basis": basis, "of": record})

    def flagged(flag):
        """The share of ``flag``, estimated with the others (a key), or at once by
        :func:`~councilsurvey.survey.estimation.share` if nobody answers it."""
        return shares.add(flag) if flag.notna().any() else est.share(design, flag)

    if "att_wellbeing" in data.columns:
        wellbeing = data["att_wellbeing"].astype("Int64")
        add(
            "wellbeing_positive",
            "Agree or Strongly agree",
            "respondents answering att_wellbeing (Don't know/blank excluded); Agree or "
            "Strongly agree (codes 4-5)",
            flagged(wellbeing >= 4),
        )

    for item in _headline_items(instrument):
        qid = str(item["id"])
        indicator = INDICATOR_NAMES.get(qid, qid)
        if item.get("type") == "multi_select":
            columns = multi_select_columns(data.columns, item)
            if columns is None:
                continue
            answered = multi_select_answered(data, columns.values())
            basis = (
                f"respondents answering {qid} (ticked at least one option; skipped or "
                "over the limit excluded)"
            )
            for option, column in columns.items():
                flag = _ticked(data, column, answered)
                add(indicator, option, f"{basis}; ticked {option}", flagged(flag))
            for category, counted in DERIVED_CATEGORIES.get(qid, {}).items():
                cols = [columns[o] for o in counted if o in columns]
                if not cols:
                    continue
                either = pd.concat([_ticked(data, c, answered) for c in cols], axis=1)
                flag = either.fillna(False).any(axis=1).astype("boolean")
                flag[~answered.to_numpy()] = pd.NA
                words = " or ".join(str(o) for o in counted).lower()
                add(indicator, category, f"{basis}; ticked {words}", flagged(flag))
            continue
        if qid not in data.columns:
            continue
        options = [str(o) for o in item.get("options") or []]
        if qid == "digital_champion":
            _single_choice_champion(design, add, flagged)
        elif options and set(options) <= {"Yes", "No", "Don't know"} and "Yes" in options:
            answer = data[qid].astype(object)
            flag = pd.Series(pd.NA, index=data.index, dtype="boolean")
            known = answer.isin(["Yes", "No"])
            flag[known] = answer[known] == "Yes"
            add(
                indicator,
                "Yes",
                f"respondents answering {qid} Yes or No (Don't know/blank excluded); Yes",
                flagged(flag),
            )
        elif item.get("ordered") and options:
            flag, category = ordered_positive(data[qid], options)
            add(
                indicator,
                category,
                f"respondents answering {qid} (Don't know/blank excluded); {category}",
                flagged(flag),
            )
    for row in rows:
        record = row.pop("of")
        record = shares.get(record) if isinstance(record, int) else record
        row.update({key: record[key] for key in fields})
    return pd.DataFrame(rows, columns=[*HEADLINE_COLUMNS, *(["df"] if df else [])])


def _single_choice_champion(design: SurveyDesign, add, flagged) -> None:
    """The rows of ``digital_champion`` asked as a single choice (the first 2017 form);
    ``add`` and ``flagged`` are :func:`headlines`' own."""
    data = design.data
    champ = est.proportions(design, "digital_champion").set_index("category")
    basis = (
        "respondents answering digital_champion (Don't know counts as an answer; blank excluded)"
    )
    answered = int(data["digital_champion"].notna().sum())
    for option in _levels(data["digital_champion"]):
        record = est.estimate_record(answered, champ.loc[option], design.level)
        add("digital_champion", option, basis, record)
    champion = data["digital_champion"].astype(object)
    flag = champion.isin(LEADER_OR_CHIEF_EXECUTIVE).astype("boolean")
    flag[champion.isna()] = pd.NA
    add(
        "digital_champion",
        "leader_or_chief_executive",
        basis + "; the leader of the council or the chief executive",
        flagged(flag),
    )


# --------------------------------------------------------------------------- published


def published_marks(published, question: str) -> dict[str, dict]:
    """The published values of a question's single answers, to mark beside its bars.

    A claim of ``published.yaml`` marks an option when its ``measure`` is that question
    and exactly that one answer (``measure: {question: <id>, answers: [<option text>]}``)
    and it is a ``proportion``: a claim over several answers together (the leader *or*
    the chief executive) or a bound ("few": ``upper_bound``) is no value of one bar.
    Claims without a ``measure`` (the file's first shape) mark nothing.

    Parameters
    ----------
    published : path, dict, Published or None
        ``data/raw/<wave>/published.yaml`` (read and checked by
        :func:`councilsurvey.analysis.claims.load_published`), its parsed document or
        :class:`~councilsurvey.analysis.claims.Published`; None or ``""`` (a wave with no
        published figures) marks nothing.
    question : str
        The question's id.

    Returns
    -------
    dict
        Option text -> ``{"value", "outlet", "claim_id"}``; the outlet is that of the
        claim's ``source`` in the file's ``sources:`` (the source key itself when it has
        no outlet, "published report" when the claim names no source). When two claims
        measure the same answer the first listed is kept (the file lists the source it
        follows first); a claim's ``conflicts`` (other sources' figures) are not marked.
    """
    if published is None or (isinstance(published, str) and not published):
        return {}
    if not isinstance(published, Mapping) and not hasattr(published, "claims"):
        from councilsurvey.analysis.claims import load_published

        published = load_published(published)  # checked against its schema
    if isinstance(published, Mapping):
        sources, claims = published.get("sources") or {}, published.get("claims") or []
    else:  # councilsurvey.analysis.claims.Published
        sources, claims = published.sources, published.claims
    marks: dict[str, dict] = {}
    for claim in claims:
        measure = claim.get("measure") or {}
        answers = measure.get("answers") or []
        if measure.get("question") != question or len(answers) != 1:
            continue
        if claim.get("kind", "proportion") != "proportion":
            continue
        key = claim.get("source")
        source = sources.get(key) if isinstance(sources, Mapping) else None
        if isinstance(source, Mapping) and source.get("outlet"):
            outlet = str(source["outlet"])
        else:
            outlet = str(key) if key else "published report"
        marks.setdefault(
            str(answers[0]),
            {"value": float(claim["value"]), "outlet": outlet, "claim_id": claim.get("id")},
        )
    return marks
