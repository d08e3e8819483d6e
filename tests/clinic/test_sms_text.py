"""SMS rendering: GSM-7 only, numbered choices, segment counts -- and every response the
assistant can send, as the SMS channel will send it, fits in at most two segments."""

from __future__ import annotations

import re
from typing import Any, Dict, List

import pytest

from clinic.content import placeholders
from clinic.settings import get_settings
from clinic.sms import text as sms_text


def sms_variants(domain: Dict[str, Any], name: str) -> List[Dict[str, Any]]:
    """The variants the SMS channel can send for a response (its own, else the default)."""
    variants = domain["responses"][name]
    own = [v for v in variants if v.get("channel") == "twilio"]
    return own or [v for v in variants if not v.get("channel")]


def filled(text: str) -> str:
    return placeholders.fill(text, placeholders.sample_values(get_settings()))


def test_typography_becomes_plain_gsm7():
    text = sms_text.plain("It\u2019s \u201cfine\u201d \u2014 fever over 101 \u00b0F\u2026 "
                          "**call** [us](https://x.org)")
    assert text == 'It\'s "fine" - fever over 101 F... call us (https://x.org)'
    assert sms_text.is_gsm7(text)
    assert sms_text.plain("José Núñez") == "José Nuñez"  # é and ñ are GSM-7, ú is not


@pytest.mark.parametrize("text, count", [
    ("a" * 160, 1), ("a" * 161, 2), ("a" * 306, 2), ("a" * 307, 3),
    ("{" * 80, 1), ("{" * 81, 2),  # extension characters take two septets
    ("\u263a" * 70, 1), ("\u263a" * 71, 2),  # not GSM-7: UCS-2 limits
])
def test_segments(text, count):
    assert sms_text.segments(text) == count


def test_buttons_become_numbered_choices_a_digit_can_pick():
    buttons = [{"title": "Kyphoplasty", "payload": "Kyphoplasty"},
               {"title": "Not sure yet", "payload": "Not sure"},
               {"title": "Yes, send it", "payload": "/affirm"}]
    text = sms_text.render_sms("Which procedure?", buttons)
    assert text == "Which procedure?\n1) Kyphoplasty\n2) Not sure yet\n3) Yes, send it"
    assert sms_text.choice_payload("2", buttons) == "Not sure"
    assert sms_text.choice_payload(" 3. ", buttons) == "/affirm"
    assert sms_text.choice_payload("#1", buttons) == "Kyphoplasty"
    assert sms_text.choice_payload("4", buttons) is None
    assert sms_text.choice_payload("2 please call me", buttons) is None


def test_every_response_is_gsm7_and_at_most_two_segments(domain):
    too_long, not_plain, single = [], [], 0
    checked = 0
    for name in domain["responses"]:
        for variant in sms_variants(domain, name):
            sms = sms_text.render_sms(filled(variant["text"]), variant.get("buttons"))
            checked += 1
            assert not re.search(r"{[a-z_]+}", sms), f"{name}: placeholder without a sample"
            if not sms_text.is_gsm7(sms) or sms != sms_text.plain(sms):
                not_plain.append(name)
            if sms_text.segments(sms) > sms_text.MAX_SEGMENTS:
                too_long.append((name, len(sms)))
            single += sms_text.segments(sms) == 1
    assert checked > 60
    assert not not_plain
    assert not too_long
    # "<= 160 characters where possible": the large majority fit in one segment
    assert single / checked >= 0.8, single / checked
