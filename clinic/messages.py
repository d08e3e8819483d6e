"""A patient's message as the core records it, and conversation ids in Rasa's URLs."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Dict
from urllib.parse import quote

# Rasa's HTTP API does not decode percent-escapes in /conversations/<id>/...: "%2B1312..."
# would be another conversation than "+1312...". Sender ids only use A-Z a-z 0-9 _ . : @ + -
# (the REST channel checks), and these may stand as they are in a URL path.
_PATH_SAFE = "+:@"


@dataclass(frozen=True)
class MessageContext:
    """Where a message came from and what it said."""

    conversation_id: str
    channel: str
    message_id: str
    text: str
    intent: str


def conversation_path(conversation_id: str) -> str:
    """The conversation id as it must appear in Rasa's ``/conversations/<id>/`` URLs."""
    return quote(conversation_id, safe=_PATH_SAFE)


def message_id_of(latest: Dict[str, Any], conversation_id: str) -> str:
    """The message's id (Rasa's), else a stable digest of the conversation and the text."""
    message_id = latest.get("message_id")
    if message_id:
        return str(message_id)[:64]
    seed = f"{conversation_id}\n{latest.get('text') or ''}"
    return hashlib.sha256(seed.encode("utf-8")).hexdigest()[:32]
