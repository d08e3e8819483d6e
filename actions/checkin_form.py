"""The post-procedure check-in dialogue: start, the form's validation action, finish.

The worker starts it with the external intent ``EXTERNAL_followup_checkin`` (entities
``followup_checkin_id``, ``followup_procedure``, ``followup_day``; see
``clinic.followups.checkin_sender``). Rules in ``data/rules/followups.yml``:
``action_start_checkin`` -> ``checkin_form`` (pain 0-10, then yes/no to the red flags)
-> for a "yes", the safety instruction and ``action_raise_staff_alert`` -> then
``action_finish_checkin`` stores the answers and thanks the patient.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import REQUESTED_SLOT, FormValidationAction
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.conversation import latest_user_text, message_context
from actions.form_failures import GAVE_UP, cleared, count_failure
from clinic.db import run_in_thread
from clinic.followups.checkin_answers import (
    CLEAR,
    EXTERNAL_INTENT,
    FLAGGED,
    FLAGGED_IN_WORDS,
    PAIN,
    RED_FLAG,
    URGENT_INTENT,
    CheckinTurn,
    extract,
    read_pain,
    read_red_flag,
)
from clinic.followups.checkin_sender import CHECKIN_ENTITY
from clinic.followups.checkin_store import Recorded, record_answers
from clinic.privacy import sender_tag
from clinic.text import clean

logger = logging.getLogger(__name__)

FORM = "checkin_form"
CHECKIN_ID, PROCEDURE, DAY = "checkin_id", "checkin_procedure", "checkin_day"
FAILURES, OUTCOME = "checkin_failures", "checkin_outcome"
OPEN = "checkin_open"  # carried into a new session: a late reply reopens the check-in
FORM_SLOTS = (PAIN, RED_FLAG, FAILURES, OUTCOME)
# Stored on the check-in row (column red_flag).
STORED_RED_FLAG = {FLAGGED: "yes", CLEAR: "no", FLAGGED_IN_WORDS: "reported"}
Slots = Dict[str, Any]


def reset_events() -> List[EventType]:
    """Clear the check-in form's answers (a later check-in starts afresh)."""
    return [*cleared(FORM_SLOTS), SlotSet(OPEN, False)]


def turn_of(tracker: Tracker) -> CheckinTurn:
    """The latest message as the check-in form needs it."""
    latest = tracker.latest_message or {}
    intent = str((latest.get("intent") or {}).get("name") or "")
    raised = seen_user = other_action = False
    for event in reversed(tracker.events or []):
        if not seen_user and event.get("event") == "action":
            # Rasa marks the form's own run; any other action means another rule answered
            # this message first (a red flag, a question) and the form is coming back.
            other_action = other_action or event.get("name") != FORM
        if event.get("event") != "user":
            continue
        seen_user = True
        name = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        if name == EXTERNAL_INTENT:
            break
        raised = raised or name == URGENT_INTENT
    text = "" if intent == EXTERNAL_INTENT else clean(latest_user_text(tracker))[:500]
    return CheckinTurn(text=text, intent=intent, requested=tracker.get_slot(REQUESTED_SLOT),
                       after_listen=not other_action,
                       red_flag_raised=raised,
                       red_flag_answered=tracker.get_slot(RED_FLAG) is not None)


def rejected(dispatcher: CollectingDispatcher, tracker: Tracker, slot: str,
             response: str) -> Slots:
    """Say what is wrong and ask again; the third failure in a row ends the check-in."""
    return count_failure(dispatcher, tracker, slot, response, FAILURES, OUTCOME)


