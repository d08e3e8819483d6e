"""Render domain responses from inside a channel, without running the dialogue."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from rasa.shared.core.trackers import DialogueStateTracker


async def render(
    agent: Any,
    response: str,
    sender_id: str,
    channel: str,
    tracker: Optional[DialogueStateTracker] = None,
    **values: Any,
) -> List[Dict[str, Any]]:
    """Return the REST-shaped messages of one domain response (empty if unavailable)."""
    nlg = getattr(agent, "nlg", None)
    domain = getattr(agent, "domain", None)
    if nlg is None or domain is None:
        return []
    tracker = tracker or DialogueStateTracker(sender_id, domain.slots)
    message = await nlg.generate(response, tracker, channel, **values)
    if not message or not message.get("text"):
        return []
    out: Dict[str, Any] = {"recipient_id": sender_id, "text": message["text"]}
    if message.get("buttons"):
        out["buttons"] = message["buttons"]
    return [out]
