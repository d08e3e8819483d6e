"""Text messages: plain GSM-7 characters, buttons as numbered choices, segment counts.

Pure functions (no Rasa, no Twilio), used by the SMS channel to render every answer and
by the tests that check every response fits in at most two SMS segments.
"""

from __future__ import annotations

import math
import re
import unicodedata
from typing import Any, Dict, Optional, Sequence

# GSM 03.38 basic character set (one septet each) and its extension table (two septets).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")
SINGLE_GSM7, PART_GSM7 = 160, 153  # septets: one segment; per part of a longer message
SINGLE_UCS2, PART_UCS2 = 70, 67  # characters, when the text is not GSM-7
MAX_SEGMENTS = 2

# Typography and symbols that have a plain GSM-7 spelling.
_REPLACEMENTS = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2033": '"',
    "\u2013": "-", "\u2014": "-", "\u2212": "-", "\u2010": "-", "\u2011": "-",
    "\u2026": "...", "\u2022": "-", "\u00b7": "-", "\u00a0": " ", "\u202f": " ",
    "\u00b0F": " F", "\u00b0C": " C", "\u00b0": " degrees", "\u2264": "<=", "\u2265": ">=",
    "\u00d7": "x", "\u2192": "->", "\t": " ",
}
_MARKDOWN_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
_MARKDOWN_EMPHASIS = re.compile(r"(\*\*|__|\*|`)(.+?)\1")
_SPACES = re.compile(r"[ ]{2,}")


def is_gsm7(text: str) -> bool:
    """True if every character can be sent in the GSM-7 alphabet."""
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENDED for ch in text)


def septets(text: str) -> int:
    """Length in GSM-7 septets (extension characters count twice)."""
    return sum(2 if ch in GSM7_EXTENDED else 1 for ch in text)


def segments(text: str) -> int:
    """How many SMS segments ``text`` is sent as (GSM-7, or UCS-2 when it must be)."""
    if is_gsm7(text):
        size = septets(text)
        return 1 if size <= SINGLE_GSM7 else math.ceil(size / PART_GSM7)
    units = len(text.encode("utf-16-le")) // 2
    return 1 if units <= SINGLE_UCS2 else math.ceil(units / PART_UCS2)


def plain(text: str) -> str:
    """Markdown and typography removed; GSM-7 wherever a plain spelling exists."""
    text = _MARKDOWN_LINK.sub(r"\1 (\2)", text)
    text = _MARKDOWN_EMPHASIS.sub(r"\2", text)
    for fancy, simple in _REPLACEMENTS.items():
        text = text.replace(fancy, simple)
    if not is_gsm7(text):
        # accents outside GSM-7 (á, í, ó, ú, ç ...) lose the accent rather than forcing UCS-2
        text = "".join(
            ch if ch in GSM7_BASIC or ch in GSM7_EXTENDED
            else unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode("ascii")
            or ch
            for ch in text
        )
    return _SPACES.sub(" ", text).strip()


def numbered_choices(buttons: Sequence[Dict[str, Any]]) -> str:
    """Buttons as lines a patient can answer with a digit: ``1) Kyphoplasty``."""
    return "\n".join(f"{i}) {plain(str(b.get('title', '')))}" for i, b in
                     enumerate(buttons, start=1))


def render_sms(text: str, buttons: Optional[Sequence[Dict[str, Any]]] = None) -> str:
    """One bot message as an SMS: plain text, then the numbered choices."""
    body = plain(text)
    if buttons:
        body = f"{body}\n{numbered_choices(buttons)}"
    return body


def choice_payload(reply: str, buttons: Sequence[Dict[str, Any]]) -> Optional[str]:
    """The payload of the button a digit reply picks ("2", " 2. ", "#2"); None otherwise."""
    match = re.fullmatch(r"\s*#?\s*(\d{1,2})\s*[.)]?\s*", reply)
    if not match:
        return None
    index = int(match.group(1)) - 1
    if 0 <= index < len(buttons):
        return str(buttons[index].get("payload") or "") or None
    return None

