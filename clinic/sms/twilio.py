"""Send texts through Twilio's REST API without blocking the server.

Rasa's stock ``TwilioOutput`` calls the synchronous client inside async code, so one slow
call to Twilio stalls every conversation on the server. Here the twilio SDK's own async
client (``AsyncTwilioHttpClient`` + ``messages.create_async``) does the sending.

- Opted-out numbers get nothing (``clinic.sms.consent``), checked right before each text.
- Rate limits and Twilio outages (429, 5xx, connection errors) are retried with a short
  backoff; other refusals (e.g. 21610, "number opted out at the carrier") are not.
- ``TWILIO_API_BASE`` points the client's HTTP layer at another host (the tests' local
  fake of Twilio's API); by default it talks to Twilio.
- Logs carry Twilio's error code and a hashed recipient tag, never the number or the text.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Dict, List, Optional, Tuple

from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from clinic.db import run_in_thread, session_scope
from clinic.privacy import sender_tag
from clinic.settings import SmsSettings
from clinic.sms.consent import OPTED_OUT, consent_of

logger = logging.getLogger(__name__)

MAX_BODY_CHARS = 1600  # Twilio's limit for one message
ATTEMPTS = 3
RETRY_SECONDS = 0.5
_TWILIO_HOST = re.compile(r"^https://[A-Za-z0-9.-]+\.twilio\.com")


class RoutedHttpClient(AsyncTwilioHttpClient):
    """Twilio's async HTTP client, optionally sending to another base URL."""

    def __init__(self, api_base: str, timeout: float) -> None:
        quiet = logging.getLogger(f"{__name__}.http")  # the SDK logs requests at INFO
        if quiet.level == logging.NOTSET:
            quiet.setLevel(logging.WARNING)
        super().__init__(timeout=timeout, logger=quiet)
        self.api_base = api_base

    async def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        """Send the request, to ``api_base`` instead of Twilio when one is set."""
        if self.api_base:
            url = _TWILIO_HOST.sub(self.api_base, url, count=1)
        return await super().request(method, url, *args, **kwargs)


@dataclass(frozen=True)
class SendResult:
    """How one text went: ``sid`` when Twilio accepted it, else why not."""

    sid: Optional[str] = None
    skipped: Optional[str] = None  # opted_out | not_configured | empty
    error: Optional[str] = None  # Twilio error code or exception type

    @property
    def sent(self) -> bool:
        """True when Twilio accepted the message."""
        return self.sid is not None


def _retryable(exc: Exception) -> bool:
    if isinstance(exc, TwilioRestException):
        return exc.status == 429 or exc.status >= 500
    return isinstance(exc, (OSError, asyncio.TimeoutError)) or "aiohttp" in type(exc).__module__


def _consent_now(phone: str) -> Optional[str]:
    with session_scope() as session:
        return consent_of(session, phone)


async def current_consent(phone: str) -> Optional[str]:
    """The number's consent state; None if unknown or the database is unavailable."""
    try:
        return await run_in_thread(_consent_now, phone)
    except Exception as exc:  # noqa: BLE001 - answering the patient comes first
        logger.error("Consent lookup for %s failed: %s", sender_tag(phone), type(exc).__name__)
        return None


async def may_send(phone: str) -> bool:
    """False for numbers that opted out; True (fail open to the patient) if unknown."""
    return await current_consent(phone) != OPTED_OUT


class TwilioSender:
    """Sends texts for one batch of replies (one HTTP session, closed afterwards)."""

    def __init__(self, settings: SmsSettings,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.settings = settings
        self._sleep = sleep  # waits between retries (tests pass a clock of their own)

    def _sender_fields(self) -> Dict[str, str]:
        if self.settings.messaging_service_sid:
            return {"messaging_service_sid": self.settings.messaging_service_sid}
        return {"from_": self.settings.from_number}

    async def _create(self, client: Client, to: str, body: str) -> Tuple[Optional[str], str]:
        last = ""
        for attempt in range(1, ATTEMPTS + 1):
            try:
                message = await client.messages.create_async(
                    to=to, body=body, **self._sender_fields()
                )
                return message.sid, ""
            except Exception as exc:  # noqa: BLE001 - classified below, never raised
                last = str(getattr(exc, "code", None) or type(exc).__name__)
                if attempt == ATTEMPTS or not _retryable(exc):
                    return None, last
                await self._sleep(RETRY_SECONDS * attempt)
        return None, last

    async def send(self, to: str, bodies: List[str],
                   check_consent: bool = True) -> List[SendResult]:
        """Send each body as one text, in order; consent is checked before each one."""
        if not self.settings.can_send:
            logger.warning("SMS is not configured (TWILIO_*); %d text(s) not sent", len(bodies))
            return [SendResult(skipped="not_configured") for _ in bodies]
        http = RoutedHttpClient(self.settings.api_base, self.settings.timeout_seconds)
        client = Client(self.settings.account_sid, self.settings.auth_token, http_client=http)
        results = []
        try:
            for body in bodies:
                results.append(await self._send_one(client, to, body, check_consent))
        finally:
            await http.close()
        return results

    async def _send_one(self, client: Client, to: str, body: str,
                        check_consent: bool) -> SendResult:
        body = body.strip()[:MAX_BODY_CHARS]
        if not body:
            return SendResult(skipped="empty")
        if check_consent and not await may_send(to):
            logger.info("Text to %s not sent: the number opted out", sender_tag(to))
            return SendResult(skipped="opted_out")
        sid, error = await self._create(client, to, body)
        if sid is None:
            logger.error("Text to %s failed: %s", sender_tag(to), error)
            return SendResult(error=error)
        return SendResult(sid=sid)
