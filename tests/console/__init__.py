"""Tests of the staff console (console/)."""
