"""The check-in dialogue: reading pain scores and yes/no, the form's validation action turn
by turn, the start action, and the finish action against the database (answers stored on
the check-in, a staff alert when pain is worse, once)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Dict, List, Optional, Sequence, Tuple

import pytest
from rasa_sdk import Tracker
from sqlalchemy import select

from actions.checkin_form import ActionFinishCheckin, ActionStartCheckin, ValidateCheckinForm
from clinic.followups.checkin_answers import read_pain, read_red_flag
from clinic.followups.schedule import register
from clinic.models import FollowUpCheckin, OutboxMessage, StaffAlert, utcnow

PHONE = "+13125550199"
TRIGGER = {"event": "user", "text": "EXTERNAL: EXTERNAL_followup_checkin",
           "parse_data": {"intent": {"name": "EXTERNAL_followup_checkin"}}}


@pytest.mark.parametrize("text, score", [
    ("7", "7"), ("about a 6", "6"), ("4/10", "4"), ("seven", "7"), ("Seven.", "7"),
    ("i'd say 3 out of 10", "3"), ("6-7", "7"), ("no pain at all", "0"), ("0", "0"),
    ("10", "10"), ("pain is 8/10 after 2 days", "8"), ("7.5", "8"),
])
def test_pain_scores_are_read(text, score):
    assert read_pain(text).value == score


@pytest.mark.parametrize("text, error", [
    ("banana", "unclear"), ("", "unclear"), ("I took 2 tylenol", "unclear"),
    ("12", "out_of_range"), ("-1", "out_of_range"), ("100", "out_of_range"),
    ("1 2 3 4", "unclear"),
])
def test_pain_answers_that_cant_be_used(text, error):
    assert read_pain(text).error == error


@pytest.mark.parametrize("text, intent, value", [
    ("yes", "affirm", "flagged"), ("", "affirm", "flagged"), ("no", "deny", "clear"),
    ("", "deny", "clear"), ("none of those", "inform", "clear"), ("nope", "deny", "clear"),
    ("maybe", "nlu_fallback", None), ("what counts as a fever?", "faq", None),
])
def test_red_flag_answers(text, intent, value):
    assert read_red_flag(text, intent).value == value


def checkin_tracker(text: str, requested: Optional[str], intent: str = "inform",
                    slots: Optional[Dict[str, Any]] = None, earlier: Optional[List[Dict]] = None,
                    came_back_after: Sequence[str] = (), sender: str = PHONE,
                    after: Optional[List[Dict]] = None) -> Tracker:
    """The tracker the check-in form's validation action receives, as Rasa builds it: the
    message, the actions of other rules that answered it first (``came_back_after``), then
    Rasa's marks of the form's run, then any answers it asks to re-check (``after``)."""
    latest = {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": []}
    events = [TRIGGER, *(earlier or []),
              {"event": "user", "text": text, "parse_data": latest, "input_channel": "twilio"},
              *({"event": "action", "name": name} for name in came_back_after),
              {"event": "slot", "name": "requested_slot", "value": requested},
              {"event": "action", "name": "checkin_form"}, *(after or [])]
    return Tracker(sender_id=sender, slots={**(slots or {}), "requested_slot": requested},
                   latest_message=latest, events=events, paused=False, followup_action=None,
                   active_loop={"name": "checkin_form"}, latest_action_name="checkin_form")


@pytest.fixture
def validate(domain, dispatcher):
    """Run the validation action: (slot values it sets, responses it sends)."""

    async def _run(*args: Any, **kwargs: Any) -> Tuple[Dict[str, Any], List[str]]:
        dispatcher.messages.clear()
        events = await ValidateCheckinForm().run(dispatcher, checkin_tracker(*args, **kwargs),
                                                 domain)
        return ({e["name"]: e["value"] for e in events},
                [m["response"] for m in dispatcher.messages])

    return _run


async def test_pain_answer_is_stored_as_a_number(validate):
    slots, said = await validate("about a 6", "checkin_pain")
    assert slots["checkin_pain"] == "6" and slots["checkin_failures"] == 0 and said == []


async def test_a_digit_reaches_the_form_even_if_the_classifier_calls_it_a_question(validate):
    slots, _ = await validate("7", "checkin_pain", intent="faq")
    assert slots["checkin_pain"] == "7"


@pytest.mark.parametrize("text, response", [
    ("it's been a rough week", "utter_invalid_checkin_pain_unclear"),
    ("12", "utter_invalid_checkin_pain_out_of_range"),
])
async def test_unusable_pain_answers_are_re_asked(validate, text, response):
    slots, said = await validate(text, "checkin_pain", intent="nlu_fallback")
    assert slots == {"checkin_pain": None, "checkin_failures": 1}
    assert said == [response]


async def test_third_failure_ends_the_checkin(validate):
    slots, said = await validate("banana", "checkin_pain", slots={"checkin_failures": 2})
    assert slots["checkin_outcome"] == "gave_up" and slots["requested_slot"] is None
    assert said == []


@pytest.mark.parametrize("text, intent", [
    ("is it normal for my back to ache after kyphoplasty?", "faq"),
    ("I can't feel my legs", "urgent_symptom"),
    ("can I talk to a nurse", "request_human"),
])
async def test_the_form_steps_aside_for_questions_and_red_flags(validate, text, intent):
    assert await validate(text, "checkin_pain", intent=intent) == ({}, [])


async def test_red_flag_yes_by_button_clears_the_level_for_the_general_instruction(validate):
    slots, _ = await validate("/affirm", "checkin_red_flag", intent="affirm",
                              slots={"checkin_pain": "3", "red_flag_level": "emergency"})
    assert slots["checkin_red_flag"] == "flagged" and slots["red_flag_level"] is None
    assert slots["safety_instruction"] is None


async def test_red_flag_no(validate):
    slots, _ = await validate("no", "checkin_red_flag", intent="deny",
                              slots={"checkin_pain": "3"})
    assert slots["checkin_red_flag"] == "clear"


async def test_back_after_a_red_flag_in_words_the_question_is_answered(validate):
    urgent = {"event": "user", "text": "I can't feel my legs",
              "parse_data": {"intent": {"name": "urgent_symptom"}}}
    slots, said = await validate("I can't feel my legs", "checkin_pain", intent="urgent_symptom",
                                 earlier=[urgent], came_back_after=(
                                     "utter_urgent_symptom", "action_raise_staff_alert"))
    assert slots["checkin_red_flag"] == "flagged_in_words" and said == []
    # without a red flag since the check-in began, coming back changes nothing
    slots, _ = await validate("what is kyphoplasty", "checkin_pain", intent="faq",
                              came_back_after=("utter_faq",))
    assert "checkin_red_flag" not in slots


async def test_a_late_answer_reopening_the_checkin_is_read(validate):
    """Reopening in a new session, Rasa validates the answers carried over (slot events
    after its mark of the form's run) and reads the message in the same call."""
    slots, said = await validate("no", "checkin_red_flag", intent="deny",
                                 slots={"checkin_pain": "3", "checkin_open": True},
                                 after=[{"event": "slot", "name": "checkin_pain", "value": "3"}])
    assert slots["checkin_pain"] == "3" and slots["checkin_red_flag"] == "clear"
    assert said == []


async def test_answers_cleared_by_the_start_are_not_checked(domain, dispatcher):
    """Right after the trigger, the start action's cleared slots are not answers to check."""
    tracker = checkin_tracker("", None, intent="EXTERNAL_followup_checkin",
                              came_back_after=("action_start_checkin",),
                              after=[{"event": "slot", "name": "checkin_pain", "value": None},
                                     {"event": "slot", "name": "checkin_red_flag",
                                      "value": None}])
    tracker.events.pop(1)  # the trigger is the patient's latest "message" here
    events = await ValidateCheckinForm().run(dispatcher, tracker, domain)
    assert all(e["value"] is None for e in events) and dispatcher.messages == []


async def test_start_reads_the_trigger_and_clears_old_answers(domain, dispatcher):
    latest = {"intent": {"name": "EXTERNAL_followup_checkin"}, "entities": [
        {"entity": "followup_checkin_id", "value": "12"},
        {"entity": "followup_procedure", "value": "kyphoplasty"},
        {"entity": "followup_day", "value": "3"}]}
    tracker = Tracker(PHONE, {"checkin_pain": "4"}, latest, [TRIGGER], False, None, {},
                      "action_listen")
    events = await ActionStartCheckin().run(dispatcher, tracker, domain)
    slots = {e["name"]: e["value"] for e in events}
    assert slots["checkin_id"] == "12" and slots["checkin_pain"] is None
    assert slots["checkin_open"] is True
    assert (slots["checkin_procedure"], slots["checkin_day"]) == ("kyphoplasty", "3")
    [message] = dispatcher.messages
    assert message["response"] == "utter_checkin_intro"
    assert (message["checkin_procedure"], message["checkin_day"]) == ("kyphoplasty", "3")


@pytest.fixture
def sent_checkins(db_engine, db_session, settings_env) -> List[int]:
    """A follow-up for PHONE whose day-1 check-in was answered (pain 4), day 3 just sent."""
    register(PHONE, "kyphoplasty", date.today() - timedelta(days=3), "kim", None,
             settings_env())
    rows = db_session.execute(select(FollowUpCheckin).order_by(FollowUpCheckin.day_offset)
                              ).scalars().all()
    rows[0].status, rows[0].pain_score, rows[0].sent_at = "answered", 4, utcnow()
    rows[1].status, rows[1].sent_at = "sent", utcnow()
    db_session.commit()
    return [r.id for r in rows]


async def finish(domain, dispatcher, slots: Dict[str, Any], sender: str = PHONE):
    dispatcher.messages.clear()
    tracker = checkin_tracker("no", None, intent="deny", slots=slots, sender=sender)
    events = await ActionFinishCheckin().run(dispatcher, tracker, domain)
    return events, dispatcher.messages


async def test_worse_pain_is_stored_and_alerts_staff_once(domain, dispatcher, db_session,
                                                          sent_checkins):
    slots = {"checkin_id": str(sent_checkins[1]), "checkin_pain": "7",
             "checkin_red_flag": "clear"}
    events, [message] = await finish(domain, dispatcher, slots)
    assert message["response"] == "utter_checkin_pain_worse"
    assert message["checkin_previous_pain"] == 4
    reset = {e["name"]: e["value"] for e in events}
    assert reset["checkin_pain"] is None and reset["checkin_open"] is False
    row = db_session.get(FollowUpCheckin, sent_checkins[1])
    assert (row.status, row.pain_score, row.red_flag) == ("answered", 7, "no")
    [alert] = db_session.execute(select(StaffAlert)).scalars().all()
    assert (alert.level, alert.conversation_id, alert.concepts) == (
        "follow_up", PHONE, ["pain_worse"])
    assert alert.evidence == ["day 3 pain 7/10, was 4/10"]
    assert db_session.execute(select(OutboxMessage.kind)).scalars().all() == ["staff_alert"]
    await finish(domain, dispatcher, slots)  # a retried action: no second alert
    assert len(db_session.execute(select(StaffAlert)).scalars().all()) == 1


async def test_same_or_better_pain_just_thanks(domain, dispatcher, db_session, sent_checkins):
    _, [message] = await finish(domain, dispatcher, {"checkin_pain": "3",
                                                     "checkin_red_flag": "clear"})
    assert message["response"] == "utter_checkin_thanks"  # no id: the latest sent check-in
    assert db_session.get(FollowUpCheckin, sent_checkins[1]).pain_score == 3
    assert db_session.execute(select(StaffAlert)).first() is None


async def test_red_flag_answer_is_stored_and_acknowledged(domain, dispatcher, db_session,
                                                          sent_checkins):
    _, [message] = await finish(domain, dispatcher, {"checkin_id": str(sent_checkins[1]),
                                                     "checkin_pain": "2",
                                                     "checkin_red_flag": "flagged"})
    assert message["response"] == "utter_checkin_thanks_red_flag"
    assert db_session.get(FollowUpCheckin, sent_checkins[1]).red_flag == "yes"


async def test_another_numbers_checkin_is_never_touched(domain, dispatcher, db_session,
                                                        sent_checkins):
    _, [message] = await finish(domain, dispatcher, {"checkin_id": str(sent_checkins[1]),
                                                     "checkin_pain": "9",
                                                     "checkin_red_flag": "clear"},
                                sender="+17735550142")
    assert message["response"] == "utter_checkin_unavailable"
    assert db_session.get(FollowUpCheckin, sent_checkins[1]).pain_score is None


async def test_stopped_early_keeps_what_was_answered(domain, dispatcher, db_session,
                                                     sent_checkins):
    _, [message] = await finish(domain, dispatcher, {"checkin_id": str(sent_checkins[1]),
                                                     "checkin_pain": "5"})
    assert message["response"] == "utter_checkin_stopped"
    assert db_session.get(FollowUpCheckin, sent_checkins[1]).pain_score == 5
