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


def redact_series(values: pd.Series) -> pd.Series:
    """:func:`redact` every non-missing value of a string series."""
    return values.map(redact, na_action="ignore").astype("string")
