"""Plain text helpers shared by the REST channel and the NLU normaliser.

Everything here is a pure function over strings: no Rasa imports, no I/O beyond reading the
shorthand table once (lazily, on first use).
"""

from __future__ import annotations

import html
import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Dict, Iterable, Optional, Set, Tuple

SHORTHAND_FILE = Path(__file__).with_name("shorthand.yml")

_SCRIPT_STYLE = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"</?[A-Za-z][^<>]{0,500}>")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\ufeff]")
_SPACES = re.compile(r"\s+")
_WORD = re.compile(r"\S+")
_PAYLOAD = re.compile(r"^/[a-z_]+(/[a-z0-9_]+)?(\{.*\})?$", re.DOTALL)
_TRIM = "?!.,;:\"'()"


@lru_cache(maxsize=1)
def _tables() -> Tuple[Dict[str, str], Dict[str, str]]:
    import yaml

    data = yaml.safe_load(SHORTHAND_FILE.read_text(encoding="utf-8")) or {}
    words = {str(k).lower(): str(v) for k, v in (data.get("words") or {}).items()}
    emoji = {str(k): str(v) for k, v in (data.get("emoji") or {}).items()}
    return words, emoji


def is_payload(text: str) -> bool:
    """True for a button payload such as ``/affirm`` or ``/faq/anesthesia``."""
    return bool(_PAYLOAD.match(text.strip()))


def clean(text: str) -> str:
    """Make untrusted text safe to process: drop control characters, markup and extra space.

    HTML tags are removed (script/style with their content); entities are unescaped.
    """
    text = unicodedata.normalize("NFKC", text)
    text = _CONTROL.sub(" ", text)
    if "<" in text:
        text = _SCRIPT_STYLE.sub(" ", text)
        text = _TAG.sub(" ", text)
    if "&" in text:
        text = html.unescape(text)
        text = _CONTROL.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def has_words(text: str) -> bool:
    """True if the text contains at least one letter or digit (after emoji rewrites)."""
    _, emoji = _tables()
    if any(symbol in text for symbol in emoji):
        return True
    return any(ch.isalnum() for ch in text)


def truncate(text: str, limit: int) -> Tuple[str, bool]:
    """Cut ``text`` to at most ``limit`` characters at a word boundary when possible."""
    if len(text) <= limit:
        return text, False
    cut = text[:limit]
    space = cut.rfind(" ")
    if space > limit * 0.8:
        cut = cut[:space]
    return cut.rstrip(), True


def _rewrite_token(token: str, words: Dict[str, str]) -> str:
    core = token.strip(_TRIM)
    if not core:
        return token
    replacement = words.get(core.lower())
    if replacement is None:
        return token
    start = token.find(core)
    return token[:start] + replacement + token[start + len(core):]


def normalise_for_nlu(text: str, limit: Optional[int] = None) -> str:
    """Clean text and expand SMS shorthand / meaningful emoji for the classifier.

    Button payloads (``/faq/anesthesia``) are returned unchanged.
    """
    if is_payload(text):
        return text.strip()
    words, emoji = _tables()
    text = clean(text)
    for symbol, meaning in emoji.items():
        if symbol in text:
            text = text.replace(symbol, f" {meaning} ")
    text = _WORD.sub(lambda m: _rewrite_token(m.group(0), words), text)
    text = _SPACES.sub(" ", text).strip()
    if limit is not None:
        text, _ = truncate(text, limit)
    return text


def offered_payloads(buttons_per_message: Iterable[Optional[Iterable[dict]]]) -> Set[str]:
    """Collect the payloads of the buttons the bot showed in its latest messages."""
    payloads: Set[str] = set()
    for buttons in buttons_per_message:
        for button in buttons or []:
            payload = button.get("payload") if isinstance(button, dict) else None
            if isinstance(payload, str):
                payloads.add(payload.strip())
    return payloads


def neutralise_command(text: str) -> str:
    """Turn a typed ``/command`` into plain words so it cannot force an intent."""
    return text.lstrip("/ ").replace("/", " ").strip() or text.replace("/", " ").strip()
