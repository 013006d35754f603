"""Redaction of identifying details in free-text answers."""

from __future__ import annotations

import re

import pandas as pd

#: longest free-text answer kept (characters); longer answers are cut and marked
MAX_FREE_TEXT = 2000

_PATTERNS = [
    ("[email]", re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+", re.I)),
    ("[url]", re.compile(r"\b(?:https?://|www\.)\S+", re.I)),
    # UK postcodes, e.g. "SW1A 1AA", "M1 1AE", "B33 8TH"
    ("[postcode]", re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b", re.I)),
    # phone numbers: +44 or 0 followed by 9-10 more digits, spaces/dashes/brackets allowed
    ("[phone]", re.compile(r"(?:\+44\s?\(?0?\)?|\b0)(?:[\s\-()]*\d){9,10}\b")),
    ("[ip]", re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}\b")),
]


def redact(text: str) -> str:
    """Replace emails, URLs, UK postcodes, phone numbers and IP addresses with tags.

    Examples
    --------
    >>> redact("mail jo@example.org or call 020 7946 0958")
    'mail [email] or call [phone]'
    """
    for tag, pattern in _PATTERNS:
        text = pattern.sub(tag, text)
    if len(text) > MAX_FREE_TEXT:
        text = text[:MAX_FREE_TEXT] + " [cut]"
    return text


#: what a text must hold for :func:`redact` to change it, if it is ASCII (an email has an
#: "@", a URL "http" or "www.", postcodes, phone numbers and IP addresses digits)
_COULD_CHANGE = r"[0-9@]|(?i:http|www\.)"


def redact_series(values: pd.Series) -> pd.Series:
    """:func:`redact` every non-missing value of a string series.

    Each distinct text is redacted once, and only texts that could change are: ASCII
    texts with no digit, "@", "http" or "www." (in any case) and not longer than
    :data:`MAX_FREE_TEXT` are kept as they are (checked with pyarrow, for every row at
    once).
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    out = values.astype(object)
    present = out.notna().to_numpy()
    texts = out[present].to_numpy(dtype=object, copy=True)
    if len(texts):
        arr = pa.array(texts, type=pa.string())
        could = pc.or_(
            pc.invert(pc.string_is_ascii(arr)),
            pc.match_substring_regex(arr, _COULD_CHANGE),
        )
        could = pc.or_(could, pc.greater(pc.utf8_length(arr), MAX_FREE_TEXT))
        could = could.to_numpy(zero_copy_only=False)
        codes, distinct = pd.factorize(texts[could])
        texts[could] = np.array([redact(t) for t in distinct], dtype=object)[codes]
        out[present] = texts
    return out.astype("string")
