"""Shared fixtures: project paths, the merged domain, a tracker factory, a dispatcher."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

ROOT = Path(__file__).resolve().parent.parent
SOURCES_DIR = Path(os.environ.get("SOURCES_DIR", ROOT.parent / "shared" / "sources"))
MODEL_PATH = ROOT / "models" / "clinic.tar.gz"


def load_yaml(path: Path) -> Dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def merged_domain() -> Dict[str, Any]:
    """domain.yml plus every response file under data/responses (as Rasa merges them)."""
    domain = load_yaml(ROOT / "domain.yml")
    responses: Dict[str, Any] = dict(domain.get("responses") or {})
    for path in sorted((ROOT / "data" / "responses").glob("*.yml")):
        responses.update(load_yaml(path).get("responses") or {})
    domain["responses"] = responses
    return domain


@pytest.fixture(scope="session")
def domain() -> Dict[str, Any]:
    return merged_domain()


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()


@pytest.fixture
def make_tracker() -> Callable[..., Tracker]:
    """Build a rasa-sdk Tracker with a given latest message, slots and events."""

    def _make(
        latest_message: Optional[Dict[str, Any]] = None,
        slots: Optional[Dict[str, Any]] = None,
        events: Optional[List[Dict[str, Any]]] = None,
        sender_id: str = "test-user",
    ) -> Tracker:
        return Tracker(
            sender_id=sender_id,
            slots=slots or {},
            latest_message=latest_message or {},
            events=events or [],
            paused=False,
            followup_action=None,
            active_loop={},
            latest_action_name="action_listen",
        )

    return _make


@pytest.fixture
def tracker(make_tracker: Callable[..., Tracker]) -> Tracker:
    return make_tracker()
