"""The NLG fills clinic details from configuration and picks channel variants."""

from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker

from actions.config import get_settings
from addons.nlg import ClinicNaturalLanguageGenerator

DOMAIN = Domain.from_dict(
    {
        "responses": {
            "utter_call": [
                {"text": "Call {clinic_name} at {clinic_phone} ({clinic_hours})."},
                {"channel": "twilio", "text": "Call {clinic_phone}"},
            ]
        }
    }
)


async def test_placeholders_are_filled_from_configuration():
    nlg = ClinicNaturalLanguageGenerator(domain=DOMAIN)
    out = await nlg.generate("utter_call", DialogueStateTracker("u", []), "rest")
    clinic = get_settings().clinic
    assert out is not None
    assert out["text"] == f"Call {clinic.name} at {clinic.phone} ({clinic.hours})."


async def test_channel_variant_is_used_for_sms():
    nlg = ClinicNaturalLanguageGenerator(domain=DOMAIN)
    out = await nlg.generate("utter_call", DialogueStateTracker("u", []), "twilio")
    assert out is not None
    assert out["text"] == f"Call {get_settings().clinic.phone}"


async def test_unknown_response_gives_none():
    nlg = ClinicNaturalLanguageGenerator(domain=DOMAIN)
    assert await nlg.generate("utter_nope", DialogueStateTracker("u", []), "rest") is None
