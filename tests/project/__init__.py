"""Tests of the project as a whole: layout, data, docs, evaluation scripts."""
