"""Bundles: disclosure control, provenance, RO-Crate, manifests and bundle diffs."""
