"""Curated answers: the 27 topic keys and 5 practical ones, lengths, SMS renderings, sources,
own words, placeholders; the red-flag instruction's variants and the frame that follows it."""

from __future__ import annotations

import re
import string
from typing import Any, Dict, List, Set

import pytest

from clinic.content.knowledge import faq_keys
from clinic.settings import get_settings
from clinic.sms.text import render_sms
from tests.conftest import SOURCES_DIR

FAQ_KEYS = [
    "what_is_kyphoplasty", "what_is_vertebroplasty", "difference", "compression_fracture",
    "symptoms", "diagnosis", "candidacy", "contraindications", "preparation", "anesthesia",
    "procedure_steps", "duration", "cement", "hospital_stay", "recovery_time",
    "activity_restrictions", "pain_after", "risks", "success_rate", "benefits", "incision",
    "brace", "bone_health", "alternatives", "multiple_levels", "follow_up", "cost_insurance",
]
# Practical answers: the clinic's details, and what to do when our information has no answer.
# They state no medical fact (medicines excepted), so their sources may be an empty list.
PRACTICAL_KEYS = ["not_covered", "medicines", "location", "hours", "phone"]
ALL_KEYS = FAQ_KEYS + PRACTICAL_KEYS
SAFETY_INSTRUCTIONS = ["emergency", "urgent", "crisis", "emergency_es", "urgent_es", "crisis_es"]
# GSM 03.38 basic set (each counts as one character in an SMS segment).
GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
SHINGLE = 8


def rendered(text: str) -> str:
    return text.format(**get_settings().clinic.as_template_vars(), max_chars="1000")


def variants(domain: Dict[str, Any], key: str) -> List[Dict[str, Any]]:
    return domain["responses"][f"utter_faq/{key}"]


def words(text: str) -> List[str]:
    text = text.lower().replace("’", "'")
    return text.translate(str.maketrans("", "", string.punctuation)).split()


def shingles(text: str) -> Set[tuple]:
    tokens = words(text)
    return {tuple(tokens[i : i + SHINGLE]) for i in range(len(tokens) - SHINGLE + 1)}


@pytest.fixture(scope="module")
def source_shingles() -> Set[tuple]:
    files = sorted(SOURCES_DIR.glob("*.txt"))
    assert len(files) == 5, f"expected the five clinic pages in {SOURCES_DIR}"
    found: Set[tuple] = set()
    for path in files:
        found |= shingles(path.read_text(encoding="utf-8"))
    return found


def test_exactly_the_32_keys(domain):
    assert sorted(faq_keys(domain)) == sorted(ALL_KEYS)


@pytest.mark.parametrize("key", ALL_KEYS)
def test_answer_shape(domain, key):
    chat = [v for v in variants(domain, key) if not v.get("channel")]
    sms = [v for v in variants(domain, key) if v.get("channel") == "twilio"]
    assert len(chat) == 1 and len(sms) == 1
    text = rendered(chat[0]["text"])
    shortest = 150 if key in FAQ_KEYS else 80  # an address or the phone numbers are short
    assert shortest <= len(text) <= 600, len(text)
    assert "\n\n" not in text
    sms_text = rendered(sms[0]["text"])
    assert len(sms_text) <= 160, len(sms_text)
    assert set(sms_text) <= GSM7, set(sms_text) - GSM7
    meta = chat[0]["metadata"]
    assert meta["title"] and len(meta["title"]) <= 40
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(meta["reviewed"]))


@pytest.mark.parametrize("key", ALL_KEYS)
def test_sources_name_real_documents_on_every_variant(domain, key):
    names = {p.name for p in SOURCES_DIR.glob("*.txt")}
    lists = [v["metadata"]["sources"] for v in variants(domain, key)]
    assert isinstance(lists[0], list) and set(lists[0]) <= names
    assert lists[0] or key in PRACTICAL_KEYS  # every medical answer is backed by a page
    assert all(sorted(s) == sorted(lists[0]) for s in lists)


def test_the_medicines_answer_cites_the_page_on_medicines_and_blood_thinners(domain):
    sources = variants(domain, "medicines")[0]["metadata"]["sources"]
    for name in sources:
        page = (SOURCES_DIR / name).read_text(encoding="utf-8").lower()
        assert "medicines" in page and "blood thinning" in page
    assert sources


@pytest.mark.parametrize("key", PRACTICAL_KEYS)
def test_practical_answers_give_the_clinics_numbers_and_no_advice(domain, key):
    for variant in variants(domain, key):
        assert "{clinic_phone}" in variant["text"] or "{clinic_urgent_phone}" in variant["text"]
        assert not re.search(r"\b(911|988)\b", variant["text"])  # the configured numbers


