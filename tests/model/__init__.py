"""Tests of the trained model and the NLU components (need `make train` or spaCy)."""
