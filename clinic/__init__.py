"""The shared core: settings, database, tables and one package per feature.

Imports no Rasa, rasa-sdk, Sanic or Jinja (tests/project/test_boundaries.py keeps it so).
"""
