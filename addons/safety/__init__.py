"""Deterministic red-flag detection (spaCy Matcher over lemmas), used on every message."""
