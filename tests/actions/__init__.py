"""Tests of the rasa-sdk actions (actions/)."""
