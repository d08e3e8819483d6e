"""What the assistant can understand and say, read from the project's domain files.

Intents come from ``domain.yml``; responses (with their ``channel: twilio`` SMS variants
and the FAQ answers' ``metadata.sources`` / ``metadata.reviewed``) from
``data/responses/*.yml``. Read with plain YAML (no Rasa import), once per process.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import yaml

from clinic.settings import PROJECT_ROOT
from clinic.vocabulary import SMS_CHANNEL

FAQ_PREFIX = "utter_faq/"
NOT_TYPED = ("EXTERNAL_",)  # intents sent by the system, never typed by a patient
# Texts the action server reads from the domain itself (not through the NLG): no live edits.
READ_BY_ACTIONS = {"utter_button_none_of_these": "a button title (actions/fallback.py)"}


@dataclass(frozen=True)
class Answer:
    """One response: the default (chat) text, the SMS text, and where its facts come from."""

    name: str  # utter_faq/recovery_time, utter_greet, ...
    title: str
    chat_text: str
    sms_text: Optional[str]  # None: no SMS variant (SMS gets the chat text, made plain)
    sources: Tuple[str, ...] = ()
    reviewed: str = ""  # ISO date of the last content review, from the metadata
    has_buttons: bool = False
    read_only_reason: str = ""  # why the console cannot edit it ("" = editable)
    sms_buttons: Tuple[str, ...] = ()  # titles of the choices an SMS answer lists

    @property
    def is_faq(self) -> bool:
        """A curated FAQ answer (retrieval intent ``faq/<key>``)."""
        return self.name.startswith(FAQ_PREFIX)

    @property
    def editable(self) -> bool:
        """One plain default variant and at most one plain SMS variant: text can be edited."""
        return not self.read_only_reason

    @property
    def label(self) -> Optional[str]:
        """The NLU label that selects this answer (``faq/<key>``), for FAQ answers."""
        return "faq/" + self.name[len(FAQ_PREFIX):] if self.is_faq else None


@dataclass(frozen=True)
class Catalog:
    """Intents, FAQ keys and answers of the project."""

    intents: Tuple[str, ...]  # typed by patients (``faq`` included)
    answers: Dict[str, Answer] = field(default_factory=dict)

    @property
    def faq_labels(self) -> Tuple[str, ...]:
        """``faq/<key>`` for every FAQ answer, sorted."""
        return tuple(sorted(a.label for a in self.answers.values() if a.label))

    @property
    def labels(self) -> Tuple[str, ...]:
        """Everything a patient message can be annotated as: intents, then FAQ keys.

        ``faq`` itself is not a label: a question gets its ``faq/<key>``.
        """
        return tuple(i for i in self.intents if i != "faq") + self.faq_labels

    def answer_for_label(self, label: str) -> Optional[Answer]:
        """The FAQ answer of ``faq/<key>`` (None for other labels)."""
        if not label.startswith("faq/"):
            return None
        return self.answers.get(FAQ_PREFIX + label[len("faq/"):])


def _text(variant: Dict[str, Any]) -> str:
    return str(variant.get("text") or "").strip()


def _read_only_reason(name: str, variants: List[Dict[str, Any]]) -> str:
    """Why a response's text cannot be edited as one chat and one SMS text ("" if it can)."""
    if name in READ_BY_ACTIONS:
        return (f"It is {READ_BY_ACTIONS[name]} read from the domain files, not sent as an "
                "answer; change it in data/responses.")
    if not variants:
        return "It has no text; change it in data/responses."
    if any(v.get("condition") for v in variants):
        return ("Its wording depends on the conversation (conditional variants); "
                "change it in data/responses.")
    defaults = [v for v in variants if not v.get("channel")]
    sms = [v for v in variants if v.get("channel") == SMS_CHANNEL]
    if len(defaults) != 1 or len(sms) > 1 or len(defaults) + len(sms) != len(variants):
        return ("It has several variants the assistant chooses between; "
                "change it in data/responses.")
    if not all(_text(v) for v in variants):
        return "It has a variant without text; change it in data/responses."
    return ""


def _answer(name: str, variants: List[Dict[str, Any]]) -> Answer:
    chat = next((v for v in variants if not v.get("channel")), variants[0] if variants else {})
    sms = next((v for v in variants if v.get("channel") == SMS_CHANNEL), None)
    meta = chat.get("metadata") or {}
    key = name[len(FAQ_PREFIX):] if name.startswith(FAQ_PREFIX) else name
    return Answer(
        name=name,
        title=str(meta.get("title") or key.replace("utter_", "").replace("_", " ").capitalize()),
        chat_text=_text(chat),
        sms_text=_text(sms) if sms else None,
        sources=tuple(str(s) for s in meta.get("sources") or ()),
        reviewed=str(meta.get("reviewed") or ""),
        has_buttons=bool(chat.get("buttons")),
        read_only_reason=_read_only_reason(name, variants),
        sms_buttons=tuple(str(b.get("title", "")) for b in (sms or chat).get("buttons") or ()
                          if isinstance(b, dict)),
    )


def load_catalog(root: Path = PROJECT_ROOT) -> Catalog:
    """Read ``domain.yml`` and ``data/responses/*.yml`` under ``root``."""
    domain = yaml.safe_load((root / "domain.yml").read_text(encoding="utf-8")) or {}
    intents = []
    for item in domain.get("intents") or ():
        name = next(iter(item)) if isinstance(item, dict) else str(item)
        if not name.startswith(NOT_TYPED):
            intents.append(name)
    responses: Dict[str, List[Dict[str, Any]]] = dict(domain.get("responses") or {})
    for path in sorted((root / "data" / "responses").glob("*.yml")):
        content = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        responses.update(content.get("responses") or {})
    answers = {name: _answer(name, list(variants or ())) for name, variants in
               sorted(responses.items())}
    return Catalog(tuple(intents), answers)


@lru_cache(maxsize=1)
def catalog() -> Catalog:
    """The project's catalog, read once per process."""
    return load_catalog()
