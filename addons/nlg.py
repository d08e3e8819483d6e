"""Response generation: clinic details filled in, and the answer texts staff edited.

Rasa calls :meth:`ClinicNaturalLanguageGenerator.generate` for every bot response (domain
responses, custom actions' ``response=``, and FAQ answers as ``utter_faq/<key>`` from
``ActionRetrieveResponse``) with the response name, the tracker and the output channel --
what Rasa's external NLG HTTP endpoint would receive, without the extra network hop.
"""

from __future__ import annotations

import copy
from typing import Any, Dict, Optional

from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from addons.answer_cache import AnswerCache
from clinic.content.placeholders import configured_values
from clinic.feelings import feeling
from clinic.questions import MAX_QUESTIONS
from clinic.settings import get_settings
from clinic.vocabulary import (
    FOLLOW_UP_KEY,
    MORE_QUESTIONS_KEY,
    SAFETY_FRAME_SLOT,
    URGENT_INTENT,
)

CHECK_PREFIX = "utter_safety_check_"
CHECK_LEVELS = ("emergency", "urgent", "crisis")
ACK_PREFIX = "utter_ack_"
FAQ_RESPONSE_PREFIX = "utter_faq/"
UNCLEAR_PART = "utter_other_part_unclear"
SAME_FOR_BOTH = "utter_follow_up_same"
UNCOVERED = "utter_follow_up_not_covered"
# responses never opened by an acknowledgement: safety wording, Spanish, the line itself
NO_ACK_PREFIXES = (ACK_PREFIX, "utter_urgent_symptom", "utter_safety", "utter_anything_else",
                   "utter_safe_now", "utter_spanish")


