"""A REST channel for server-to-server integrations: authenticated, in its own namespace.

Replaces Rasa's ``RestInput`` (``credentials.yml``: ``addons.channels.rest.GuardedRestInput``),
same URL: ``POST /webhooks/rest/webhook`` with ``{"sender": "...", "message": "..."}`` and
``Authorization: Bearer <REST_API_TOKEN>`` (401 without it; 403 while no token is configured).

- The conversation is ``rest-<sender>``: REST can never open an SMS conversation (named by
  the patient's phone) or a website chat (``web-`` + a server-issued id).

- Malformed requests get a 4xx with a JSON ``error``; never a 5xx, never a traceback.
- The message itself goes through :func:`addons.channels.inbound.answer` (empty, long and
  command-like messages, the time limit, paused conversations, the phone-number fallback).
- REST cannot push: staff replies posted meanwhile are delivered with the next answer.
- Patient text and sender ids are never logged at INFO or above.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any, Dict, Optional, Tuple

from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from addons.channels.dialogue import Handler
from addons.channels.inbound import WebhookInput, answer
from clinic.bearer import bearer_matches
from clinic.settings import get_settings

logger = logging.getLogger(__name__)

SENDER_PATTERN = re.compile(r"^[A-Za-z0-9_.:@+\-]{1,128}$")
MAX_BODY_BYTES = 256 * 1024
MAX_METADATA_BYTES = 4096
MAX_METADATA_DEPTH = 8
CONVERSATION_PREFIX = "rest-"


def conversation_id(sender: str) -> str:
    """The Rasa conversation of a REST ``sender``: its own namespace, no other channel's."""
    return CONVERSATION_PREFIX + sender


def _error(status: int, message: str) -> HTTPResponse:
    return response.json({"error": message}, status=status)


def parse_request(request: Request) -> Tuple[Optional[Dict[str, Any]], Optional[HTTPResponse]]:
    """Decode and validate the JSON body; return (body, None) or (None, error response)."""
    if len(request.body or b"") > MAX_BODY_BYTES:
        return None, _error(413, f"Request body is larger than {MAX_BODY_BYTES} bytes.")
    try:
        body = json.loads((request.body or b"").decode("utf-8"))
    except RecursionError:  # nesting deeper than the interpreter's stack
        return None, _error(400, "The JSON body is nested too deeply.")
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
    """Keep client metadata only if it is a small, shallow JSON object of valid text."""
    if not isinstance(raw, dict):
        return None
    try:  # a lone surrogate can't be stored as UTF-8; deep nesting can't be re-encoded
        size = len(json.dumps(raw, ensure_ascii=False).encode("utf-8"))
    except (TypeError, ValueError, RecursionError):
        return None
    return raw if size <= MAX_METADATA_BYTES and _depth(raw) <= MAX_METADATA_DEPTH else None


def _depth(value: Any, level: int = 0) -> int:
    """How deeply ``value`` nests (stops counting past the limit)."""
    if level > MAX_METADATA_DEPTH or not isinstance(value, (dict, list)):
        return level
    items = value.values() if isinstance(value, dict) else value
    return max((_depth(item, level + 1) for item in items), default=level + 1)


class GuardedRestInput(WebhookInput):
    """Validated REST webhook (see module docstring)."""

    @classmethod
    def name(cls) -> str:
        """Channel name; also selects ``channel: rest`` response variants."""
        return "rest"

    async def handle(self, request: Request, on_new_message: Handler) -> HTTPResponse:
        """Authenticate and validate one webhook call, then answer it."""
        settings = get_settings()
        if not settings.rest_api_token:
            return _error(403, "The REST channel is off: set REST_API_TOKEN to use it.")
        if not bearer_matches(request.headers.get("authorization"), settings.rest_api_token):
            return _error(401, "Send 'Authorization: Bearer <REST_API_TOKEN>'.")
        body, error = parse_request(request)
        if error is not None or body is None:
            return error or _error(400, "Bad request.")
        sender: str = body["sender"]
        replies = await answer(
            request.app.ctx.agent, on_new_message, conversation_id(sender), body["message"],
            self.name(), settings, metadata=clean_metadata(body.get("metadata")),
        )
        for reply in replies:  # the caller knows its own sender name, not our namespace
            if reply.get("recipient_id") == conversation_id(sender):
                reply["recipient_id"] = sender
        return response.json(replies)
