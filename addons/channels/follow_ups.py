"""Follow-ups read from the conversation: "and for vertebroplasty?" after an answer.

Before the turn, the channel looks at the conversation: if the message is a follow-up
(:func:`clinic.content.context.follow_up`) and the bot gave an FAQ answer in the last
``WINDOW`` patient turns, the message carries which answer to give for which procedure
(metadata ``FOLLOW_UP_KEY``). ``addons.nlu.payloads`` turns that into a certain FAQ
prediction (never over a red flag), and ``addons/nlg.py`` words the reply.
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from clinic.content.context import answer_for, follow_up, procedure_in
from clinic.vocabulary import FOLLOW_UP_KEY

WINDOW = 3  # patient messages back in which the last answer still counts
_FAQ = "utter_faq/"


def last_answer(tracker: Optional[DialogueStateTracker]) -> Tuple[Optional[str], Optional[str]]:
    """The latest FAQ answer (``faq/<key>``) and the procedure talked about last."""
    key: Optional[str] = None
    procedure: Optional[str] = None
    turns = 0
    for event in reversed(tracker.events if tracker is not None else []):
        if isinstance(event, BotUttered) and key is None:
            action = str((event.metadata or {}).get("utter_action") or "")
            if action.startswith(_FAQ):
                key = action[len("utter_"):]
                procedure = procedure or procedure_in(key)
        elif isinstance(event, UserUttered):
            turns += 1
            if procedure is None:
                named = [e.get("value") for e in event.entities if e.get("entity") == "procedure"]
                procedure = next((str(v) for v in named if v), None) or procedure_in(
                    event.text or "")
            if turns >= WINDOW or (key is not None and procedure is not None):
                break
    return key, procedure


def with_follow_up(agent: Any, tracker: Optional[DialogueStateTracker], text: str,
                   metadata: Optional[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    """``metadata`` with the answer a follow-up asks for, if the message is one."""
    asked = follow_up(text)
    if asked is None:
        return metadata
    key, procedure = last_answer(tracker)
    if key is None:
        return metadata
    known = [name[len("utter_"):] for name in getattr(agent.domain, "responses", {})
             if name.startswith(_FAQ)]
    answer = answer_for(asked, key, procedure, known)
    if answer is None:
        return metadata
    return {**(metadata or {}), FOLLOW_UP_KEY: {
        "answer": answer.key, "procedure": answer.procedure, "twin": answer.key != key}}