class ClinicNaturalLanguageGenerator(TemplatedNaturalLanguageGenerator):
    """Domain responses, with edited texts and ``{clinic_phone}``, ``{clinic_hours}`` ….

    Enabled in ``endpoints.yml`` (``nlg: type: addons.nlg.ClinicNaturalLanguageGenerator``).
    Slot values win over clinic values of the same name; keyword arguments win over both.
    An edited answer (``clinic.content.answers``) replaces the text of the domain variant Rasa
    picks (its SMS text on the ``twilio`` channel, if written); buttons, images, custom
    payloads and metadata stay the domain's.
    """

    def __init__(
        self,
        endpoint_config: Optional[EndpointConfig] = None,
        domain: Optional[Domain] = None,
        answers: Optional[AnswerCache] = None,
        **_: Any,
    ) -> None:
        """Use the domain's responses and the edited answers of the project database."""
        super().__init__((domain or Domain.empty()).responses)
        self.answers = answers or AnswerCache(get_settings().console.answers_refresh_seconds)

    async def generate(
        self,
        utter_action: str,
        tracker: DialogueStateTracker,
        output_channel: str,
        **kwargs: Any,
    ) -> Optional[Dict[str, Any]]:
        """Generate the response with clinic placeholders available.

        The first response to a message whose red-flag finding the router ruled out
        (``red_flag.check``, see :mod:`addons.nlu.red_flags`) ends with that level's safety
        check, ``utter_safety_check_<level>``. The first response to a message that shows
        a feeling (:mod:`clinic.feelings`) begins with ``utter_ack_<feeling>``, except in
        safety wording. An FAQ answer to a message that asked several questions
        (``addons/channels/more_questions.py``) is followed by the other answers, or by
        ``utter_other_part_unclear`` when a part was not understood.
        """
        values: Dict[str, Any] = configured_values(get_settings())
        values.update({k: v for k, v in tracker.current_slot_values().items() if v is not None})
        response = await self._response(utter_action, values, output_channel, **kwargs)
        if response is None:
            return None
        ack = _acknowledgement(tracker, utter_action)
        if ack is not None:
            self._join(response, f"{ACK_PREFIX}{ack}", values, output_channel, first=True)
        if utter_action.startswith(FAQ_RESPONSE_PREFIX):
            self._word_a_follow_up(response, utter_action, tracker, values, output_channel)
            await self._answer_the_other_questions(response, utter_action, tracker, values,
                                                   output_channel)
        check = _safety_check(tracker)
        if check is not None and not utter_action.startswith(CHECK_PREFIX):
            self._join(response, f"{CHECK_PREFIX}{check}", values, output_channel, first=False)
        return response

    def _word_a_follow_up(
        self, response: Dict[str, Any], utter_action: str, tracker: DialogueStateTracker,
        values: Dict[str, Any], output_channel: str,
    ) -> None:
        """Word a follow-up: the answer holds for both procedures, or is about one only."""
        message = _first_reply_to(tracker)
        asked = (message.parse_data.get(FOLLOW_UP_KEY) if message else None) or {}  # type: ignore[attr-defined]
        if asked.get("answer") != utter_action[len("utter_"):] or asked.get("twin"):
            return  # not a follow-up, or the other procedure's own answer
        procedure = str(asked.get("procedure") or "")
        covered = list((response.get("metadata") or {}).get("procedures") or [])
        if procedure in covered:
            return  # the answer is about that one: given as it is
        name = UNCOVERED if covered else SAME_FOR_BOTH
        wording = self.generate_from_slots(
            name, {**values, "procedure": procedure, "covered": " and ".join(covered)},
            output_channel)
        if wording and wording.get("text"):
            response["text"] = wording["text"]

    async def _answer_the_other_questions(
        self, response: Dict[str, Any], utter_action: str, tracker: DialogueStateTracker,
        values: Dict[str, Any], output_channel: str,
    ) -> None:
        """Add the answers to the message's other questions, or say a part was unclear."""
        message = _first_reply_to(tracker)
        keys = (getattr(message, "metadata", None) or {}).get(MORE_QUESTIONS_KEY) or []
        answered = utter_action[len("utter_"):]
        others = [k for k in dict.fromkeys(str(k) for k in keys) if k and k != answered]
        texts = [response.get("text")]
        for key in others[:MAX_QUESTIONS - 1]:
            extra = await self._response(f"utter_{key}", values, output_channel)
            texts.append((extra or {}).get("text"))
        if "" in keys:
            title = (response.get("metadata") or {}).get("title") or ""
            unclear = self.generate_from_slots(UNCLEAR_PART, {**values, "answered_topic": title},
                                               output_channel)
            texts.append((unclear or {}).get("text"))
        response["text"] = "\n\n".join(t for t in texts if t)

    def _join(self, response: Dict[str, Any], name: str, values: Dict[str, Any],
              output_channel: str, first: bool) -> None:
        """Put response ``name``'s text before (``first``) or after the response's text."""
        extra = self.generate_from_slots(name, values, output_channel)
        if extra and extra.get("text"):
            parts = (extra["text"], response.get("text")) if first else (
                response.get("text"), extra["text"])
            response["text"] = "\n\n".join(t for t in parts if t)

    async def _response(
        self, utter_action: str, values: Dict[str, Any], output_channel: str, **kwargs: Any
    ) -> Optional[Dict[str, Any]]:
        """The domain response, with the text staff edited if there is one."""
        revised = await self.answers.text_for(utter_action)
        if revised is None:
            return self.generate_from_slots(utter_action, values, output_channel, **kwargs)
        response = copy.deepcopy(self._random_response_for(utter_action, output_channel, values))
        if response is None:
            return None
        if not response.get("condition"):  # edits exist only for unconditional answers
            response["text"] = revised.for_channel(output_channel)
        return self._fill_response(response, values, **kwargs)


def _first_reply_to(tracker: DialogueStateTracker) -> Optional[UserUttered]:
    """The patient's latest message, if the bot has not yet answered it."""
    for event in reversed(tracker.events):
        if isinstance(event, BotUttered):
            return None
        if isinstance(event, UserUttered):
            return event
    return None


def _acknowledgement(tracker: DialogueStateTracker, utter_action: str) -> Optional[str]:
    """The feeling the first reply to the latest message acknowledges (never in safety)."""
    if utter_action.startswith(NO_ACK_PREFIXES) or tracker.get_slot(SAFETY_FRAME_SLOT):
        return None
    message = _first_reply_to(tracker)
    if message is None or (message.intent or {}).get("name") in (URGENT_INTENT, "spanish"):
        return None
    return feeling(message.text)


def _safety_check(tracker: DialogueStateTracker) -> Optional[str]:
    """The safety check's level owed to the latest message, until the first reply has it."""
    message = _first_reply_to(tracker)
    if message is None:
        return None
    check = (message.parse_data.get("red_flag") or {}).get("check")  # type: ignore[attr-defined]
    return str(check) if check in CHECK_LEVELS else None
