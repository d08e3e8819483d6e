"""Annotations and the training-data export (real in-memory database, Rasa's events table)."""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SlotSet, UserUttered
from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader
from sqlalchemy import insert, select
from sqlalchemy.engine import Engine

from clinic.db import session_scope
from clinic.models import Annotation, AuditEntry
from clinic.review import rasa_events, training_export
from clinic.review.training_export import build, export, render_yaml
from clinic.settings import get_settings
from console import annotations as labelling
from console.annotations import AS_IS, AnnotationError
from tests.conftest import ROOT
from tests.console_client import ConsoleClient

Add = Callable[..., List[int]]
EVENTS = SQLTrackerStore.SQLEvent.__table__


@pytest.fixture(autouse=True)
def reviewed_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Exports go to a temp file, never to the project's data/nlu."""
    target = tmp_path / "nlu" / "reviewed.yml"
    monkeypatch.setenv("REVIEWED_DATA_FILE", str(target))
    get_settings.cache_clear()
    yield target
    get_settings.cache_clear()


@pytest.fixture
def add(db_engine: Engine) -> Add:
    """Write Rasa events (as the tracker store does) for a conversation; returns their ids."""
    EVENTS.create(db_engine)

    def _add(sender: str, *events: Event) -> List[int]:
        ids = []
        with db_engine.begin() as connection:
            for event in events:
                data = event.as_dict()
                intent = (data.get("parse_data") or {}).get("intent", {}).get("name")
                result = connection.execute(insert(EVENTS).values(
                    sender_id=sender, type_name=event.type_name,
                    timestamp=data.get("timestamp"), intent_name=intent,
                    action_name=data.get("name"), data=json.dumps(data)))
                ids.append(int(result.inserted_primary_key[0]))
        return ids

    return _add


def said(text: str, intent: Optional[str], faq_key: Optional[str] = None,
         confidence: float = 0.5) -> UserUttered:
    """A patient message as the model parsed it."""
    parse: Dict[str, Any] = {"intent": {"name": intent, "confidence": confidence},
                             "entities": [], "text": text}
    if faq_key:
        parse["response_selector"] = {"faq": {"response": {
            "intent_response_key": faq_key, "confidence": confidence}}}
    return UserUttered(text, intent=parse["intent"], parse_data=parse)


def annotate(event_id: int, label: str, conversation: str = "c1", author: str = "rita"
             ) -> labelling.Annotated:
    with session_scope() as session:
        return labelling.annotate(session, event_id, conversation, label, author)


def rows() -> List[Annotation]:
    with session_scope() as session:
        found = list(session.scalars(select(Annotation).order_by(Annotation.event_id)))
        session.expunge_all()
        return found


def audit_actions() -> List[AuditEntry]:
    with session_scope() as session:
        found = list(session.scalars(select(AuditEntry).order_by(AuditEntry.id)))
        session.expunge_all()
        return found


def run_export(target: Path, username: str = "kim") -> training_export.Built:
    with session_scope() as session:
        return export(session, target, username)


def test_annotate_correct_label_then_as_is(add: Add) -> None:
    [_, message] = add("c1", BotUttered("Hi!"),
                       said("how many weeks till i can golf again", "faq", "faq/duration"))
    saved = annotate(message, "faq/recovery_time")
    assert (saved.predicted, saved.label, saved.correct_as_is) == (
        "faq/duration", "faq/recovery_time", False)
    again = annotate(message, AS_IS, author="sam")
    assert (again.label, again.correct_as_is, again.author) == ("faq/duration", True, "sam")
    [row] = rows()
    assert row.id == saved.id and row.text == "how many weeks till i can golf again"
    entries = [e for e in audit_actions() if e.action == "annotate"]
    assert [e.detail["label"] for e in entries] == ["faq/recovery_time", "faq/duration"]
    assert all("golf" not in json.dumps(e.detail) for e in entries)


def test_plain_intent_prediction(add: Add) -> None:
    [message] = add("c1", said("can somebody phone me back", "request_human"))
    assert annotate(message, AS_IS).label == "request_human"


@pytest.mark.parametrize("event, label, status", [
    (BotUttered("How can I help?"), "greet", 400),
    (SlotSet("appointment_name", "Jo"), "greet", 400),
    (ActionExecuted("action_listen"), "greet", 400),
    (said("/request_appointment", "request_appointment"), "greet", 400),
    (said("   ", "nlu_fallback"), "greet", 400),
    (said("", "nlu_fallback"), "greet", 400),
    (said("/EXTERNAL_followup_checkin", "EXTERNAL_followup_checkin"), "greet", 400),
    (said("checkin please", "EXTERNAL_followup_checkin"), "greet", 400),
    (said("hello there", "greet"), "no_such_intent", 400),
    (said("hello there", "greet"), "faq/no_such_answer", 400),
    (said("hello there", "greet"), "faq", 400),
    (said("hmm the thing", "nlu_fallback"), AS_IS, 400),
])
def test_refused(add: Add, event: Event, label: str, status: int) -> None:
    [event_id] = add("c1", event)
    with pytest.raises(AnnotationError) as error:
        annotate(event_id, label)
    assert error.value.status == status
    assert rows() == []


