"""action_suggest_topics: "Did you mean …?" buttons from the response selector ranking."""

from typing import Any, Dict, List

from actions.fallback import ActionSuggestTopics
from clinic.content.knowledge import faq_title


def _latest(keys_and_conf: List[tuple]) -> Dict[str, Any]:
    ranking = [{"intent_response_key": f"faq/{k}", "confidence": c} for k, c in keys_and_conf]
    return {
        "text": "something vague",
        "intent": {"name": "nlu_fallback", "confidence": 0.45},
        "response_selector": {"faq": {"ranking": ranking, "response": {}}},
    }


async def test_suggests_top_topics_with_titles_and_something_else(
    make_tracker, dispatcher, domain
):
    tracker = make_tracker(
        latest_message=_latest(
            [("recovery_time", 0.4), ("pain_after", 0.3), ("hospital_stay", 0.2), ("risks", 0.1)]
        )
    )
    events = await ActionSuggestTopics().run(dispatcher, tracker, domain)
    assert events == []
    [message] = dispatcher.messages
    assert message["response"] == "utter_did_you_mean"
    payloads = [b["payload"] for b in message["buttons"]]
    assert payloads == ["/faq/recovery_time", "/faq/pain_after", "/faq/hospital_stay", "/deny"]
    assert message["buttons"][0]["title"] == faq_title(domain, "recovery_time")
    assert message["buttons"][-1]["title"] == "Something else"


async def test_unknown_keys_are_skipped(make_tracker, dispatcher, domain):
    tracker = make_tracker(latest_message=_latest([("no_such_topic", 0.9), ("risks", 0.1)]))
    await ActionSuggestTopics().run(dispatcher, tracker, domain)
    payloads = [b["payload"] for b in dispatcher.messages[0]["buttons"]]
    assert payloads == ["/faq/risks", "/deny"]


async def test_nothing_to_suggest_offers_the_phone(make_tracker, dispatcher, domain):
    tracker = make_tracker(latest_message={"text": "???", "intent": {"name": "nlu_fallback"}})
    await ActionSuggestTopics().run(dispatcher, tracker, domain)
    assert [m["response"] for m in dispatcher.messages] == ["utter_fallback_phone"]
