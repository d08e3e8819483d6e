"""Builds the project's own spaCy pipeline (no downloaded models)."""
