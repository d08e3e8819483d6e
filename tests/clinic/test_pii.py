"""Personal-data masking (clinic.pii): what it finds, what it leaves, and its measured recall."""

from __future__ import annotations

import pytest

from clinic.pii import scrub_for_training
from console.conversations.masking import mask_text
from scripts import build_name_lexicon, pii_eval

# Held-out sets (eval/pii/test_pii.yml and test2_pii.yml, never tuned on) measured 0.953
# and 0.967 when this was set; the gate keeps a margin for the noise of small changes.
RECALL_GATE = 0.90
HELD_OUT = [f"{name}.yml" for name in pii_eval.HELD_OUT]


@pytest.mark.parametrize("text,masked", [
    ("I'm Rosa Diaz and my back hurts", "I'm [name] and my back hurts"),
    ("this is robert brown, call me at 937 555 0142", "this is [name], call me at [phone]"),
    ("my daughter Keisha will drive me", "my daughter [name] will drive me"),
    ("Mrs. O'Neill here", "Mrs. [name] here"),
    ("thanks, Margaret", "thanks, [name]"),
    ("hey its bob again, call me back", "hey its [name] again, call me back"),
    ("this is kayla m", "this is [name]"),
    ("this is long, sorry", "this is long, sorry"),
    ("Dear Dr. van der Berg, thank you", "Dear Dr. [name], thank you"),
    ("RN Kowalski for pt Okafor, Chidinma", "RN [name] for pt [name]"),
    ("I am Trần Thị Hoa, from Hue", "I am [name], from Hue"),
    ("my Lola, Perpetua Dimaculangan, is 85", "my [name], [name], is 85"),
    ("appointment 23.04 please", "appointment [date] please"),
    ("took 23.04 mg", "took 23.04 mg"),
    ("can we do 11/10", "can we do [date]"),
    ("pain 9/10 today", "pain 9/10 today"),
    ("born 9 February 1938", "born [date]"),
    ("We're at 1455 E. Linden St. I'm Graham.", "We're at [address] I'm [name]."),
    ("see you then - Tom", "see you then - [name]"),
    ("Robert de la Cruz", "[name]"),
    ("I live at 22 oak street in the back", "I live at [address] in the back"),
    ("1420 N Maple Ave Apt 3B, Dayton OH 45402", "[address]"),
    ("PO Box 118, Xenia OH 45385", "[address]"),
    ("dob 03-14-48, born March 14 1948", "dob [date], born [date]"),
    ("she was born june 5th 1939", "she was born [date]"),
    ("booked for the 12th", "booked for [date]"),
    ("see you Thursday, January 9", "see you [date]"),
    ("write to jo.march@example.org", "write to [email]"),
])
def test_personal_data_is_masked(text: str, masked: str) -> None:
    assert mask_text(text) == masked


@pytest.mark.parametrize("text", [
    "Will I be asleep? May I eat before?",
    "my pain is 7/10 and strength 4/5, temp 38.5 this am",
    "I'm 82 and scared, back in 2019 I had L1 done",
    "can i take 500 mg tylenol at 3:30",
    "it's a 90 min drive to the clinic",
    "I'm 72 and was referred to you by my doctor after an MRI",
    "Thank God it went well",
    "pt POD2 s/p T12 kypho, on ASA, BLE 5/5",
    "my husband fall down in the kitchen",
])
def test_ordinary_words_and_numbers_are_kept(text: str) -> None:
    assert mask_text(text) == text


def test_form_values_and_stand_ins_for_training() -> None:
    text = "can jo march get seen sooner, call 415 555 2671"
    assert scrub_for_training(text, ["Jo March", "+14155552671"]) == (
        "can Alex Smith get seen sooner, call 555-0100")


def test_the_name_list_matches_the_pinned_packages() -> None:
    """``clinic/pii/names.json`` is what scripts/build_name_lexicon.py makes from them."""
    built = build_name_lexicon.render(build_name_lexicon.build())
    assert build_name_lexicon.OUT.read_text(encoding="utf-8") == built


@pytest.mark.parametrize("held_out", HELD_OUT)
def test_masking_recall_on_the_held_out_sets(held_out: str) -> None:
    """Measured on messages written blind and never tuned on; see docs/privacy.md.

    (The message shows no misses: reading them would make the set a tuning set.)
    """
    score = pii_eval.score(pii_eval.SETS / held_out)
    assert score.recall() >= RECALL_GATE, f"recall {score.recall():.3f}"
    assert score.clean_changed <= 8
