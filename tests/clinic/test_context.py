"""clinic.content.context: follow-ups such as "and for vertebroplasty?"."""

from __future__ import annotations

import pytest

from clinic.content.context import OTHER, FollowUp, answer_for, follow_up, procedure_in

KNOWN = ["faq/what_is_kyphoplasty", "faq/what_is_vertebroplasty", "faq/risks"]


@pytest.mark.parametrize("text,expected", [
    ("and for vertebroplasty?", "vertebroplasty"),
    ("What about Kyphoplasty?", "kyphoplasty"),
    ("what about kypho", "kyphoplasty"),
    ("same for vertebroplasty", "vertebroplasty"),
    ("is it the same for balloon vertebroplasty?", "kyphoplasty"),
    ("and for the vertebroplasty one?", "vertebroplasty"),
    ("what about the other one", OTHER),
    ("and the other one?", OTHER),
    ("what about the other procedure too?", OTHER),
    # questions of their own, or no procedure
    ("how long does vertebroplasty take", None),
    ("what about kypho risks?", None),
    ("what about afterwards", None),
    ("and for my mom", None),
    ("vertebroplasty", None),
    ("", None),
])
def test_follow_ups_are_read(text, expected):
    assert follow_up(text) == expected


def test_balloon_vertebroplasty_is_kyphoplasty():
    assert procedure_in("balloon vertebroplasty") == "kyphoplasty"
    assert procedure_in("vertebro") == "vertebroplasty"
    assert procedure_in("the back surgery") is None


def test_the_other_procedures_own_answer_where_there_is_one():
    assert answer_for("vertebroplasty", "faq/what_is_kyphoplasty", "kyphoplasty", KNOWN) == (
        FollowUp("faq/what_is_vertebroplasty", "vertebroplasty"))
    assert answer_for(OTHER, "faq/what_is_vertebroplasty", "vertebroplasty", KNOWN) == (
        FollowUp("faq/what_is_kyphoplasty", "kyphoplasty"))


def test_else_the_same_answer_for_the_procedure_asked_about():
    assert answer_for("vertebroplasty", "faq/risks", "kyphoplasty", KNOWN) == (
        FollowUp("faq/risks", "vertebroplasty"))
    assert answer_for(OTHER, "faq/risks", "kyphoplasty", KNOWN) == (
        FollowUp("faq/risks", "vertebroplasty"))


def test_the_other_one_without_a_procedure_talked_about_is_not_guessed():
    assert answer_for(OTHER, "faq/risks", None, KNOWN) is None
