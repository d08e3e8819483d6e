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
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from actions.config import get_settings
from addons.answer_cache import AnswerCache
from addons.placeholders import configured_values


class ClinicNaturalLanguageGenerator(TemplatedNaturalLanguageGenerator):
    """Domain responses, with edited texts and ``{clinic_phone}``, ``{clinic_hours}`` ….

    Enabled in ``endpoints.yml`` (``nlg: type: addons.nlg.ClinicNaturalLanguageGenerator``).
    Slot values win over clinic values of the same name; keyword arguments win over both.
    An edited answer (``console.answers``) replaces the text of the domain variant Rasa
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
        """Generate the response with clinic placeholders available."""
        values: Dict[str, Any] = configured_values(get_settings())
        values.update({k: v for k, v in tracker.current_slot_values().items() if v is not None})
        revised = await self.answers.text_for(utter_action)
        if revised is None:
            return self.generate_from_slots(utter_action, values, output_channel, **kwargs)
        response = copy.deepcopy(self._random_response_for(utter_action, output_channel, values))
        if response is None:
            return None
        if not response.get("condition"):  # edits exist only for unconditional answers
            response["text"] = revised.for_channel(output_channel)
        return self._fill_response(response, values, **kwargs)
