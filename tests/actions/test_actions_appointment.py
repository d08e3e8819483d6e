"""The booking form's validation action, turn by turn, as Rasa's form calls it.

Each test builds the tracker Rasa sends (the patient's message, the open question, the
answers so far), runs ``validate_appointment_form`` and checks the slot events and the
re-ask it sends. No events at all means the form steps aside for another rule.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.appointment_form import ValidateAppointmentForm

ANSWERED = {
    "appointment_name": "Maria Lopez", "appointment_phone": "+13125550199",
    "appointment_phone_display": "(312) 555-0199", "appointment_times": "tuesday mornings",
    "appointment_dates": ["2026-11-24"], "appointment_reason": "kyphoplasty",
    "appointment_contact": "phone",
}


def form_tracker(make_tracker: Callable[..., Tracker], text: str, requested: Optional[str],
                 slots: Optional[Dict[str, Any]] = None, intent: str = "inform",
                 procedures: Sequence[str] = (), channel: str = "rest",
                 sender: str = "web-1") -> Tracker:
    """The tracker the form's validation action receives for one patient message."""
    latest = {"text": text, "intent": {"name": intent, "confidence": 0.9},
              "entities": [{"entity": "procedure", "value": p} for p in procedures]}
    events = [{"event": "user", "text": text, "parse_data": latest, "input_channel": channel},
              {"event": "action", "name": "appointment_form"}]
    return make_tracker(latest_message=latest, slots={**(slots or {}), "requested_slot": requested},
                        events=events, sender_id=sender)


@pytest.fixture
def validate(domain, make_tracker, dispatcher):
    """Run the validation action on one message: (slot values it sets, responses it sends)."""

    async def _run(text: str, requested: Optional[str], **kwargs: Any
                   ) -> Tuple[Dict[str, Any], List[str]]:
        dispatcher.messages.clear()
        tracker = form_tracker(make_tracker, text, requested, **kwargs)
        events = await ValidateAppointmentForm().run(dispatcher, tracker, domain)
        assert all(e["event"] == "slot" for e in events)
        return ({e["name"]: e["value"] for e in events},
                [m["response"] for m in dispatcher.messages])

    return _run


def next_question(slots: Dict[str, Any]) -> Optional[str]:
    """The question Rasa's form asks next after these events (given the ANSWERED slots)."""
    if "requested_slot" in slots:
        return slots["requested_slot"]
    merged = {**ANSWERED, **slots}
    order = [*ANSWERED.keys(), "appointment_confirmed"]
    return next((s for s in order if merged.get(s) is None and "display" not in s
                 and "dates" not in s), None)


# --- good answers ---

async def test_name_is_tidied_and_the_next_question_follows(validate):
    slots, said = await validate("maria lopez", "appointment_name")
    assert slots == {"appointment_name": "Maria Lopez", "appointment_failures": 0}
    assert said == []


async def test_phone_is_stored_as_e164_with_a_readable_copy(validate):
    slots, _ = await validate("(312) 555-0199", "appointment_phone")
    assert slots["appointment_phone"] == "+13125550199"
    assert slots["appointment_phone_display"] == "(312) 555-0199"


async def test_on_sms_this_number_means_the_senders_number(validate):
    slots, _ = await validate("this number", "appointment_phone", channel="twilio",
                              sender="+17735550142")
    assert slots["appointment_phone"] == "+17735550142"


async def test_times_keep_the_words_and_add_dates(validate):
    slots, _ = await validate("Tuesday after 2 pm", "appointment_times")
    assert slots["appointment_times"] == "Tuesday after 2 pm"
    assert len(slots["appointment_dates"]) == 1


@pytest.mark.parametrize("text, procedures, reason", [
    ("Kyphoplasty", ("kyphoplasty",), "kyphoplasty"),
    ("the vertebroplasy one", ("vertebroplasty",), "vertebroplasty"),
    ("Not sure", (), "not sure"),
])
async def test_reason(validate, text, procedures, reason):
    slots, _ = await validate(text, "appointment_reason", procedures=procedures)
    assert slots["appointment_reason"] == reason