def test_unknown_message_or_other_conversation(add: Add) -> None:
    [message] = add("c1", said("hello there", "greet"))
    for event_id, conversation in ((message + 100, "c1"), (message, "c2"), (0, "c1")):
        with pytest.raises(AnnotationError) as error:
            annotate(event_id, "greet", conversation)
        assert error.value.status == 404


def test_remove_and_list_with_filters(add: Add) -> None:
    ids = add("c1", said("hi folks", "greet"), said("bye folks", "goodbye"),
              said("thanks folks", "thank"))
    annotate(ids[0], AS_IS)
    annotate(ids[1], "thank", author="sam")
    annotate(ids[2], AS_IS, author="sam")
    with session_scope() as session:
        assert labelling.list_annotations(session).total == 3
        assert {r.event_id for r in labelling.list_annotations(session, label="thank").rows
                } == {ids[1], ids[2]}
        assert labelling.list_annotations(session, author="rita").total == 1
        assert labelling.list_annotations(session, exported=True).total == 0
        first = labelling.list_annotations(session, per_page=2)
        second = labelling.list_annotations(session, page=2, per_page=2)
        assert (first.pages, len(first.rows), len(second.rows)) == (2, 2, 1)
        assert labelling.list_annotations(session, page=99, per_page=2).page == 2
        assert labelling.authors(session) == ["rita", "sam"]
        assert set(labelling.for_events(session, ids)) == set(ids)
        removed = labelling.remove(session, first.rows[0].id, "kim")
        assert removed is not None and labelling.remove(session, removed.id, "kim") is None
    assert len(rows()) == 2
    assert "delete_annotation" in [e.action for e in audit_actions()]


def test_export_replaces_personal_data(add: Add, tmp_path: Path) -> None:
    ids = add("c1", SlotSet("appointment_name", "Jo March"),
              SlotSet("appointment_phone", "+14155552671"),
              said("can jo march get seen sooner", "request_appointment"),
              said("mrs march again, is the brace needed", "faq", "faq/brace"),
              said("call me back on 415 555 2671 please", "request_human"),
              said("my email is jo.march@example.org how long is recovery", "faq",
                   "faq/recovery_time"),
              said("she was born 03/14/1948 is she too old for kyphoplasty", "faq",
                   "faq/candidacy"))
    for event_id in ids[2:]:
        annotate(event_id, AS_IS)
    target = tmp_path / "out.yml"
    built = run_export(target)
    text = target.read_text(encoding="utf-8")
    assert built.written == 5
    for secret in ("march", "2671", "example.org", "1948"):
        assert secret not in text.lower()
    for stand_in in ("can Alex Smith get seen sooner", "call me back on 555-0100 please",
                     "mrs Alex Smith again, is the brace needed",
                     "patient@example.com", "01/02/1960"):
        assert stand_in in text


def test_personal_data_of_a_conversation(add: Add) -> None:
    add("+14155552671", SlotSet("appointment_name", "Will Mary-Beth Oduya"),
        SlotSet("appointment_phone", "4155552671"), SlotSet("requested_slot", "x"))
    add("web-1", SlotSet("appointment_name", None))
    with session_scope() as session:
        found = rasa_events.personal_data(session, ["+14155552671", "web-1", "none"])
    assert found == {"+14155552671": ("+14155552671", "4155552671", "Beth", "Mary",
                                      "Oduya", "Will Mary-Beth Oduya"),
                     "web-1": (), "none": ()}