class ValidateCheckinForm(FormValidationAction):
    """Extract and check the check-in's answers."""

    def name(self) -> str:
        """The form's validation action."""
        return f"validate_{FORM}"

    async def required_slots(
        self, domain_slots: List[str], dispatcher: CollectingDispatcher, tracker: Tracker,
        domain: DomainDict,
    ) -> List[str]:
        """Pain, then the red flags; none once the check-in has ended early."""
        return [] if tracker.get_slot(OUTCOME) else [PAIN, RED_FLAG]

    async def get_extraction_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """What this message answers (``clinic.followups.checkin_answers.extract``)."""
        return [SlotSet(slot, value) for slot, value in extract(turn_of(tracker)).items()]

    def validate_checkin_pain(self, value: Any, dispatcher: CollectingDispatcher,
                              tracker: Tracker, domain: DomainDict) -> Slots:
        """A whole number from 0 to 10."""
        if value is None:
            return {}  # cleared (a new check-in), not answered: nothing to check
        answer = read_pain(str(value or ""))
        if answer.value is None:
            return rejected(dispatcher, tracker, PAIN, f"utter_invalid_checkin_pain_{answer.error}")
        return {PAIN: answer.value, FAILURES: 0}

    def validate_checkin_red_flag(self, value: Any, dispatcher: CollectingDispatcher,
                                  tracker: Tracker, domain: DomainDict) -> Slots:
        """Yes or no; a "yes" clears the level so the instruction covers every red flag."""
        if value is None:
            return {}
        if value == FLAGGED_IN_WORDS:
            return {RED_FLAG: FLAGGED_IN_WORDS, FAILURES: 0}
        answer = read_red_flag(str(value or ""), turn_of(tracker).intent)
        if answer.value is None:
            return rejected(dispatcher, tracker, RED_FLAG, "utter_invalid_checkin_red_flag")
        if answer.value == FLAGGED:
            return {RED_FLAG: FLAGGED, FAILURES: 0, "red_flag_level": None,
                    "safety_instruction": None}
        return {RED_FLAG: answer.value, FAILURES: 0}


class ActionStartCheckin(Action):
    """Begin a check-in the worker triggered: remember which one, introduce it."""

    def name(self) -> str:
        """Runs on ``EXTERNAL_followup_checkin``."""
        return "action_start_checkin"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Read the trigger's entities into slots, clear old answers, send the intro."""
        found = {str(e.get("entity")): str(e.get("value"))
                 for e in (tracker.latest_message or {}).get("entities") or []}
        procedure = found.get("followup_procedure") or "procedure"
        day = found.get("followup_day") or ""
        dispatcher.utter_message(response="utter_checkin_intro", checkin_procedure=procedure,
                                 checkin_day=day)
        return [*reset_events(), SlotSet(OPEN, True), SlotSet(REQUESTED_SLOT, None),
                SlotSet(CHECKIN_ID, found.get(CHECKIN_ENTITY)), SlotSet(PROCEDURE, procedure),
                SlotSet(DAY, day)]


def closing(tracker: Tracker, recorded: Optional[Recorded]) -> Dict[str, Any]:
    """The response that ends the check-in, and its values."""
    pain, red_flag = tracker.get_slot(PAIN), tracker.get_slot(RED_FLAG)
    if tracker.get_slot(OUTCOME) == GAVE_UP:
        return {"response": "utter_checkin_gave_up"}
    if pain is None or red_flag is None:
        return {"response": "utter_checkin_stopped"}
    if recorded is None:
        return {"response": "utter_checkin_unavailable"}
    if red_flag in (FLAGGED, FLAGGED_IN_WORDS):
        return {"response": "utter_checkin_thanks_red_flag"}
    if recorded.worse:
        return {"response": "utter_checkin_pain_worse",
                "checkin_previous_pain": recorded.previous_pain}
    return {"response": "utter_checkin_thanks"}


class ActionFinishCheckin(Action):
    """Store the answers on the check-in, alert staff if pain is worse, thank the patient."""

    def name(self) -> str:
        """Runs when the check-in form ends (done, stopped or given up)."""
        return "action_finish_checkin"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Record, then answer; a database failure gets an apology and the phone."""
        pain = tracker.get_slot(PAIN)
        red_flag = STORED_RED_FLAG.get(str(tracker.get_slot(RED_FLAG)))
        tag = sender_tag(tracker.sender_id)
        recorded: Optional[Recorded] = None
        try:
            recorded = await run_in_thread(
                record_answers, message_context(tracker), tracker.get_slot(CHECKIN_ID),
                None if pain is None else int(pain), red_flag)
        except (SQLAlchemyError, ValueError) as exc:
            logger.error("Could not store check-in answers for conversation %s: %s", tag,
                         type(exc).__name__)
        else:
            if recorded is None:
                logger.warning("No check-in matches conversation %s; answers not stored", tag)
            else:
                logger.info("Check-in #%d answered%s", recorded.checkin_id,
                            " (pain worse: staff alerted)" if recorded.worse else "")
        dispatcher.utter_message(**closing(tracker, recorded))
        return reset_events()
