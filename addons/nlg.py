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
from clinic.settings import get_settings

CHECK_PREFIX = "utter_safety_check_"
CHECK_LEVELS = ("emergency", "urgent", "crisis")


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
        check, ``utter_safety_check_<level>``.
        """
        values: Dict[str, Any] = configured_values(get_settings())
        values.update({k: v for k, v in tracker.current_slot_values().items() if v is not None})
        response = await self._response(utter_action, values, output_channel, **kwargs)
        check = _safety_check(tracker)
        if response is None or check is None or utter_action.startswith(CHECK_PREFIX):
            return response
        extra = self.generate_from_slots(f"{CHECK_PREFIX}{check}", values, output_channel)
        if extra and extra.get("text"):
            response["text"] = "\n\n".join(t for t in (response.get("text"), extra["text"]) if t)
        return response

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


def _safety_check(tracker: DialogueStateTracker) -> Optional[str]:
    """The safety check's level owed to the latest message, until the first reply has it."""
    for event in reversed(tracker.events):
        if isinstance(event, BotUttered):
            return None
        if isinstance(event, UserUttered):
            check = (event.parse_data.get("red_flag") or {}).get("check")  # type: ignore[attr-defined]
            return str(check) if check in CHECK_LEVELS else None
    return None
