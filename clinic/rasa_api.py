"""Rasa's HTTP API as the core calls it: one async client (aiohttp), one error type.

The base URL (``RASA_URL``) and the token (``RASA_API_TOKEN`` or the file ``make run``
writes) come from the settings; conversation ids are quoted the way Rasa's routes need
(:func:`clinic.messages.conversation_path`). Every call has a timeout. Whatever goes wrong
(no token, Rasa not reachable or too slow, an answer other than 2xx, a body that is not a
JSON object) raises :class:`RasaUnavailable`.

Staff replies and resumes append events (``clinic.staff``); the worker reads trackers and
triggers the check-in intent (``clinic.followups.checkin_sender``).
"""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Dict, Iterable, Mapping, Optional

import aiohttp

from clinic.messages import conversation_path
from clinic.settings import Settings

DEFAULT_TIMEOUT_SECONDS = 15.0
NO_TOKEN = "No API token: set RASA_API_TOKEN (as for `make run`)."


class RasaUnavailable(RuntimeError):
    """Rasa's HTTP API could not take a call: no token, not reachable, or an error answer.

    ``endpoint`` names the call (``tracker``, ``trigger_intent``, ``tracker/events``);
    ``status`` is the HTTP status of an error answer; ``cause`` the exception's type name
    when Rasa could not be reached (or answered no JSON object). Neither: no token.
    """

    def __init__(self, message: str, endpoint: str, status: Optional[int] = None,
                 cause: str = "") -> None:
        super().__init__(message)
        self.endpoint = endpoint
        self.status = status
        self.cause = cause


class RasaApi:
    """The conversation API of the Rasa server in ``settings``, over an aiohttp session."""

    def __init__(self, settings: Settings, http: aiohttp.ClientSession,
                 timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS) -> None:
        self.base_url = settings.rasa_url
        self._token = settings.rasa_api_token
        self._http = http
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)

    async def tracker(self, conversation_id: str) -> Dict[str, Any]:
        """The conversation's tracker, with all its events."""
        return await self._call("GET", conversation_id, "tracker", {"include_events": "ALL"})

    async def trigger_intent(self, conversation_id: str, name: str, entities: Mapping[str, str],
                             output_channel: str) -> Dict[str, Any]:
        """Trigger an external intent; Rasa's answer (``messages``: it collected the texts)."""
        return await self._call("POST", conversation_id, "trigger_intent",
                                {"output_channel": output_channel},
                                {"name": name, "entities": dict(entities)})

    async def append_events(self, conversation_id: str,
                            events: Iterable[Dict[str, Any]]) -> None:
        """Append events; bot messages are delivered on the conversation's latest channel."""
        await self._call("POST", conversation_id, "tracker/events",
                         {"output_channel": "latest", "execute_side_effects": "true"},
                         list(events), read=False)

    async def _call(self, method: str, conversation_id: str, endpoint: str,
                    params: Dict[str, str], body: Any = None, read: bool = True) -> Any:
        """One request; the answer's JSON object (``read``), RasaUnavailable on any failure."""
        if not self._token:
            raise RasaUnavailable(NO_TOKEN, endpoint)
        url = f"{self.base_url}/conversations/{conversation_path(conversation_id)}/{endpoint}"
        try:
            async with self._http.request(method, url, params={"token": self._token, **params},
                                          json=body, timeout=self._timeout) as answer:
                if not 200 <= answer.status < 300:
                    raise RasaUnavailable(f"Rasa server answered HTTP {answer.status}",
                                          endpoint, status=answer.status)
                if not read:
                    return None
                data = await answer.json(content_type=None)
                if not isinstance(data, dict):
                    raise ValueError("the answer is not a JSON object")
                return data
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
            raise RasaUnavailable(f"Rasa server not reachable at {self.base_url}", endpoint,
                                  cause=type(exc).__name__) from exc


@asynccontextmanager
async def connect(settings: Settings,
                  timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS) -> AsyncIterator[RasaApi]:
    """A client with an HTTP session of its own, closed on exit (for one-off calls)."""
    async with aiohttp.ClientSession() as http:
        yield RasaApi(settings, http, timeout_seconds)
