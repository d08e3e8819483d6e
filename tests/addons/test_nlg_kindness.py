"""The first answer to a message that shows fear or frustration begins with a kind line."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, Event, SlotSet, UserUttered
from rasa.shared.core.slots import AnySlot
from rasa.shared.core.trackers import DialogueStateTracker

from addons.nlg import ClinicNaturalLanguageGenerator
from clinic.feelings import feeling
from tests.helpers import render

pytestmark = pytest.mark.usefixtures("db_engine")


def said(text: str, intent: str = "faq") -> UserUttered:
    return UserUttered(text, parse_data={"intent": {"name": intent, "confidence": 0.9},
                                         "entities": []})  # type: ignore[arg-type]


def tracker_of(events: List[Event]) -> DialogueStateTracker:
    return DialogueStateTracker.from_events(
        "u", events, slots=[AnySlot("safety_frame", mappings=[{}])])


async def answer(domain: Dict[str, Any], name: str, events: List[Event],
                 channel: str = "rest") -> Optional[str]:
    nlg = ClinicNaturalLanguageGenerator(domain=Domain.from_dict(domain))
    out = await nlg.generate(name, tracker_of(events), channel)
    return None if out is None else str(out["text"])


@pytest.mark.parametrize("text,expected", [
    ("im so scared, will i be awake during it", "fear"),
    ("my mom is really nervous about the needle", "fear"),
    ("Honestly I'm terrified of being put under", "fear"),
    ("worried sick about my dad's back", "fear"),
    ("i'm not worried, just curious how long it takes", None),
    ("this is stupid, you're useless", "frustration"),
    ("ugh this bot is a waste of time", "frustration"),
    ("what are the risks?", None),
    ("the pain meds didn't help", None),
    ("no help at home after surgery, can i still go home the same day?", None),
])
def test_feelings_are_read_from_the_patients_words(text, expected):
    assert feeling(text) == expected


async def test_fear_gets_the_acknowledgement_before_the_answer(domain):
    text = await answer(domain, "utter_faq/anesthesia", [said("im scared, will i be asleep?")])
    assert text == "\n\n".join([render(domain, "utter_ack_fear"),
                                render(domain, "utter_faq/anesthesia")])


async def test_sms_gets_the_short_acknowledgement(domain):
    text = await answer(domain, "utter_bot_challenge",
                        [said("r u even a real person?? this is stupid", "bot_challenge")],
                        "twilio")
    sms = next(v["text"] for v in domain["responses"]["utter_ack_frustration"]
               if v.get("channel") == "twilio")
    assert text is not None and text.startswith(sms + "\n\n")


async def test_only_the_first_answer_to_the_message_is_acknowledged(domain):
    events: List[Event] = [said("i'm nervous, what should i bring?"), BotUttered("An answer.")]
    assert await answer(domain, "utter_faq/preparation", events) == render(
        domain, "utter_faq/preparation")


@pytest.mark.parametrize("name,events", [
    ("utter_urgent_symptom", [said("im scared i cant feel my legs", "urgent_symptom")]),
    ("utter_faq/risks",
     [said("i'm so scared, what are the risks?"), SlotSet("safety_frame", True)]),
    ("utter_safety_frame", [said("im scared what do i do now", "faq")]),
    ("utter_spanish", [said("tengo miedo, stupid", "spanish")]),
])
async def test_safety_wording_and_spanish_are_never_softened(domain, name, events):
    text = await answer(domain, name, events)
    assert text is not None
    assert not text.startswith(render(domain, "utter_ack_fear")[:20])
    assert not text.startswith(render(domain, "utter_ack_frustration")[:20])
