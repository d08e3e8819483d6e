"""Rasa's ``events`` table (its SQL tracker store), declared once for the project to read.

The table is Rasa's (``rasa.core.tracker_store.SQLTrackerStore.SQLEvent``, same columns):
Rasa creates and writes it; the project only reads it (the review console, the indexer) and
the project's migrations never create it, so it has a metadata of its own, apart from
``clinic.models.Base``. It exists only once Rasa has started on this database.
"""

from __future__ import annotations

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text

__all__ = ["RASA_EVENTS"]

RASA_EVENTS = Table(
    "events",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),  # for ``slot`` events: the slot's name
    Column("data", Text),
)
