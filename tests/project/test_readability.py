"""Plain language: every FAQ answer, chat and SMS text, at reading grade 6 or below
(Flesch-Kincaid, ``clinic.content.readability``), and the measure itself."""

from __future__ import annotations

import pytest

from clinic.content.knowledge import faq_keys
from clinic.content.readability import (
    MAX_GRADE,
    STAND_IN,
    AnswerGrade,
    faq_grades,
    faq_texts,
    grade,
    readable_text,
    summarize,
    too_hard,
)
from scripts import readability_report

TEXTS = faq_texts()
# A sentence from a specialist's leaflet: long words in one long sentence.
GRADE_10 = ("Percutaneous vertebral augmentation procedures are indicated for symptomatic "
            "osteoporotic compression fractures refractory to conservative management.")
EASY = "You may be sore for a few days. Call us if the pain gets worse."


@pytest.mark.parametrize("item", TEXTS, ids=[f"{t.key}-{t.channel}" for t in TEXTS])
def test_every_faq_text_is_at_grade_6_or_below(item):
    measured = grade(item.text)
    assert measured <= MAX_GRADE, (
        f"utter_faq/{item.key} ({item.channel}) reads at grade {measured:.1f} "
        f"(limit {MAX_GRADE:.0f}): shorter sentences, common words: {readable_text(item.text)}")


def test_every_faq_answer_and_its_sms_variant_is_measured(domain):
    keys = faq_keys(domain)
    assert sorted(t.key for t in TEXTS if t.channel == "chat") == sorted(keys)
    assert sorted(t.key for t in TEXTS if t.channel == "sms") == sorted(keys)
    assert len(keys) == 32


def test_a_grade_10_sentence_is_reported_above_the_limit():
    assert grade(GRADE_10) > 10
    hard = AnswerGrade("leaflet", "chat", grade(GRADE_10), GRADE_10)
    easy = AnswerGrade("sore", "chat", grade(EASY), EASY)
    assert grade(EASY) < MAX_GRADE
    assert too_hard([easy, hard]) == [hard]


def test_a_hard_answer_in_the_domain_files_is_found(tmp_path):
    (tmp_path / "domain.yml").write_text("version: '3.1'\nintents: [faq]\n")
    (tmp_path / "data" / "responses").mkdir(parents=True)
    (tmp_path / "data" / "responses" / "faq.yml").write_text(
        "responses:\n  utter_faq/leaflet:\n"
        f"  - text: {GRADE_10}\n  - channel: twilio\n    text: {EASY}\n")
    found = too_hard(faq_grades(tmp_path, values={}))
    assert [(g.key, g.channel) for g in found] == [("leaflet", "chat")]


def test_placeholders_are_filled_with_the_clinics_values():
    values = {"clinic_name": "Riverside Spine Center", "clinic_hours": "8 am to 5 pm"}
    assert readable_text("{clinic_name} is open {clinic_hours}.", values) == (
        "Riverside Spine Center is open 8 am to 5 pm.")
    assert readable_text("Call {clinic_phone}.") == f"Call {STAND_IN}."  # from clinic.yml


@pytest.mark.parametrize("raw, plain", [
    ("Call (555) 010-0100 today.", f"Call {STAND_IN} today."),
    ("Or +1 555 010 0199.", f"Or {STAND_IN}."),
    ("See [our page](https://example.org/spine) or www.example.org.",
     f"See our page or {STAND_IN}."),
    ("Mail care@example.org with **questions**.", f"Mail {STAND_IN} with questions."),
    ("Rest for 24 to 48 hours.", "Rest for 24 to 48 hours."),
])
def test_markdown_links_and_numbers_are_read_as_words(raw, plain):
    assert readable_text(raw, {}) == plain


def test_the_summary_counts_grades_above_6_and_8():
    summary = summarize([4.0, 6.0, 6.5, 8.0, 10.0])
    assert (summary.count, summary.median, summary.highest) == (5, 6.5, 10.0)
    assert (summary.over_max, summary.over_high) == (3, 1)  # 6.0 and 8.0 are not above


def test_the_report_has_before_and_after_for_every_answer():
    grades = faq_grades()
    assert set(readability_report.BEFORE) == {g.key for g in grades}
    text = readability_report.report(grades)
    assert "682cba6" in text and "chat, 27 topic answers | 27 | 7.6 → " in text
    for g in grades:
        assert f"| {g.key} |" in text
    worse = [AnswerGrade(g.key, g.channel, 9.0, g.text) for g in grades]
    assert "64 texts above grade 6" in readability_report.report(worse)
