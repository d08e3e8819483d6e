"""dialogue.reminder_due: while a patient waits for staff, a reminder now and then only."""

from __future__ import annotations

from typing import List

from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SlotSet, UserUttered
from rasa.shared.core.slots import AnySlot
from rasa.shared.core.trackers import DialogueStateTracker

from addons.channels.dialogue import REMIND_EVERY, reminder_due


def tracker_of(events: List[Event]) -> DialogueStateTracker:
    slots = [AnySlot(name, mappings=[{}]) for name in ("handoff_waiting", "safety_frame")]
    return DialogueStateTracker.from_events("patient", events, slots=slots)


def question(text: str = "how long is the recovery?", intent: str = "faq") -> List[Event]:
    return [ActionExecuted("action_listen"), UserUttered(text, {"name": intent}),
            ActionExecuted("utter_faq"), BotUttered("An answer.")]


def handed_over() -> List[Event]:
    return [ActionExecuted("action_listen"),
            UserUttered("can i talk to a person", {"name": "request_human"}),
            ActionExecuted("action_request_handoff"), BotUttered("I've passed your chat..."),
            SlotSet("handoff_waiting", True)]


def test_every_third_message_after_the_hand_off_gets_the_reminder():
    events = handed_over()
    due = []
    for _ in range(2 * REMIND_EVERY):
        events += question()
        due.append(reminder_due(tracker_of(events)))
        if due[-1]:
            events += [ActionExecuted("utter_handoff_waiting"), BotUttered("Our team has...")]
    assert REMIND_EVERY == 3 and due == [False, False, True, False, False, True]


def test_no_reminder_when_nobody_waits_for_staff():
    events = question() * 5
    assert not reminder_due(tracker_of(events))
    withdrawn = handed_over() + question() * 4 + [SlotSet("handoff_waiting", False)]
    assert not reminder_due(tracker_of(withdrawn))
    assert not reminder_due(None)


def test_no_reminder_after_a_staff_reply_or_with_a_red_flag():
    replied = handed_over() + question() + [
        BotUttered("Hi, this is Nurse Kim.", metadata={"staff_reply": True})] + question() * 3
    assert not reminder_due(tracker_of(replied))
    red_flag = handed_over() + question() * 2 + question("i cant breathe", "urgent_symptom")
    assert not reminder_due(tracker_of(red_flag))
    framed = handed_over() + question() * 3 + [SlotSet("safety_frame", True)]
    assert not reminder_due(tracker_of(framed))
