"""Follow-ups: read from the conversation by the channel, forced by NLU, worded by the NLG."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.training_data.message import Message

from addons.channels.follow_ups import last_answer, with_follow_up
from addons.nlg import ClinicNaturalLanguageGenerator
from addons.nlu.payloads import _follow_up
from tests.helpers import render

pytestmark = pytest.mark.usefixtures("db_engine")


def asked(text: str, entities: Optional[List[Dict[str, Any]]] = None) -> UserUttered:
    return UserUttered(text, {"name": "faq"}, entities or [])


def answered(key: str) -> List[Event]:
    return [ActionExecuted("utter_faq"),
            BotUttered("An answer.", metadata={"utter_action": f"utter_{key}"}),
            ActionExecuted("action_listen")]


def conversation(events: List[Event]) -> DialogueStateTracker:
    return DialogueStateTracker.from_events("u", events)


class FakeAgent:
    def __init__(self, domain: Dict[str, Any]) -> None:
        self.domain = Domain.from_dict(domain)


def test_the_last_answer_and_the_procedure_talked_about():
    events = [asked("what are the risks of vertebroplasty",
                    [{"entity": "procedure", "value": "vertebroplasty"}])] + answered("faq/risks")
    assert last_answer(conversation(events)) == ("faq/risks", "vertebroplasty")
    events = [asked("what is kyphoplasty")] + answered("faq/what_is_kyphoplasty")
    assert last_answer(conversation(events)) == ("faq/what_is_kyphoplasty", "kyphoplasty")


def test_an_answer_more_than_three_messages_ago_is_no_context():
    events = [asked("what are the risks")] + answered("faq/risks")
    for _ in range(3):
        events += [asked("hmm"), BotUttered("Did you mean one of these?"),
                   ActionExecuted("action_listen")]
    assert last_answer(conversation(events)) == (None, None)


def test_a_follow_up_carries_the_answer_it_asks_for(domain):
    events = [asked("what is kyphoplasty")] + answered("faq/what_is_kyphoplasty")
    agent = FakeAgent(domain)
    assert with_follow_up(agent, conversation(events), "and for vertebroplasty?", None) == {
        "follow_up": {"answer": "faq/what_is_vertebroplasty", "procedure": "vertebroplasty",
                      "twin": True}}
    assert with_follow_up(agent, conversation(events), "will i be asleep?", {"a": 1}) == {"a": 1}
    assert with_follow_up(agent, conversation([]), "and for vertebroplasty?", None) is None


def nlu_message(intent: str, follow: Dict[str, Any]) -> Message:
    message = Message(data={"text": "and for vertebroplasty?", "metadata": {"follow_up": follow},
                            "intent": {"name": intent, "confidence": 0.4}})
    _follow_up(message, ["faq/risks", "faq/what_is_vertebroplasty"])
    return message


def test_nlu_gives_the_follow_up_its_answer_but_never_over_a_red_flag():
    follow = {"answer": "faq/risks", "procedure": "vertebroplasty", "twin": False}
    message = nlu_message("nlu_fallback", follow)
    assert message.get("intent")["name"] == "faq" and message.get("follow_up") == follow
    key = message.get("response_selector")["faq"]["response"]["intent_response_key"]
    assert key == "faq/risks"
    assert nlu_message("urgent_symptom", follow).get("intent")["name"] == "urgent_symptom"
    unknown = nlu_message("nlu_fallback", {**follow, "answer": "faq/nothing"})
    assert unknown.get("intent")["name"] == "nlu_fallback"


async def reply(domain: Dict[str, Any], name: str, follow: Dict[str, Any],
                channel: str = "rest") -> str:
    message = UserUttered("and for vertebroplasty?", {"name": "faq"},
                          parse_data={"intent": {"name": "faq"}, "entities": [],  # type: ignore
                                      "follow_up": follow})
    nlg = ClinicNaturalLanguageGenerator(domain=Domain.from_dict(domain))
    out = await nlg.generate(name, conversation([message]), channel)
    assert out is not None
    return str(out["text"])


async def test_an_answer_about_both_says_it_holds_for_the_one_asked_about(domain):
    follow = {"answer": "faq/risks", "procedure": "vertebroplasty", "twin": False}
    assert await reply(domain, "utter_faq/risks", follow) == render(
        domain, "utter_follow_up_same", procedure="vertebroplasty")


async def test_an_answer_about_one_procedure_says_so_and_defers(domain):
    follow = {"answer": "faq/contraindications", "procedure": "vertebroplasty", "twin": False}
    assert await reply(domain, "utter_faq/contraindications", follow) == render(
        domain, "utter_follow_up_not_covered", procedure="vertebroplasty", covered="kyphoplasty")
    follow["procedure"] = "kyphoplasty"  # the one it is about: the answer itself
    assert await reply(domain, "utter_faq/contraindications", follow) == render(
        domain, "utter_faq/contraindications")


async def test_the_other_procedures_own_answer_is_given_as_it_is(domain):
    follow = {"answer": "faq/what_is_vertebroplasty", "procedure": "vertebroplasty", "twin": True}
    assert await reply(domain, "utter_faq/what_is_vertebroplasty", follow) == render(
        domain, "utter_faq/what_is_vertebroplasty")