async def test_contact_answer_phone_call_is_not_a_request_for_a_person(validate):
    slots, _ = await validate("call me", "appointment_contact", intent="request_human")
    assert slots["appointment_contact"] == "phone"


async def test_declining_contact_ends_the_form(validate):
    slots, said = await validate("no", "appointment_contact", intent="deny")
    assert slots["appointment_outcome"] == "declined_contact"
    assert slots["requested_slot"] is None and said == []


# --- answers that can't be used: a specific re-ask, never a silent loop ---

@pytest.mark.parametrize("requested, text, intent, response", [
    ("appointment_name", "12", "inform", "utter_invalid_name_digits"),
    ("appointment_name", "", "inform", "utter_invalid_name_empty"),
    ("appointment_name", "Cher", "nlu_fallback", "utter_invalid_name_one_word"),
    ("appointment_name", "<script>alert(1)</script>", "nlu_fallback",
     "utter_invalid_name_empty"),
    ("appointment_name", "no thanks", "deny", "utter_invalid_name_not_a_name"),
    ("appointment_phone", "12", "inform", "utter_invalid_phone_too_short"),
    ("appointment_phone", "abc", "nlu_fallback", "utter_invalid_phone_no_digits"),
    ("appointment_phone", "555-CALL-NOW", "inform", "utter_invalid_phone_letters"),
    ("appointment_phone", "+44 20 7946 0958", "inform", "utter_invalid_phone_foreign"),
    # a number is an attempt at the answer whatever the classifier made of it
    ("appointment_phone", "+44 20 7946 0958", "out_of_scope", "utter_invalid_phone_foreign"),
    ("appointment_phone", "", "inform", "utter_invalid_phone_no_digits"),
    ("appointment_times", "yesterday", "affirm", "utter_invalid_times_past"),
    ("appointment_times", "Nov 3 2025", "inform", "utter_invalid_times_past"),
    ("appointment_times", "blue", "nlu_fallback", "utter_invalid_times_unclear"),
    ("appointment_times", "", "inform", "utter_invalid_times_unclear"),
    ("appointment_reason", "blue", "nlu_fallback", "utter_invalid_reason"),
    ("appointment_contact", "blue", "nlu_fallback", "utter_invalid_contact"),
    ("appointment_confirmed", "maybe", "nlu_fallback", "utter_invalid_confirmation"),
])
async def test_bad_answers_get_a_specific_re_ask(validate, domain, requested, text, intent,
                                                 response):
    slots, said = await validate(text, requested, intent=intent)
    assert slots[requested] is None
    assert slots["appointment_failures"] == 1
    assert said == [response]
    assert response in domain["responses"]


async def test_foreign_numbers_pass_when_the_clinic_allows_the_region(validate, settings_env):
    settings_env(PHONE_REGIONS="US,CA")
    slots, said = await validate("+1 416 555 0123", "appointment_phone")
    assert slots["appointment_phone"] == "+14165550123" and said == []


async def test_third_failure_in_a_row_ends_the_form_without_another_re_ask(validate):
    slots, said = await validate("12", "appointment_phone",
                                 slots={"appointment_failures": 2})
    assert slots["appointment_outcome"] == "gave_up"
    assert slots["requested_slot"] is None
    assert said == []  # action_finish_appointment offers the clinic's phone


async def test_name_and_number_in_one_message_fill_both(validate):
    slots, said = await validate("Ann Lee 312 555 0199", "appointment_name")
    assert (slots["appointment_name"], slots["appointment_phone"]) == ("Ann Lee", "+13125550199")
    assert said == []


async def test_a_good_answer_resets_the_failure_count(validate):
    slots, _ = await validate("312 555 0199", "appointment_phone",
                              slots={"appointment_failures": 2})
    assert slots["appointment_failures"] == 0


# --- the form steps aside: questions, red flags, cancel, a person ---

@pytest.mark.parametrize("requested, text, intent", [
    ("appointment_name", "how long is recovery?", "faq"),
    ("appointment_phone", "will she be asleep during it", "faq"),
    ("appointment_reason", "what is kyphoplasty?", "faq"),
    ("appointment_times", "what's the weather like", "out_of_scope"),
    ("appointment_name", "I want to talk to a real person", "request_human"),
    ("appointment_phone", "my legs went numb 312 555 0199", "urgent_symptom"),
    ("appointment_times", "never mind", "cancel"),
    ("appointment_confirmed", "", "cancel"),
])
async def test_the_form_steps_aside(validate, requested, text, intent):
    slots, said = await validate(text, requested, slots=ANSWERED, intent=intent)
    assert slots == {} and said == []


