"""Content: the curated answers, their revisions and placeholders."""
