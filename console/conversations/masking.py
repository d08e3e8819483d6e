"""Personal data masked for display: lists, previews, queues and the audit log.

:func:`mask_text` puts ``[phone]``, ``[email]``, ``[address]``, ``[date]``, ``[name]`` where
:func:`clinic.pii.personal_data` finds them; conversation ids that are phone numbers keep
their last two digits (:func:`clinic.pii.mask_conversation_id`). Templates use both as the
``mask`` and ``mask_id`` filters.
"""

from __future__ import annotations

from typing import Iterable

from clinic.pii import mask_conversation_id, replace

__all__ = ["MASKS", "mask_conversation_id", "mask_text"]

MASKS = {"phone": "[phone]", "email": "[email]", "address": "[address]", "date": "[date]",
         "name": "[name]"}


def mask_text(text: str, known: Iterable[str] = ()) -> str:
    """``text`` with personal data replaced by ``[phone]``, ``[address]``, ``[name]``, ..."""
    return replace(text or "", known, MASKS)