# --- the read-back, changes and corrections ---

async def test_yes_confirms(validate):
    slots, _ = await validate("", "appointment_confirmed", slots=ANSWERED,
                              intent="affirm")
    assert slots["appointment_confirmed"] is True
    assert next_question(slots) is None  # nothing left: the form ends


async def test_typed_change_something_is_not_a_cancel_at_the_read_back(validate):
    slots, _ = await validate("change something", "appointment_confirmed", slots=ANSWERED,
                              intent="cancel")
    assert slots["appointment_confirmed"] is False
    slots, _ = await validate("cancel", "appointment_confirmed", slots=ANSWERED,
                              intent="cancel")
    assert slots == {}  # a real cancel: the form steps aside for the cancel rule


async def test_change_something_asks_which_answer(validate):
    slots, _ = await validate("", "appointment_confirmed", slots=ANSWERED,
                              intent="deny")
    assert slots["appointment_confirmed"] is False
    assert slots["requested_slot"] == "appointment_field"


async def test_choosing_an_answer_clears_it_so_it_is_asked_again(validate):
    slots, _ = await validate("Phone number", "appointment_field",
                              slots={**ANSWERED, "appointment_confirmed": False})
    assert slots["appointment_phone"] is None and slots["appointment_phone_display"] is None
    assert slots["appointment_confirmed"] is None
    assert next_question(slots) == "appointment_phone"


async def test_saying_what_is_wrong_goes_straight_to_it(validate):
    slots, _ = await validate("the phone number is wrong", "appointment_confirmed",
                              slots=ANSWERED, intent="deny")
    assert slots["appointment_phone"] is None
    assert next_question(slots) == "appointment_phone"


async def test_actually_my_number_is_corrects_it_and_reads_back_again(validate):
    slots, said = await validate("actually my number is 773 555 0142",
                                 "appointment_confirmed", slots=ANSWERED)
    assert slots["appointment_phone"] == "+17735550142"
    assert slots["appointment_phone_display"] == "(773) 555-0142"
    assert "appointment_confirmed" not in slots or slots["appointment_confirmed"] is None
    assert said == []


async def test_a_correction_mid_form_keeps_the_open_question(validate):
    slots, said = await validate("oh and her name is rosa delgado, sorry",
                                 "appointment_times", slots=ANSWERED, intent="inform")
    assert slots["appointment_name"] == "Rosa Delgado"
    assert slots["appointment_times"] is None  # the open question is asked again
    assert said == ["utter_invalid_times_unclear"]


async def test_times_and_contact_corrections_at_the_read_back(validate):
    slots, _ = await validate("actually friday afternoon instead, and text me",
                              "appointment_confirmed", slots=ANSWERED)
    assert slots["appointment_times"] == "actually friday afternoon instead, and text me"
    assert slots["appointment_contact"] == "text"


async def test_details_given_with_the_request_are_kept(validate):
    slots, _ = await validate("I'd like a kyphoplasty consult, call 312 555 0199",
                              None, intent="request_appointment", procedures=("kyphoplasty",))
    assert slots["appointment_reason"] == "kyphoplasty"
    assert slots["appointment_phone"] == "+13125550199"


async def test_name_and_number_given_with_the_request_are_kept(validate):
    slots, _ = await validate(
        "can i book for my mom, her name is Gloria Estrada and her number is 630 555 0148",
        None, intent="request_appointment")
    assert (slots["appointment_name"], slots["appointment_phone"]) == (
        "Gloria Estrada", "+16305550148")


async def test_no_questions_remain_once_the_form_has_an_outcome(domain, make_tracker):
    action = ValidateAppointmentForm()
    tracker = form_tracker(make_tracker, "x", None, slots={"appointment_outcome": "gave_up"})
    assert await action.required_slots([], CollectingDispatcher(), tracker, domain) == []
