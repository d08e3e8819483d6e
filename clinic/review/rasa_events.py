"""Reading Rasa's ``events`` table (the tracker store): messages and form values.

The table is Rasa's (declared as ``clinic.models.RASA_EVENTS``); the project only reads it,
and the project's migrations never create it.
"""

from __future__ import annotations

import json
from typing import Any, Dict, Iterable, List, Optional, Tuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinic.models import RASA_EVENTS as EVENTS  # the one declaration of the table
from clinic.pii import PII_SLOTS, mask_conversation_id


def event_data(raw: Optional[str]) -> Dict[str, Any]:
    """The JSON ``data`` of an event row ({} when unreadable)."""
    try:
        data = json.loads(raw or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


# Parts of names that are also everyday words: replacing them would garble the example.
_COMMON_WORDS = {"will", "mark", "hope", "rose", "joy", "grace", "faith", "june", "april",
                 "may", "august", "bill", "sue", "pat", "art", "frank", "grant", "long", "young",
                 "king", "hill", "wood", "page", "rich", "white", "black", "brown", "green",
                 "love", "gay", "sunny", "dawn", "summer", "river", "stone"}


def _values(slot: str, value: str) -> List[str]:
    """A form value and, for names, its parts of 4+ letters (a surname said on its own)."""
    values = [value]
    if slot == "appointment_name":
        values += [part for part in value.replace("-", " ").split()
                   if len(part) >= 4 and part.isalpha() and part.lower() not in _COMMON_WORDS]
    return values


def personal_data(session: Session, conversation_ids: Iterable[str]
                  ) -> Dict[str, Tuple[str, ...]]:
    """What each conversation gave the booking form (names, phone numbers), for scrubbing.

    SMS conversation ids (phone numbers) count too.
    """
    ids = sorted(set(conversation_ids))
    found: Dict[str, set] = {cid: ({cid} if mask_conversation_id(cid) != cid else set())
                             for cid in ids}
    for start in range(0, len(ids), 500):
        rows = session.execute(
            select(EVENTS.c.sender_id, EVENTS.c.data).where(
                EVENTS.c.sender_id.in_(ids[start:start + 500]),
                EVENTS.c.type_name == "slot",
                EVENTS.c.action_name.in_(PII_SLOTS),
            )
        )
        for sender_id, raw in rows:
            data = event_data(raw)
            value = data.get("value")
            if data.get("name") in PII_SLOTS and isinstance(value, (str, int)) and str(value):
                found[sender_id].update(_values(str(data["name"]), str(value).strip()))
    return {cid: tuple(sorted(values)) for cid, values in found.items()}


def existing_events(session: Session, event_ids: Iterable[int]) -> set:
    """Which of these patient messages are still in Rasa's ``events`` table."""
    ids = sorted(set(event_ids))
    present: set = set()
    for start in range(0, len(ids), 500):
        present.update(session.scalars(select(EVENTS.c.id).where(
            EVENTS.c.id.in_(ids[start:start + 500]))))
    return present