def test_export_skips_known_repeated_held_out_and_stale(add: Add, db_engine: Engine,
                                                         tmp_path: Path) -> None:
    held_out = training_export._examples(ROOT / "tests" / "nlu_test.yml")[0][0]
    ids = add("c1",
              said("I want to book an appointment", "request_appointment"),  # in training
              said("What is a VCF?", "faq", "faq/compression_fracture"),  # other label there
              said("Does my  insurance pay for the cement", "faq", "faq/cost_insurance"),
              said("does my insurance pay for the cement!", "faq", "faq/cost_insurance"),
              said(held_out, "faq", "faq/what_is_kyphoplasty"),
              said("is the surgeon any good", "out_of_scope"))
    annotate(ids[0], AS_IS)
    annotate(ids[1], "request_appointment")
    for event_id in ids[2:]:
        annotate(event_id, AS_IS)
    with session_scope() as session:  # a label the domain dropped; a deleted conversation
        session.add(Annotation(event_id=9001, conversation_id="c1", text="an old one",
                               label="old_intent", author="rita"))
        session.add(Annotation(event_id=9002, conversation_id="gone", text="bye bye now",
                               label="goodbye", author="rita"))
    built = run_export(tmp_path / "out.yml")
    assert dict(built.skipped) == {"already_in_training": 1, "conflicts_with_training": 1,
                                   "repeat": 1, "held_out": 1, "unknown_label": 1,
                                   "conversation_deleted": 1}
    assert built.by_label == {"faq/cost_insurance": ["Does my insurance pay for the cement"],
                              "out_of_scope": ["is the surgeon any good"]}


def test_yaml_loads_with_rasas_reader(add: Add, tmp_path: Path) -> None:
    ids = add("c1", said("how many weeks till i can golf again", "faq", "faq/duration"),
              said("can my [son](person) come along {x}", "request_appointment"),
              said("line one\nline two: yes # no", "greet"))
    annotate(ids[0], "faq/recovery_time")
    annotate(ids[1], AS_IS)
    annotate(ids[2], AS_IS)
    target = tmp_path / "out.yml"
    run_export(target)
    text = target.read_text(encoding="utf-8")
    assert text.startswith(training_export.MARKER) and "do not edit by hand" in text.lower()
    assert 'version: "3.1"' in text and "- intent: faq/recovery_time" in text
    data = RasaYAMLReader().reads(text)
    assert data.intents == {"faq", "request_appointment", "greet"}
    assert data.retrieval_intents == {"faq"}
    examples = {m.get("text"): m for m in data.intent_examples}
    faq = examples["how many weeks till i can golf again"]
    assert faq.get("intent_response_key") == "faq/recovery_time"
    assert examples["can my (son)(person) come along {x}"].get("entities") in (None, [])
    assert examples["line one line two: yes # no"].get("intent") == "greet"
    empty = RasaYAMLReader().reads(render_yaml({}))
    assert empty.is_empty()


def test_export_is_deterministic_and_marks_rows(add: Add, tmp_path: Path) -> None:
    ids = add("c1", said("zebra crossing hurts my back", "urgent_symptom"),
              said("apple of my eye hello", "greet"), said("are you a robot or not", "deny"))
    annotate(ids[0], AS_IS)
    annotate(ids[1], AS_IS)
    annotate(ids[2], "bot_challenge")
    first = tmp_path / "a.yml"
    run_export(first)
    assert all(row.exported_at is not None for row in rows())
    with session_scope() as session:
        second = build(session, first).text
    assert first.read_text(encoding="utf-8") == second
    assert re.findall(r"- intent: (\S+)", second) == ["bot_challenge", "greet", "urgent_symptom"]
    annotate(ids[0], AS_IS)  # same label: still what the file holds
    annotate(ids[1], "affirm")  # changed: needs a new export
    exported = {row.event_id: row.exported_at is not None for row in rows()}
    assert exported == {ids[0]: True, ids[1]: False, ids[2]: True}
    [entry, *_] = [e for e in audit_actions() if e.action == "export_annotations"]
    assert entry.username == "kim" and entry.detail["written"] == 3
    assert "zebra" not in json.dumps(entry.detail)


