"""Foundations every layer uses: errors, YAML, atomic writers, the data statement."""
