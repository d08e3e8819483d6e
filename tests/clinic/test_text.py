"""Text helpers shared by the channel and the NLU normaliser."""

from clinic import text


def test_clean_removes_markup_scripts_and_controls():
    raw = "<p>Is <b>kyphoplasty</b> safe?</p><script>alert(1)</script>\x00\x07 &amp; ok"
    assert text.clean(raw) == "Is kyphoplasty safe? & ok"


def test_clean_keeps_plain_text_and_comparisons():
    assert text.clean("pain 3 < 5 and 7 > 2") == "pain 3 < 5 and 7 > 2"
    assert text.clean("  many   spaces\n\nhere ") == "many spaces here"


def test_normalise_expands_shorthand_and_emoji_but_not_payloads():
    assert text.normalise_for_nlu("hw long r u in hospital b4 kypho?") == (
        "how long are you in hospital before kypho?"
    )
    assert text.normalise_for_nlu("👍") == "yes"
    assert text.normalise_for_nlu("/faq/anesthesia") == "/faq/anesthesia"


def test_normalise_caps_length_at_a_word_boundary():
    out = text.normalise_for_nlu("word " * 1000, limit=52)
    assert len(out) <= 52
    assert out.endswith("word")


def test_truncate_reports_whether_it_cut():
    assert text.truncate("short", 10) == ("short", False)
    cut, was_cut = text.truncate("x" * 50, 10)
    assert (cut, was_cut) == ("x" * 10, True)


def test_has_words():
    assert text.has_words("kypho?")
    assert text.has_words("👍")
    assert not text.has_words("😀😀 !!! 🎉")
    assert not text.has_words("   ")


def test_payload_detection_and_neutralising():
    assert text.is_payload("/affirm")
    assert text.is_payload("/faq/what_is_kyphoplasty")
    assert not text.is_payload("/ what is this")
    assert text.neutralise_command("/restart") == "restart"
    assert text.neutralise_command("/faq/risks") == "faq risks"


def test_offered_payloads_collects_button_payloads():
    buttons = [
        [{"title": "A", "payload": "/faq/risks"}],
        None,
        [{"title": "B", "payload": "/deny"}],
    ]
    assert text.offered_payloads(buttons) == {"/faq/risks", "/deny"}
