"""Tests of the shared core (clinic/)."""