def test_write_is_atomic(add: Add, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    [message] = add("c1", said("hello over there", "greet"))
    annotate(message, AS_IS)
    target = tmp_path / "out.yml"
    target.write_text("old content\n", encoding="utf-8")

    def broken(*_: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(OSError):
        run_export(target)
    assert target.read_text(encoding="utf-8") == "old content\n"
    assert list(tmp_path.iterdir()) == [target]
    assert rows()[0].exported_at is None  # the transaction rolled back too
    monkeypatch.undo()
    run_export(target)
    assert "hello over there" in target.read_text(encoding="utf-8")
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert list(tmp_path.iterdir()) == [target]


def test_cli_writes_the_configured_file(add: Add, reviewed_file: Path,
                                        capsys: pytest.CaptureFixture) -> None:
    from clinic.cli import main

    [message] = add("c1", said("hello over there", "greet"))
    annotate(message, AS_IS)
    assert main(["export"]) == 0
    assert "Wrote 1 examples (1 labels)" in capsys.readouterr().out
    assert "hello over there" in reviewed_file.read_text(encoding="utf-8")
    other = reviewed_file.parent / "other.yml"
    assert main(["export", "--out", str(other)]) == 0 and other.exists()
    assert [e.username for e in audit_actions() if e.action == "export_annotations"][0
                                                                                   ].startswith("cli")


def test_default_export_is_not_a_training_input() -> None:
    """An export must not make the next `make run` retrain: it goes outside data/."""
    from clinic.settings import load_console

    default = load_console({}).reviewed_data
    assert default == training_export.PROJECT_ROOT / "var" / "exports" / "reviewed.yml"
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "$(shell find data -name '*.yml'" in makefile  # what training reads
    assert not default.is_relative_to(training_export.PROJECT_ROOT / "data")


async def test_pages_annotate_and_go_back(console: ConsoleClient, add: Add) -> None:
    [message] = add("+14155552671", said("call me at 415 555 2671", "faq", "faq/cost_insurance"))
    await console.login("rita", role="reviewer")
    response = await console.post("/annotations", {
        "event_id": str(message), "conversation_id": "+14155552671", "label": "request_human",
        "next": "/conversations/%2B14155552671#m-1"})
    assert response.status == 303
    location = response.headers["Location"]
    assert location.startswith("/conversations/%2B14155552671?msg=") and location.endswith("#m-1")
    assert rows()[0].label == "request_human"
    response = await console.post("/annotations", {
        "event_id": str(message), "conversation_id": "+14155552671", "label": AS_IS,
        "next": "//evil.example/x"})
    assert response.status == 303 and response.headers["Location"].startswith("/?msg=")
    page = await console.page("/annotations")
    shown = re.sub(r'href="[^"]*"', "", page)  # the link to the conversation holds its id
    assert "[phone]" in shown and "2671" not in shown and "faq/cost_insurance" in shown
    assert "+•••••••••71" in shown
    assert "Only admins can export." in page and "Preview of the file" in page
    assert (await console.page("/annotations?label=greet&exported=no&author=rita&page=1"))


@pytest.mark.parametrize("fields, status", [
    ({"event_id": "abc", "conversation_id": "c1", "label": "greet"}, 400),
    ({"event_id": "", "conversation_id": "c1", "label": "greet"}, 400),
    ({"event_id": "9" * 40, "conversation_id": "c1", "label": "greet"}, 400),
    ({"event_id": "1", "conversation_id": "", "label": "greet"}, 400),
    ({"event_id": "1", "conversation_id": "c" * 300, "label": "greet"}, 400),
    ({"event_id": "1", "conversation_id": "c1", "label": ""}, 400),
    ({"event_id": "1", "conversation_id": "c1", "label": "<b>x</b>"}, 400),
    ({"event_id": "1", "conversation_id": "other", "label": "greet"}, 404),
    ({"event_id": "12345", "conversation_id": "c1", "label": "greet"}, 404),
])
async def test_bad_annotation_input(console: ConsoleClient, add: Add, fields: Dict[str, str],
                                    status: int) -> None:
    add("c1", said("hello over there", "greet"))
    await console.login("rita")
    response = await console.post("/annotations", fields)
    assert response.status == status
    body = await response.text()
    assert "<b>x</b>" not in body and 'class="error"' in body
    assert rows() == []


async def test_bad_list_filters_and_delete(console: ConsoleClient, add: Add) -> None:
    [message] = add("c1", said("hello over there", "greet"))
    annotate(message, AS_IS)
    await console.login("rita")
    for query in ("page=abc", "page=0", "exported=maybe", "page=" + "9" * 30):
        assert (await console.get("/annotations?" + query)).status == 400, query
    assert (await console.post("/annotations/abc/delete")).status == 404
    assert (await console.post("/annotations/999/delete")).status == 404
    response = await console.post(f"/annotations/{rows()[0].id}/delete",
                                  {"next": "/annotations?label=greet&msg=old"})
    assert response.status == 303 and response.headers["Location"].startswith(
        "/annotations?label=greet&msg=Annotation")
    assert rows() == []


async def test_only_admins_export(console: ConsoleClient, add: Add, reviewed_file: Path) -> None:
    [message] = add("c1", said("hello over there", "greet"))
    annotate(message, AS_IS)
    await console.login("rita", role="reviewer")
    assert (await console.post("/annotations/export")).status == 403
    assert not reviewed_file.exists()
    await console.post("/logout")
    await console.login("kim", role="admin")
    page = await console.page("/annotations")
    assert "Export training data" in page and "The next export writes 1 example " in page
    response = await console.post("/annotations/export")
    body = await response.text()
    assert response.status == 200 and "Wrote 1 example " in body
    assert str(reviewed_file) in body
    assert "hello over there" in reviewed_file.read_text(encoding="utf-8")
    entries = [e for e in audit_actions() if e.action == "export_annotations"]
    assert [e.username for e in entries] == ["kim"]
