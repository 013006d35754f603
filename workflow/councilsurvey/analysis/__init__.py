"""Findings: segments, attitude tests, trends, published-claims checks, robustness."""
