"""The booking form's readers on their own: phone numbers, preferred times, names,
procedure, contact consent, the read-back answer and which answer to change."""

from __future__ import annotations

from datetime import datetime

import pytest

from clinic.booking import form_answers as answers
from clinic.booking.phone import find_phone, parse_phone, sender_phone
from clinic.booking.preferred_times import parse_preferred_times

US = ("US",)
# A Saturday afternoon in the clinic's time zone (dates below are relative to it).
NOW = datetime(2026, 11, 21, 15, 0)


@pytest.mark.parametrize("typed", [
    "312-555-0199", "(312) 555-0199", "3125550199", "312.555.0199", "1 312 555 0199",
    "+1 312 555 0199", "my cell is 312 555 0199 thanks", "  312 555 0199  ",
])
def test_phone_numbers_become_e164(typed):
    result = parse_phone(typed, "US", US)
    assert (result.e164, result.display, result.error) == ("+13125550199", "(312) 555-0199", None)


@pytest.mark.parametrize("typed, error", [
    ("12", "too_short"),
    ("555 1234", "too_short"),  # no area code
    ("31255501999999", "too_long"),
    ("abc", "no_digits"),
    ("", "no_digits"),
    ("💙📞", "no_digits"),
    ("555-CALL-NOW", "letters"),
    ("312 555 O199", "letters"),  # a letter O for a zero
    ("1-800-FLOWERS", "letters"),
    ("+44 20 7946 0958", "foreign"),
    ("011 44 20 7946 0958", "foreign"),
    ("+1 416 555 0123", "foreign"),  # Canada is not in the default regions
    ("800 555 0199", "invalid"),  # toll-free: not a number to call a patient back on
    ("(555) 010-0100", "invalid"),
])
def test_bad_phone_numbers_say_what_is_wrong(typed, error):
    result = parse_phone(typed, "US", US)
    assert (result.e164, result.error) == (None, error)


def test_allowed_regions_are_configurable():
    assert parse_phone("+1 416 555 0123", "US", ("US", "CA")).e164 == "+14165550123"
    assert parse_phone("020 7946 0958", "GB", ("GB",)).e164 == "+442079460958"


def test_numbers_found_in_passing_and_sms_senders():
    found = find_phone("actually it's 773-555-0142 not the other one", "US", US)
    assert found is not None and found.e164 == "+17735550142"
    assert find_phone("tuesday after 3 on 12/5", "US", US) is None
    own = sender_phone("+17735550142", "US", US)
    assert own is not None and own.e164 == "+17735550142"
    assert sender_phone("web-user-1", "US", US) is None
    assert sender_phone("+442079460958", "US", US) is None


@pytest.mark.parametrize("typed, dates", [
    ("weekday mornings", []),
    ("any time", []),
    ("asap", []),
    ("whenever works", []),
    ("not sure, we're flexible", []),
    ("Tuesday after 2 pm", ["2026-11-24"]),
    ("tomorrow morning", ["2026-11-22"]),
    ("monday or wednesday afternoon", ["2026-11-23", "2026-11-25"]),
    ("12/5 at 10am", ["2026-12-05"]),
    ("December 1st", ["2026-12-01"]),
    ("I may be free on tuesdays", []),  # "may" is not read as the month
])
def test_preferred_times_keep_the_words_and_read_dates(typed, dates):
    times = parse_preferred_times(typed, NOW)
    assert (times.text, times.dates, times.error) == (typed, dates, None)


@pytest.mark.parametrize("typed, error", [
    ("yesterday", "past"),
    ("last monday", "past"),
    ("Nov 3 2025", "past"),
    ("March 3 2026 at 9am", "past"),
    ("on 3/3/2026", "past"),
    ("a week ago", "past"),
    ("blue", "unclear"),
    ("", "unclear"),
    ("💙", "unclear"),
    ("how long is recovery?", "unclear"),
])
def test_preferred_times_in_the_past_or_without_time_are_rejected(typed, error):
    assert parse_preferred_times(typed, NOW).error == error


def test_preferred_times_are_capped_but_kept():
    long = "tuesday mornings " * 40
    times = parse_preferred_times(long, NOW)
    assert times.error is None and len(times.text) <= 300


