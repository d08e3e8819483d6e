"""checkin_guard: the Rasa server's own reading of a "yes" to a check-in's red-flag question."""

from __future__ import annotations

from typing import List, Optional

import pytest
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    Event,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.slots import AnySlot
from rasa.shared.core.trackers import DialogueStateTracker

from addons.channels.alert_backup import alert_for
from addons.channels.checkin_guard import checkin_yes
from addons.channels.dialogue import red_flag_unanswered


def asked_red_flag(open_loop: bool = True) -> List[Event]:
    """A check-in that has just asked the red-flag question."""
    events: List[Event] = [ActionExecuted("action_listen"),
                           UserUttered("/EXTERNAL_followup_checkin",
                                       {"name": "EXTERNAL_followup_checkin"})]
    if open_loop:
        events.append(ActiveLoop("checkin_form"))
    events += [SlotSet("checkin_open", True), SlotSet("checkin_pain", "3"),
               SlotSet("requested_slot", "checkin_red_flag"),
               BotUttered("Since your procedure, have you had any of these?"),
               ActionExecuted("action_listen")]
    return events


def tracker_of(events: List[Event]) -> DialogueStateTracker:
    slots = [AnySlot(name, mappings=[{}]) for name in
             ("checkin_open", "checkin_pain", "checkin_red_flag", "requested_slot")]
    return DialogueStateTracker.from_events("+13125550100", events, slots)


def answer(text: str, intent: str = "affirm", after: Optional[List[Event]] = None,
           open_loop: bool = True) -> DialogueStateTracker:
    return tracker_of(asked_red_flag(open_loop) + [UserUttered(
        text, {"name": intent, "confidence": 0.9},
        parse_data={"intent": {"name": intent}, "text": text})] + (after or []))


@pytest.mark.parametrize("text,intent", [
    ("yes", "affirm"), ("Yes I have", "affirm"), ("yeah", "inform"), ("y", "nlu_fallback"),
    ("/affirm", "affirm"), ("i did", "inform"),
])
def test_a_yes_the_form_could_not_read_is_seen(text: str, intent: str):
    tracker = answer(text, intent)  # no form validation ran: the action server was down
    assert checkin_yes(tracker)
    assert red_flag_unanswered(tracker)
    found = alert_for(tracker, tracker.latest_message)
    assert found is not None and found["level"] == "urgent"
    assert found["red_flag"]["evidence"]


@pytest.mark.parametrize("text,intent", [
    ("no", "deny"), ("none of those", "deny"), ("i'm fine", "inform"), ("/deny", "deny"),
    ("what do you mean by numbness?", "faq"), ("hmm", "nlu_fallback"),
])
def test_no_or_something_else_is_not_a_yes(text: str, intent: str):
    tracker = answer(text, intent)
    assert not checkin_yes(tracker)
    assert not red_flag_unanswered(tracker)
    assert alert_for(tracker, tracker.latest_message) is None


def test_a_late_yes_after_the_session_ended_is_seen():
    assert checkin_yes(answer("yes", open_loop=False))


def test_a_yes_to_another_question_is_not_a_red_flag():
    events = asked_red_flag()
    events[-3] = SlotSet("requested_slot", "checkin_pain")
    tracker = tracker_of(events + [UserUttered("yes", {"name": "affirm"})])
    assert not checkin_yes(tracker)


def test_yes_outside_a_checkin_is_not_a_red_flag():
    tracker = tracker_of([ActionExecuted("action_listen"),
                          SlotSet("requested_slot", "checkin_red_flag"),
                          UserUttered("yes", {"name": "affirm"})])
    assert not checkin_yes(tracker)


def test_a_yes_the_form_read_is_seen_and_answered_once_the_instruction_followed():
    after: List[Event] = [ActionExecuted("checkin_form"), SlotSet("checkin_red_flag", "flagged"),
                          ActiveLoop(None), SlotSet("requested_slot", None)]
    tracker = answer("yes", after=after)
    assert checkin_yes(tracker)  # the alert backup still makes sure of the alert
    assert red_flag_unanswered(tracker)
    tracker = answer("yes", after=after + [ActionExecuted("utter_urgent_symptom")])
    assert not red_flag_unanswered(tracker)


def test_a_flag_left_from_an_earlier_turn_does_not_alert_again():
    after: List[Event] = [ActionExecuted("checkin_form"), SlotSet("checkin_red_flag", "flagged"),
                          ActiveLoop(None), SlotSet("requested_slot", None),
                          ActionExecuted("utter_urgent_symptom"), ActionExecuted("action_listen"),
                          UserUttered("thank you", {"name": "thank"})]
    assert not checkin_yes(answer("yes", after=after))


def test_a_red_flag_in_words_is_left_to_the_safety_rules():
    assert not checkin_yes(answer("yes and i cant feel my legs", "urgent_symptom"))
