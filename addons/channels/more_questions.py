"""The other questions of a message that asks several: their answers' keys, for the NLG.

The dialogue answers a message with one FAQ answer. When the message asks two or three
questions (:func:`clinic.questions.questions`), each question is read by the same NLU
before the turn, and the FAQ answer key of each (``""`` when it was not understood) goes
with the message as metadata (``MORE_QUESTIONS_KEY``). ``addons/nlg.py`` then adds the
answers the dialogue's own answer did not cover, or says that a part was not understood.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional

from clinic.questions import questions
from clinic.vocabulary import FAQ_INTENT, MORE_QUESTIONS_KEY

logger = logging.getLogger(__name__)


def answer_key(parse: Dict[str, Any]) -> str:
    """The FAQ answer (``faq/<key>``) a parse result chose, or ``""``."""
    if (parse.get("intent") or {}).get("name") != FAQ_INTENT:
        return ""
    chosen = ((parse.get("response_selector") or {}).get(FAQ_INTENT) or {}).get("response")
    return str((chosen or {}).get("intent_response_key") or "")


async def more_questions(agent: Any, text: str) -> Optional[List[str]]:
    """The answer keys of each question of ``text`` (None when it asks only one)."""
    asked = questions(text)
    if not asked:
        return None
    keys: List[str] = []
    for question in asked:
        try:
            keys.append(answer_key(await agent.parse_message(question)))
        except Exception as exc:  # noqa: BLE001 - the message itself is still answered
            logger.warning("Could not read a part of a message: %s", type(exc).__name__)
            return None
    return keys


async def with_more_questions(agent: Any, text: str,
                              metadata: Optional[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    """``metadata`` with the keys of the message's other questions, if it asks several."""
    keys = await more_questions(agent, text)
    if keys is None:
        return metadata
    return {**(metadata or {}), MORE_QUESTIONS_KEY: keys}
