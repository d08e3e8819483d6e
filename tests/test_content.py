"""Curated answers: the 27 keys, lengths, SMS renderings, sources, own words, placeholders."""

from __future__ import annotations

import re
import string
from typing import Any, Dict, List, Set

import pytest

from actions.config import get_settings
from actions.knowledge import faq_keys
from tests.conftest import SOURCES_DIR

FAQ_KEYS = [
    "what_is_kyphoplasty", "what_is_vertebroplasty", "difference", "compression_fracture",
    "symptoms", "diagnosis", "candidacy", "contraindications", "preparation", "anesthesia",
    "procedure_steps", "duration", "cement", "hospital_stay", "recovery_time",
    "activity_restrictions", "pain_after", "risks", "success_rate", "benefits", "incision",
    "brace", "bone_health", "alternatives", "multiple_levels", "follow_up", "cost_insurance",
]
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


def test_exactly_the_27_keys(domain):
    assert sorted(faq_keys(domain)) == sorted(FAQ_KEYS)


@pytest.mark.parametrize("key", FAQ_KEYS)
def test_answer_shape(domain, key):
    chat = [v for v in variants(domain, key) if not v.get("channel")]
    sms = [v for v in variants(domain, key) if v.get("channel") == "twilio"]
    assert len(chat) == 1 and len(sms) == 1
    text = rendered(chat[0]["text"])
    assert 150 <= len(text) <= 600, len(text)
    assert "\n\n" not in text
    sms_text = rendered(sms[0]["text"])
    assert len(sms_text) <= 160, len(sms_text)
    assert set(sms_text) <= GSM7, set(sms_text) - GSM7
    meta = chat[0]["metadata"]
    assert meta["title"] and len(meta["title"]) <= 40
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(meta["reviewed"]))


@pytest.mark.parametrize("key", FAQ_KEYS)
def test_sources_name_real_documents_on_every_variant(domain, key):
    names = {p.name for p in SOURCES_DIR.glob("*.txt")}
    lists = [v["metadata"]["sources"] for v in variants(domain, key)]
    assert lists[0] and set(lists[0]) <= names
    assert all(sorted(s) == sorted(lists[0]) for s in lists)


@pytest.mark.parametrize("key", FAQ_KEYS)
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