@pytest.mark.parametrize("typed, name", [
    ("Maria Lopez", "Maria Lopez"),
    ("maria lopez", "Maria Lopez"),
    ("JOHN SMITH", "John Smith"),
    ("my name is ana ruiz", "Ana Ruiz"),
    ("it's Tom Baker, thanks", "Tom Baker"),
    ("Mary O'Brien", "Mary O'Brien"),
    ("José Álvarez-Núñez", "José Álvarez-Núñez"),
    ("Robert de la Cruz Jr.", "Robert de la Cruz Jr"),
    ("Dr. Jane McDonald", "Dr. Jane McDonald"),
    ("An Nguyen", "An Nguyen"),  # names that are also common words stay names
    ("Will Hope", "Will Hope"),
    ("Minh Do", "Minh Do"),
    ("John A. Smith", "John A. Smith"),
])
def test_names_are_tidied(typed, name):
    assert answers.read_name(typed).value == name


@pytest.mark.parametrize("typed, error", [
    ("", "empty"),
    ("   ", "empty"),
    ("John Smith 3", "digits"),
    ("312 555 0199", "digits"),
    ("<b>bold</b> & co", "symbols"),
    ("💙💙", "symbols"),
    ("Cher", "one_word"),
    ("I want to book an appointment", "not_a_name"),
    ("how long is recovery", "not_a_name"),
    ("no thanks", "not_a_name"),
    ("change something", "not_a_name"),
    ("no idea", "not_a_name"),
    ("a b c d e f g h", "long"),
    ("Bartholomew " * 8, "long"),
])
def test_bad_names_say_what_is_wrong(typed, error):
    assert answers.read_name(typed).error == error


def test_name_corrections_need_the_words_name_is():
    assert answers.name_correction("sorry, her name is rosa delgado") == "Rosa Delgado"
    assert answers.name_correction("the name should be Ana Ruiz please") == "Ana Ruiz"
    assert answers.name_correction("Rosa Delgado") is None
    assert answers.name_correction(
        "can i book for my mom, her name is Gloria Estrada and her number is 630 555 0148"
    ) == "Gloria Estrada"
    assert answers.name_correction("my name is 12") is None


@pytest.mark.parametrize("typed, entities, value", [
    ("Kyphoplasty", (), "kyphoplasty"),
    ("the balloon one", (), "kyphoplasty"),
    ("vertebroplasy", ("vertebroplasty",), "vertebroplasty"),
    ("Not sure", (), "not sure"),
    ("skip", (), "not sure"),
    ("either one", (), "not sure"),
    ("no idea, maybe kyphoplasty", (), "not sure"),
    ("no", (), "not sure"),
])
def test_procedure_answers(typed, entities, value):
    assert answers.read_procedure(typed, entities).value == value


def test_procedure_answer_that_names_nothing_is_rejected():
    assert answers.read_procedure("blue").error == "unclear"
    assert answers.read_procedure("").error == "unclear"


@pytest.mark.parametrize("typed, intent, value", [
    ("Phone call", "", "phone"),
    ("call me", "request_human", "phone"),
    ("Text message", "", "text"),
    ("sms please", "", "text"),
    ("please don't call, text only", "", "text"),
    ("dont text me, call", "", "phone"),
    ("no calls please", "", "text"),
    ("Either is fine", "", "phone or text"),
    ("text or call is fine", "", "phone or text"),
    ("yes", "affirm", "phone or text"),
    ("", "affirm", "phone or text"),
    ("no", "deny", "declined"),
    ("don't contact me", "", "declined"),
    ("no thanks", "", "declined"),
])
def test_contact_consent(typed, intent, value):
    assert answers.read_contact(typed, intent).value == value


def test_contact_answer_without_a_way_is_rejected():
    assert answers.read_contact("blue").error == "unclear"


@pytest.mark.parametrize("typed, intent, value", [
    ("", "affirm", "yes"),
    ("yes", "", "yes"),
    ("looks good", "", "yes"),
    ("Yes, send it", "", "yes"),
    ("", "deny", "change"),
    ("no", "", "change"),
    ("the phone number is wrong", "", "change"),
    ("maybe", "", None),
])
def test_read_back_answers(typed, intent, value):
    assert answers.read_confirmation(typed, intent).value == value


@pytest.mark.parametrize("typed, field", [
    ("Name", "name"), ("Phone number", "phone"), ("Days and times", "times"),
    ("Procedure", "reason"), ("How we contact you", "contact"), ("my cell", "phone"),
    ("blue", None),
])
def test_which_answer_to_change(typed, field):
    assert answers.read_field(typed).value == field


def test_questions_and_corrections_are_recognised():
    assert answers.is_question("will she be asleep?")
    assert answers.is_question("how long is recovery")
    assert not answers.is_question("Maria Lopez")
    assert answers.is_correction("actually my number is 773 555 0142")
    assert answers.is_correction("text me instead")
    assert not answers.is_correction("tuesday mornings")
