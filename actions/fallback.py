"""First stage of the two-stage fallback: "Did you mean …?" with topic buttons."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from clinic.content.knowledge import FAQ_INTENT, faq_title, ranked_faq_keys, response_text
from clinic.settings import get_settings


class ActionSuggestTopics(Action):
    """Offer the 2-3 likeliest FAQ topics as buttons, plus "Something else"."""

    def name(self) -> str:
        """Action name used in rules."""
        return "action_suggest_topics"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Suggest topics; with nothing to suggest, offer the clinic's phone instead."""
        limit = get_settings().fallback_suggestions
        buttons: List[Dict[str, Any]] = []
        for key in ranked_faq_keys(tracker.latest_message or {}, limit):
            title = faq_title(domain, key)
            if title:
                buttons.append({"title": title, "payload": f"/{FAQ_INTENT}/{key}"})
        if not buttons:
            dispatcher.utter_message(response="utter_fallback_phone")
            return []
        other = response_text(domain, "utter_button_none_of_these")
        if other:
            buttons.append({"title": other, "payload": "/deny"})
        dispatcher.utter_message(response="utter_did_you_mean", buttons=buttons)
        return []
