"""Tests of what Rasa loads by class path (addons/)."""
