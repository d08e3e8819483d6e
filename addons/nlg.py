"""Response generation with the clinic's details filled in from configuration."""

from __future__ import annotations

from typing import Any, Dict, Optional

from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from actions.config import get_settings


class ClinicNaturalLanguageGenerator(TemplatedNaturalLanguageGenerator):
    """Domain responses, with ``{clinic_phone}``, ``{clinic_hours}`` … from configuration.

    Enabled in ``endpoints.yml`` (``nlg: type: addons.nlg.ClinicNaturalLanguageGenerator``).
    Slot values win over clinic values of the same name; keyword arguments win over both.
    """

    def __init__(
        self,
        endpoint_config: Optional[EndpointConfig] = None,
        domain: Optional[Domain] = None,
        **_: Any,
    ) -> None:
        """Use the domain's responses."""
        super().__init__((domain or Domain.empty()).responses)

    async def generate(
        self,
        utter_action: str,
        tracker: DialogueStateTracker,
        output_channel: str,
        **kwargs: Any,
    ) -> Optional[Dict[str, Any]]:
        """Generate the response with clinic placeholders available."""
        settings = get_settings()
        values: Dict[str, Any] = dict(settings.clinic.as_template_vars())
        values["sms_program_name"] = settings.sms.program_name
        values.update({k: v for k, v in tracker.current_slot_values().items() if v is not None})
        return self.generate_from_slots(utter_action, values, output_channel, **kwargs)
