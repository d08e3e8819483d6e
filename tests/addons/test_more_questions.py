"""A message with several questions: each is read, and the answer covers every one."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, Event, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from addons.channels.more_questions import answer_key, with_more_questions
from addons.nlg import ClinicNaturalLanguageGenerator
from tests.helpers import render

pytestmark = pytest.mark.usefixtures("db_engine")


def faq_parse(key: Optional[str]) -> Dict[str, Any]:
    if key is None:
        return {"intent": {"name": "nlu_fallback"}, "response_selector": {}}
    return {"intent": {"name": "faq"},
            "response_selector": {"faq": {"response": {"intent_response_key": key}}}}


class FakeAgent:
    def __init__(self, answers: Dict[str, Optional[str]]) -> None:
        self.answers = answers
        self.asked: List[str] = []

    async def parse_message(self, text: str) -> Dict[str, Any]:
        self.asked.append(text)
        return faq_parse(self.answers.get(text))


async def test_each_question_is_read_and_its_key_goes_with_the_message():
    agent = FakeAgent({"how long does it take": "faq/duration",
                       "will i be asleep": "faq/anesthesia"})
    metadata = await with_more_questions(
        agent, "how long does it take and will i be asleep?", {"truncated": True})
    assert agent.asked == ["how long does it take", "will i be asleep"]
    assert metadata == {"truncated": True, "more_questions": ["faq/duration", "faq/anesthesia"]}


async def test_one_question_is_not_read_twice():
    agent = FakeAgent({})
    assert await with_more_questions(agent, "will i be asleep?", None) is None
    assert agent.asked == []


def test_only_an_faq_answer_counts():
    assert answer_key(faq_parse("faq/risks")) == "faq/risks"
    assert answer_key(faq_parse(None)) == ""
    assert answer_key({"intent": {"name": "urgent_symptom"}}) == ""


def asked(keys: List[str]) -> List[Event]:
    return [UserUttered("how long does it take and will i be asleep?",
                        parse_data={"intent": {"name": "faq"}, "entities": []},  # type: ignore
                        metadata={"more_questions": keys})]


async def generate(domain: Dict[str, Any], name: str, events: List[Event]) -> str:
    nlg = ClinicNaturalLanguageGenerator(domain=Domain.from_dict(domain))
    out = await nlg.generate(name, DialogueStateTracker.from_events("u", events), "rest")
    assert out is not None
    return str(out["text"])


async def test_the_answer_is_followed_by_the_other_questions_answers(domain):
    text = await generate(domain, "utter_faq/duration", asked(["faq/duration", "faq/anesthesia"]))
    assert text == "\n\n".join([render(domain, "utter_faq/duration"),
                                render(domain, "utter_faq/anesthesia")])


async def test_a_part_not_understood_is_named_and_the_rest_invited(domain):
    text = await generate(domain, "utter_faq/duration", asked(["faq/duration", ""]))
    title = next(v for v in domain["responses"]["utter_faq/duration"]
                 if not v.get("channel"))["metadata"]["title"]
    assert text == "\n\n".join([render(domain, "utter_faq/duration"),
                                render(domain, "utter_other_part_unclear",
                                       answered_topic=title)])


async def test_only_the_first_answer_of_the_turn_adds_them(domain):
    events = asked(["faq/duration", "faq/anesthesia"]) + [BotUttered("An answer.")]
    assert await generate(domain, "utter_faq/risks", events) == render(domain, "utter_faq/risks")