@pytest.mark.parametrize("key", ALL_KEYS)
def test_answers_are_in_our_own_words(domain, key, source_shingles):
    for variant in variants(domain, key):
        copied = shingles(variant["text"]) & source_shingles
        assert not copied, f"copied from a source: {' '.join(next(iter(copied)))}"


def test_conflicts_are_stated_not_hidden(domain):
    for key in ("anesthesia", "cement", "hospital_stay"):
        text = rendered(next(v["text"] for v in variants(domain, key) if not v.get("channel")))
        assert re.search(r"differ|vary|varies|some (clinics|doctors|providers|sources)", text), key
        assert re.search(r"care team|doctor", text), key


def test_every_placeholder_is_known(domain):
    known = set(get_settings().clinic.as_template_vars()) | {"max_chars", "sms_program_name"}
    known |= {"handoff_reply_minutes", "next_open_day", "next_open_time"}  # actions/handoff.py
    known |= {"appointment_reference", "reply_within"}  # actions/scheduling.py
    known |= {"checkin_previous_pain"}  # actions/checkin_form.py
    known |= {"procedure", "covered", "answered_topic"}  # addons/nlg.py (follow-ups, parts)
    known |= set(domain["slots"])  # the booking form's answers, filled in by the NLG
    for name, response_variants in domain["responses"].items():
        for variant in response_variants:
            used = set(re.findall(r"{([a-z_]+)}", variant.get("text", "")))
            assert used <= known, (name, used - known)


def test_every_core_response_has_text_without_blank_lines(domain):
    for name, response_variants in domain["responses"].items():
        for variant in response_variants:
            assert variant.get("text"), name
            assert "\n\n" not in variant["text"], name


def instruction_variants(domain: Dict[str, Any], value: str, channel: Any,
                         response: str = "utter_urgent_symptom") -> List[Dict[str, Any]]:
    return [v for v in domain["responses"][response]
            if v.get("channel") == channel
            and v.get("condition") == [{"type": "slot", "name": "safety_instruction",
                                        "value": value}]]


@pytest.mark.parametrize("name", ["utter_urgent_symptom", "utter_safety_frame"])
def test_one_instruction_per_safety_instruction_value_and_channel(domain, name):
    response = domain["responses"][name]
    assert domain["slots"]["safety_instruction"]["values"] == SAFETY_INSTRUCTIONS
    for value in SAFETY_INSTRUCTIONS:
        for channel in (None, "twilio"):
            assert len(instruction_variants(domain, value, channel, name)) == 1, (value, channel)
    conditional = [v for v in response if v.get("condition")]
    assert len(conditional) == 2 * len(SAFETY_INSTRUCTIONS)  # each conditioned on it alone
    fallback = [v for v in response if not v.get("condition")]
    assert sorted(str(v.get("channel")) for v in fallback) == ["None", "twilio"]


@pytest.mark.parametrize("value", SAFETY_INSTRUCTIONS)
def test_instructions_give_the_configured_numbers(domain, value):
    for channel in (None, "twilio"):
        text = instruction_variants(domain, value, channel)[0]["text"]
        assert "{emergency_number}" in text
        assert ("{crisis_line}" in text) == value.startswith("crisis")
        assert "{clinic_urgent_phone}" in text or value.startswith("crisis")
        sms = rendered(text)
        if channel == "twilio":
            assert len(sms) <= 160 and set(sms) <= GSM7, (len(sms), set(sms) - GSM7)


@pytest.mark.parametrize("value", SAFETY_INSTRUCTIONS + [None])
def test_the_safety_frame_repeats_where_help_is_and_offers_to_end_it(domain, value):
    """After an instruction, the reminder names the same help, fits one SMS with its
    numbered choice, and its one button ends the frame."""
    for channel in (None, "twilio"):
        variant = [v for v in domain["responses"]["utter_safety_frame"]
                   if v.get("channel") == channel and (
                       v.get("condition") == [{"type": "slot", "name": "safety_instruction",
                                               "value": value}]
                       if value else not v.get("condition"))][0]
        text = variant["text"]
        assert "{emergency_number}" in text
        if value:
            assert ("{crisis_line}" in text) == value.startswith("crisis")
            assert ("{clinic_urgent_phone}" in text) == value.startswith("urgent")
        assert [b["payload"] for b in variant["buttons"]] == ["/safe_now"]
        if channel == "twilio":
            sms = render_sms(rendered(text), variant["buttons"])
            assert len(sms) <= 160 and set(sms) <= GSM7, (len(sms), set(sms) - GSM7)


def test_no_hard_coded_emergency_numbers_in_responses(domain):
    """911 and 988 come from configuration ({emergency_number}, {crisis_line}); only the
    Lifeline's name says 988."""
    for name, response_variants in domain["responses"].items():
        for variant in response_variants:
            text = re.sub(r"988 Suicide|Línea 988", "", variant["text"])
            assert not re.search(r"\b(911|988)\b", text), name
