"""The clean stage: recoding, council matching, pseudonyms and redaction."""
