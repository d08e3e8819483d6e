"""Shared form helpers: count unusable answers (re-ask twice, then end), clear slots."""

from __future__ import annotations

from typing import Any, Dict, Iterable, List

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

MAX_FAILURES = 3  # the third unusable answer in a row ends the form
GAVE_UP = "gave_up"  # the outcome a form ends with then


def count_failure(dispatcher: CollectingDispatcher, tracker: Tracker, slot: str, response: str,
                  failures_slot: str, outcome_slot: str) -> Dict[str, Any]:
    """Say what is wrong and ask again (``response``); the third failure ends the form."""
    failures = int(tracker.get_slot(failures_slot) or 0) + 1
    if failures >= MAX_FAILURES:
        return {slot: None, failures_slot: failures, outcome_slot: GAVE_UP}
    dispatcher.utter_message(response=response)
    return {slot: None, failures_slot: failures}


def cleared(slots: Iterable[str]) -> List[EventType]:
    """Events that empty the given slots."""
    return [SlotSet(slot, None) for slot in slots]
