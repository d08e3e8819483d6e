"""What an edited answer may say: lengths, placeholders, and an SMS that fits two segments.

Pure checks (no database). Placeholders are the ones the domain's text of the answer uses
plus the clinic's configured details (``clinic.content.placeholders``); SMS texts are checked as the
SMS channel sends them (``clinic.sms.text``), filled with long sample values.
"""

from __future__ import annotations

from typing import Dict, FrozenSet, List, Optional, Sequence

from clinic.content.catalog import Answer
from clinic.content.placeholders import (
    NAME,
    PLACEHOLDER,
    configured_values,
    fill,
    placeholders,
    sample_values,
)
from clinic.settings import Settings
from clinic.sms.text import MAX_SEGMENTS, is_gsm7, render_sms, segments

MAX_CHAT_CHARS = 2000
MAX_SMS_CHARS = 1000  # far beyond two segments; checked before anything else
MAX_REASON_CHARS = 300
UNKNOWN_SAMPLE = "x" * 30  # a placeholder of the domain text without a sample value


class AnswerError(ValueError):
    """An edit or roll-back that cannot be saved; ``errors`` are shown to the editor."""

    def __init__(self, errors: Sequence[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = list(errors)


def clean(text: Optional[str]) -> str:
    """Text as stored: Unix line ends, no surrounding white space."""
    return (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()


def allowed_placeholders(answer: Answer, settings: Settings) -> FrozenSet[str]:
    """The placeholders an answer's text may use."""
    used = placeholders(answer.chat_text) + placeholders(answer.sms_text or "")
    return frozenset(name for name in used if NAME.fullmatch(name)) | frozenset(
        configured_values(settings))


def placeholder_errors(label: str, text: str, allowed: FrozenSet[str]) -> List[str]:
    """Unknown placeholders and stray braces (Rasa could not fill the text)."""
    errors = []
    unknown = sorted({name for name in placeholders(text) if name not in allowed})
    if unknown:
        listed = ", ".join("{" + name + "}" for name in unknown)
        known = ", ".join("{" + name + "}" for name in sorted(allowed))
        errors.append(f"{label}: unknown placeholder {listed}. You can use {known}.")
    rest = PLACEHOLDER.sub("", text)
    if "{" in rest or "}" in rest:
        errors.append(f"{label}: curly braces are only for placeholders such as "
                      "{clinic_phone}.")
    return errors


def sms_errors(answer: Answer, text: str, own: bool, values: Dict[str, str]) -> List[str]:
    """Problems of ``text`` sent as an SMS (``own``: a written SMS text, else the chat text)."""
    errors = []
    filled = fill(text, values)
    if own and not is_gsm7(filled):
        odd = "".join(sorted({ch for ch in filled if not is_gsm7(ch)}))[:20]
        errors.append(f"SMS text: these characters cannot be sent as a plain text message: "
                      f"{odd}. Use plain quotes, dashes and letters.")
    body = render_sms(filled, [{"title": title} for title in answer.sms_buttons])
    count = segments(body)
    if count > MAX_SEGMENTS:
        if own:
            errors.append(f"SMS text: {count} SMS segments with long sample values filled in; "
                          f"at most {MAX_SEGMENTS} (about 300 characters). Shorten it.")
        else:
            errors.append(f"Without an SMS text the chat text goes out by SMS, and it needs "
                          f"{count} segments (at most {MAX_SEGMENTS}). Write a shorter SMS text.")
    return errors


def check_edit(answer: Answer, chat_text: str, sms_text: Optional[str], reason: str,
               settings: Settings) -> None:
    """Raise :class:`AnswerError` with every problem of an edit (texts already cleaned)."""
    if not answer.editable:
        raise AnswerError([f"This answer cannot be edited here: {answer.read_only_reason}"])
    sizes = _size_errors(chat_text, sms_text)
    errors = reason_errors(reason) + sizes
    if not sizes:
        errors.extend(_content_errors(answer, chat_text, sms_text, settings))
    if errors:
        raise AnswerError(errors)


def _size_errors(chat_text: str, sms_text: Optional[str]) -> List[str]:
    errors = []
    if not chat_text:
        errors.append("Chat text: required.")
    elif len(chat_text) > MAX_CHAT_CHARS:
        errors.append(f"Chat text: {len(chat_text)} characters; at most {MAX_CHAT_CHARS}.")
    if sms_text and len(sms_text) > MAX_SMS_CHARS:
        errors.append(f"SMS text: {len(sms_text)} characters; far more than two SMS segments.")
    return errors


def _content_errors(answer: Answer, chat_text: str, sms_text: Optional[str],
                    settings: Settings) -> List[str]:
    """Placeholders of both texts, then the SMS size (only with fillable placeholders)."""
    allowed = allowed_placeholders(answer, settings)
    errors = placeholder_errors("Chat text", chat_text, allowed)
    if sms_text:
        errors.extend(placeholder_errors("SMS text", sms_text, allowed))
    if errors:
        return errors
    values = {**{name: UNKNOWN_SAMPLE for name in allowed}, **sample_values(settings)}
    return sms_errors(answer, sms_text or chat_text, bool(sms_text), values)


def reason_errors(reason: str) -> List[str]:
    """A reason is required and short."""
    if not reason:
        return ["Reason: required (say why the text changes)."]
    if len(reason) > MAX_REASON_CHARS:
        return [f"Reason: {len(reason)} characters; at most {MAX_REASON_CHARS}."]
    return []
