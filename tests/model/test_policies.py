"""The policies predict from the last messages only (addons/policies.py), and that changes
no prediction: checked on the training data's shape and on long conversations."""

from __future__ import annotations

import asyncio
import glob
from typing import Any, List, Tuple

import pytest
import yaml
from rasa.shared.core.events import ActionExecuted, ActiveLoop, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from addons import policies
from scripts.nlu_eval import load_agent
from tests.conftest import MODEL_PATH, ROOT

MESSAGES = [
    "what is kyphoplasty", "how long is recovery", "thanks", "will i be asleep", "yes", "no",
    "i want to book an appointment", "Rosa Diaz", "312 555 0199", "mornings", "what?",
    "can i drive after", "talk to a nurse", "hmm", "my legs are numb since the procedure",
    "what are the risks", "ok", "asdf qwer", "is vertebroplasty different", "bye",
]


def _user_turns(steps: List[Any]) -> int:
    return sum(1 for step in steps if isinstance(step, dict) and ("intent" in step or "or" in step
                                                                 or "user" in step))


def test_no_story_or_rule_is_longer_than_the_recent_window() -> None:
    """What makes the window exact: nothing to match further back, no conversation_start."""
    for name in glob.glob(str(ROOT / "data" / "**" / "*.yml"), recursive=True):
        data = yaml.safe_load(open(name, encoding="utf-8")) or {}
        for item in (data.get("stories") or []) + (data.get("rules") or []):
            assert _user_turns(item.get("steps", [])) < policies.RECENT_TURNS, item.get("story")
            assert not item.get("conversation_start"), item.get("rule")


def _best(prediction: Any) -> str:
    return str(max(prediction["scores"], key=lambda s: s["score"])["action"])


def _dry_run(agent: Any, turns: int) -> List[Tuple[str, str, str]]:
    """Talk to the policies without running actions; compare recent and whole histories."""
    tracker = DialogueStateTracker("dry-run", agent.domain.slots)
    tracker.update(ActionExecuted("action_listen"))
    compared = []

    def predict() -> Any:
        return agent.processor.predict_next_with_tracker(tracker)

    for turn in range(turns):
        text = MESSAGES[turn % len(MESSAGES)]
        parsed = asyncio.run(agent.parse_message(text))
        tracker.update(UserUttered(text, parsed["intent"], parsed["entities"], parsed))
        for _ in range(4):
            recent = predict()
            policies.RECENT_TURNS, saved = 10**6, policies.RECENT_TURNS
            try:
                whole = predict()
            finally:
                policies.RECENT_TURNS = saved
            action, expected = _best(recent), _best(whole)
            compared.append((text, f"{action} {recent['policy']}",
                             f"{expected} {whole['policy']}"))
            tracker.update(ActionExecuted(action, recent["policy"], recent["confidence"]))
            if action == "appointment_form":  # what the form would do, without the server
                tracker.update(ActiveLoop("appointment_form"))
                tracker.update(SlotSet("requested_slot", "appointment_name"))
            if action == "action_listen":
                break
        else:
            tracker.update(ActionExecuted("action_listen"))
    return compared


@pytest.mark.skipif(not MODEL_PATH.exists(), reason="run `make train` first")
def test_recent_and_whole_histories_predict_the_same() -> None:
    agent = load_agent(MODEL_PATH)
    compared = _dry_run(agent, turns=60)
    assert len(compared) >= 60
    assert [c for c in compared if c[1] != c[2]] == []
