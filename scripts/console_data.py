"""Synthetic conversations for the console benchmark, written as Rasa stores them.

Held-out patient questions from ``tests/nlu_test.yml`` with realistic intents,
confidences (6% ``nlu_fallback``), channels (web chat, SMS with phone-number ids, REST)
and dates, 1-3 turns each; 2% get a red-flag alert and 3% a hand-off. Bulk inserts.
"""

from __future__ import annotations

import json
import random
from typing import Any, Dict, Iterator, List, Tuple

from sqlalchemy import insert
from sqlalchemy.engine import Engine

from clinic.models import Base, HandoffRequest, StaffAlert
from scripts.nlu_eval import load_examples
from scripts.servers import ROOT

START = 1_790_000_000.0  # 2026-09-21
CHANNELS = (("socketio", 0.5), ("twilio", 0.35), ("rest", 0.15))
Row = Dict[str, Any]


def _user(rng: random.Random, text: str, label: str, channel: str, at: float, n: int) -> Row:
    intent = label.split("/")[0]
    confidence = rng.betavariate(8, 1.3)
    ranking = [{"name": intent, "confidence": confidence}]
    if rng.random() < 0.06:
        ranking.insert(0, {"name": "nlu_fallback", "confidence": 0.45})
        intent, confidence = "nlu_fallback", 0.45
    key = label if label.startswith("faq/") else "faq/what_is_kyphoplasty"
    parse = {"intent": {"name": intent, "confidence": confidence}, "entities": [],
             "text": text, "message_id": f"m{n}", "metadata": {}, "intent_ranking": ranking,
             "response_selector": {"faq": {"response": {
                 "intent_response_key": key, "confidence": rng.betavariate(6, 1.5),
                 "utter_action": f"utter_{key}", "responses": []}, "ranking": []}}}
    return {"event": "user", "timestamp": at, "text": text, "parse_data": parse,
            "input_channel": channel, "message_id": f"m{n}", "metadata": {}}


def _conversation(rng: random.Random, examples: List[Tuple[str, str]], n: int,
                  span_days: int) -> Tuple[str, List[Row]]:
    channel = rng.choices([c for c, _ in CHANNELS], [w for _, w in CHANNELS])[0]
    sender = f"+1312{5550000 + n:07d}" if channel == "twilio" else f"bench-{n:05d}"
    at = START + rng.random() * span_days * 86400
    events: List[Row] = [{"event": "action", "timestamp": at, "name": "action_session_start"},
                         {"event": "session_started", "timestamp": at},
                         {"event": "action", "timestamp": at, "name": "action_listen"}]
    for turn in range(rng.choices((1, 2, 3), (0.3, 0.45, 0.25))[0]):
        at += rng.uniform(5, 90)
        text, label = rng.choice(examples)
        message = _user(rng, text, label, channel, at, n * 10 + turn)
        intent = message["parse_data"]["intent"]["name"]
        action = ("action_suggest_topics" if intent == "nlu_fallback" else
                  "utter_faq" if intent == "faq" else f"utter_{intent}")
        events += [message, {"event": "action", "timestamp": at + 0.1, "name": action},
                   {"event": "bot", "timestamp": at + 0.2, "text": "An answer from the clinic.",
                    "metadata": {"utter_action": action}, "data": {}},
                   {"event": "action", "timestamp": at + 0.3, "name": "action_listen"}]
    return sender, events


def _event_rows(sender: str, events: List[Row]) -> Iterator[Row]:
    for event in events:
        yield {"sender_id": sender, "type_name": event["event"], "timestamp": event["timestamp"],
               "intent_name": (event.get("parse_data") or {}).get("intent", {}).get("name"),
               "action_name": event.get("name"), "data": json.dumps(event)}


def generate(engine: Engine, conversations: int, seed: int = 7, span_days: int = 90) -> int:
    """Write synthetic conversations into ``engine``'s events table; returns event count."""
    from rasa.core.tracker_store import SQLTrackerStore

    events_table = SQLTrackerStore.SQLEvent.__table__
    events_table.create(engine, checkfirst=True)
    Base.metadata.create_all(engine)
    rng = random.Random(seed)
    examples = load_examples([ROOT / "tests" / "nlu_test.yml"])
    rows: List[Row] = []
    staff: List[Tuple[Any, Row]] = []
    total = 0
    with engine.begin() as connection:
        for n in range(conversations):
            sender, events = _conversation(rng, examples, n, span_days)
            rows.extend(_event_rows(sender, events))
            staff.extend(_staff_rows(rng, sender, n))
            if len(rows) >= 20_000 or n == conversations - 1:
                connection.execute(insert(events_table), rows)
                total, rows = total + len(rows), []
        for model, row in staff:
            connection.execute(insert(model.__table__), [row])
    return total


def _staff_rows(rng: random.Random, sender: str, n: int) -> List[Tuple[Any, Row]]:
    common = {"channel": "rest", "conversation_id": sender, "message_id": f"m{n * 10}",
              "message_text": "synthetic"}
    rows: List[Tuple[Any, Row]] = []
    if rng.random() < 0.02:
        rows.append((StaffAlert, {**common, "level": "urgent", "concepts": [], "evidence": []}))
    if rng.random() < 0.03:
        rows.append((HandoffRequest, {**common, "reason": "fallback",
                                      "during_office_hours": True}))
    return rows
