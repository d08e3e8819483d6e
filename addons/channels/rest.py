"""A REST channel that validates its input and always answers the patient.

Replaces Rasa's ``RestInput`` (``credentials.yml``: ``addons.channels.rest.GuardedRestInput``),
same URL: ``POST /webhooks/rest/webhook`` with ``{"sender": "...", "message": "..."}``.

- Malformed requests get a 4xx with a JSON ``error``; never a 5xx, never a traceback.
- Empty, symbol-only and over-long messages get a polite answer; long ones are cut to the
  configured cap before NLU (stock Rasa can spend minutes and gigabytes on 80K characters).
- A typed ``/intent`` or ``/restart`` cannot steer the bot: only payloads of buttons the
  bot itself just offered pass as payloads; anything else is read as plain words.
- If the dialogue fails, times out or produces nothing (e.g. the action server is down),
  the patient gets the clinic's phone number instead of silence. A conversation paused for
  a hand-off is the one deliberate silence (``addons/channels/dialogue.py``); staff replies
  posted meanwhile are delivered with the next answer.
- Patient text and sender ids are never logged at INFO or above.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any, Dict, List, Optional, Tuple

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from actions.config import get_settings
from addons.channels.dialogue import (
    Handler,
    bot_messages_since_patient_spoke,
    read_conversation,
    run_turn,
    staff_replies,
)
from addons.channels.replies import render
from addons.text import has_words, neutralise_command, offered_payloads, truncate

logger = logging.getLogger(__name__)

SENDER_PATTERN = re.compile(r"^[A-Za-z0-9_.:@+\-]{1,128}$")
MAX_BODY_BYTES = 256 * 1024
MAX_METADATA_BYTES = 4096
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufeff]")

def _error(status: int, message: str) -> HTTPResponse:
    return response.json({"error": message}, status=status)


def parse_request(request: Request) -> Tuple[Optional[Dict[str, Any]], Optional[HTTPResponse]]:
    """Decode and validate the JSON body; return (body, None) or (None, error response)."""
    if len(request.body or b"") > MAX_BODY_BYTES:
        return None, _error(413, f"Request body is larger than {MAX_BODY_BYTES} bytes.")
    try:
        body = json.loads((request.body or b"").decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None, _error(400, "Send a JSON object: {\"sender\": \"...\", \"message\": \"...\"}.")
    if not isinstance(body, dict):
        return None, _error(400, "The JSON body must be an object.")
    sender = body.get("sender")
    if not isinstance(sender, str) or not SENDER_PATTERN.match(sender):
        return None, _error(
            400, "'sender' is required: 1-128 letters, digits or _ . : @ + - characters."
        )
    if not isinstance(body.get("message"), str):
        return None, _error(400, "'message' is required and must be a string.")
    return body, None


def clean_metadata(raw: Any) -> Optional[Dict[str, Any]]:
    """Keep client metadata only if it is a small JSON object."""
    if not isinstance(raw, dict):
        return None
    try:
        size = len(json.dumps(raw))
    except (TypeError, ValueError):
        return None
    return raw if size <= MAX_METADATA_BYTES else None


def strip_control(text: str) -> str:
    """Remove control characters (NUL breaks databases) and trim; keep what the user typed."""
    return _CONTROL.sub(" ", text).strip()


class GuardedRestInput(InputChannel):
    """Validated REST webhook (see module docstring)."""

    @classmethod
    def name(cls) -> str:
        """Channel name; also selects ``channel: rest`` response variants."""
        return "rest"

    async def _reply(self, request: Request, name: str, sender: str, **values: Any) -> List[Dict]:
        return await render(request.app.ctx.agent, name, sender, self.name(), **values)

    async def handle(self, request: Request, on_new_message: Handler) -> HTTPResponse:
        """Validate one webhook call and answer it."""
        body, error = parse_request(request)
        if error is not None or body is None:
            return error or _error(400, "Bad request.")
        sender = body["sender"]
        text = strip_control(body["message"])
        if not text:
            return response.json(await self._reply(request, "utter_empty_message", sender))
        if not has_words(text):
            return response.json(await self._reply(request, "utter_no_words", sender))

        settings = get_settings()
        agent = request.app.ctx.agent
        unseen = bot_messages_since_patient_spoke(await read_conversation(agent, sender))
        text, truncated = truncate(text, settings.max_message_chars)
        if text.startswith("/"):
            offered = offered_payloads([m.data.get("buttons") for m in unseen])
            if text not in offered:
                text = neutralise_command(text)
        metadata = clean_metadata(body.get("metadata"))
        if truncated:
            metadata = {**(metadata or {}), "truncated": True}

        # REST cannot push: staff replies posted since the patient's last message come first.
        staff = staff_replies(sender, unseen)
        collector = CollectingOutputChannel()
        message = UserMessage(
            text, collector, sender, input_channel=self.name(), metadata=metadata
        )
        turn = await run_turn(agent, on_new_message, message, settings.turn_timeout_seconds)
        replies = list(collector.messages)
        if not turn.ok or (not replies and not turn.paused):
            # keep whatever was already said (e.g. a safety instruction), then the phone
            replies += await self._reply(request, "utter_technical_difficulty", sender)
        replies = staff + replies
        if truncated:
            note = await self._reply(
                request, "utter_message_truncated", sender, max_chars=settings.max_message_chars
            )
            replies = note + replies
        return response.json(replies)

    def blueprint(self, on_new_message: Handler) -> Blueprint:
        """Health check and webhook routes."""
        hook = Blueprint(f"custom_webhook_{type(self).__name__}", __name__)

        @hook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @hook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            return await self.handle(request, on_new_message)

        return hook
