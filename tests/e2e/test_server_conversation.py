"""Conversations over real HTTP: follow-ups in context, several questions in one message,
and a kind word before the answer (issue 16)."""

from __future__ import annotations

import pytest

from tests.conftest import MODEL_PATH
from tests.helpers import render, sender
from tests.sms_phone import sms_of

pytestmark = [
    pytest.mark.server,
    pytest.mark.skipif(not MODEL_PATH.exists(), reason="run `make train` first"),
]


def test_and_for_the_other_procedure_gets_its_own_answer(servers, domain):
    user = sender()
    assert servers.texts(user, "what is kyphoplasty?") == [
        render(domain, "utter_faq/what_is_kyphoplasty")]
    assert servers.texts(user, "and for vertebroplasty?") == [
        render(domain, "utter_faq/what_is_vertebroplasty")]
    assert servers.texts(user, "what about the other one") == [
        render(domain, "utter_faq/what_is_kyphoplasty")]


def test_a_follow_up_to_an_answer_about_both_says_it_holds(servers, domain):
    user = sender()
    assert servers.texts(user, "what are the risks of vertebroplasty?") == [
        render(domain, "utter_faq/risks")]
    assert servers.texts(user, "and for kypho?") == [
        render(domain, "utter_follow_up_same", procedure="kyphoplasty")]


def test_a_follow_up_with_nothing_before_it_is_not_guessed(servers, domain):
    texts = servers.texts(sender(), "and for vertebroplasty?")
    assert texts and render(domain, "utter_follow_up_same", procedure="vertebroplasty") not in texts


def test_two_questions_in_one_message_get_both_answers(servers, domain):
    # each answer is a message of its own, as every paragraph is
    assert servers.texts(sender(), "how long does it take and will i be asleep?") == [
        render(domain, "utter_faq/duration"), render(domain, "utter_faq/anesthesia")]


def test_fear_gets_a_kind_word_before_the_answer(servers, domain):
    assert servers.texts(sender(), "im really scared, will i be asleep during kyphoplasty?") == [
        render(domain, "utter_ack_fear"), render(domain, "utter_faq/anesthesia")]


def test_a_red_flag_is_never_softened_or_taken_for_a_follow_up(servers, domain):
    user = sender()
    servers.texts(user, "what is kyphoplasty?")
    texts = servers.texts(user, "im scared, i cant feel my legs since the kyphoplasty")
    assert not texts[0].startswith(render(domain, "utter_ack_fear"))
    assert "911" in texts[0]


def test_follow_up_by_text_message(phone, domain):
    assert phone.text("what is vertebroplasty") == [
        sms_of(domain, "utter_faq/what_is_vertebroplasty")]
    assert phone.text("what about kypho?") == [sms_of(domain, "utter_faq/what_is_kyphoplasty")]
