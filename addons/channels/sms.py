"""Text messages through Twilio: ``POST /webhooks/twilio/webhook`` (channel name ``twilio``).

Replaces Rasa's ``TwilioInput``, which checks no signatures, answers an empty ``Body``
with a 500 and sends with the synchronous client inside async code.

- Every webhook must carry a valid ``X-Twilio-Signature`` (the twilio SDK's
  ``RequestValidator``, keyed by ``TWILIO_AUTH_TOKEN``, over ``TWILIO_WEBHOOK_URL`` or the
  URL the request came to); otherwise 403 and nothing runs.
- STOP / START / HELP keywords are handled before NLU (``sms_keywords``); the consent
  table is written before the confirmation goes out, and an opted-out number gets nothing
  else. Its messages still reach the dialogue, so a red flag still alerts staff.
- Everything else goes through :func:`addons.channels.inbound.answer` (the same guards as
  every channel); a digit picks one of the numbered choices the last answer offered.
- Answers go out through Twilio's REST API with the async client (``twilio_sender``); the
  webhook itself answers with empty TwiML. Conversation id = the sender's E.164 number,
  so check-ins sent with ``trigger_intent?output_channel=twilio`` continue the same chat.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any, Dict, List, Optional
from urllib.parse import parse_qs

from rasa.core.channels.channel import InputChannel, OutputChannel
from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.exc import IntegrityError
from twilio.request_validator import RequestValidator

from addons.channels.dialogue import Handler
from addons.channels.inbound import WebhookInput, answer
from addons.channels.replies import render
from clinic.db import run_in_thread, session_scope
from clinic.privacy import sender_tag
from clinic.settings import Settings, SmsSettings, get_settings
from clinic.sms.consent import OPTED_IN, OPTED_OUT, record_consent
from clinic.sms.keywords import Keyword, keyword_of, keyword_word
from clinic.sms.text import render_sms
from clinic.sms.twilio import TwilioSender, current_consent
from clinic.vocabulary import SMS_CHANNEL

logger = logging.getLogger(__name__)

CHANNEL = SMS_CHANNEL
MAX_FORM_BYTES = 64 * 1024
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
E164 = re.compile(r"^\+[1-9]\d{6,14}$")
KEYWORD_REPLIES = {Keyword.OPT_OUT: "utter_sms_opted_out", Keyword.OPT_IN: "utter_sms_opted_in",
                   Keyword.HELP: "utter_sms_help"}


def sms_bodies(messages: List[Dict[str, Any]]) -> List[str]:
    """Each bot message as one text: plain GSM-7, buttons as numbered choices."""
    bodies = []
    for message in messages:
        text = str(message.get("text") or "")
        if message.get("image"):
            text = f"{text}\n{message['image']}".strip()
        body = render_sms(text, message.get("buttons") or message.get("quick_replies"))
        if body:
            bodies.append(body)
    return bodies


class TwilioSmsOutput(OutputChannel):
    """Pushes bot messages as texts (used for answers, staff replies and check-ins)."""

    @classmethod
    def name(cls) -> str:
        """Selects ``channel: twilio`` response variants."""
        return CHANNEL

    def __init__(self, settings: SmsSettings) -> None:
        self.settings = settings

    async def send_response(self, recipient_id: str, message: Dict[str, Any]) -> None:
        """Send one bot message as one text (unless the number opted out)."""
        await TwilioSender(self.settings).send(recipient_id, sms_bodies([message]))

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        """Send plain text."""
        await self.send_response(recipient_id, {"text": text})


class FormFields(Dict[str, List[str]]):
    """The webhook's form fields, blank ones included (Twilio signs ``Body=`` too)."""

    @classmethod
    def parse(cls, body: bytes) -> FormFields:
        """Parse an ``application/x-www-form-urlencoded`` body."""
        return cls(parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True))

    def getlist(self, key: str) -> List[str]:
        """Every value of ``key`` (what the signature validator asks for)."""
        return self.get(key, [])


def _first(form: Dict[str, List[str]], key: str) -> str:
    values = form.get(key) or [""]
    return values[0]


def _media_count(form: Dict[str, List[str]]) -> int:
    raw = _first(form, "NumMedia")
    return int(raw) if raw.isdigit() else 0


def _record(phone: str, status: str, keyword: str) -> bool:
    for attempt in (1, 2):
        try:
            with session_scope() as session:
                return record_consent(session, phone, status, keyword)
        except IntegrityError:  # two keywords at once created the row: update it instead
            if attempt == 2:
                raise
    return False


class TwilioSmsInput(WebhookInput):
    """Signed Twilio webhook for text messages (see module docstring)."""

    @classmethod
    def name(cls) -> str:
        """Channel name; also selects ``channel: twilio`` response variants."""
        return CHANNEL

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> InputChannel:
        """Account, token and sender come from the environment (``clinic.settings``)."""
        return cls()

    def get_output_channel(self) -> OutputChannel:
        """Texts through Twilio's REST API (what ``output_channel=twilio`` uses)."""
        return TwilioSmsOutput(get_settings().sms)

    def signed(self, request: Request, form: FormFields, token: str) -> bool:
        """True if ``X-Twilio-Signature`` matches the URL and every form field."""
        signature = request.headers.get("X-Twilio-Signature", "")
        url = get_settings().sms.webhook_url or request.url
        try:
            return bool(signature) and RequestValidator(token).validate(url, form, signature)
        except Exception as exc:  # noqa: BLE001 - anything odd is simply not signed
            logger.warning("Twilio signature check failed: %s", type(exc).__name__)
            return False

    async def handle(self, request: Request, on_new_message: Handler) -> HTTPResponse:
        """Check one webhook call, answer the text, reply with empty TwiML."""
        settings = get_settings()
        if not settings.sms.auth_token:
            logger.error("Twilio webhook refused: TWILIO_AUTH_TOKEN is not set")
            return response.text("SMS is not configured.", status=503)
        if len(request.body or b"") > MAX_FORM_BYTES:
            return response.text("Request too large.", status=413)
        form = FormFields.parse(request.body or b"")
        if not self.signed(request, form, settings.sms.auth_token):
            logger.warning("Twilio webhook refused: missing or invalid signature")
            return response.text("Invalid signature.", status=403)
        sender = _first(form, "From").strip()
        if not E164.match(sender):
            # short codes, alphanumeric ids, other channels: nothing we can text back
            logger.warning("Text from an unsupported sender type ignored")
            return response.text(EMPTY_TWIML, content_type="text/xml")
        try:
            await self._converse(request, on_new_message, settings, sender, form)
        except Exception as exc:  # noqa: BLE001 - Twilio must get an answer, never a traceback
            logger.error("Text from %s not handled: %s", sender_tag(sender), type(exc).__name__)
            return response.text(EMPTY_TWIML, content_type="text/xml", status=500)
        return response.text(EMPTY_TWIML, content_type="text/xml")

    async def _converse(self, request: Request, on_new_message: Handler, settings: Settings,
                        sender: str, form: Dict[str, List[str]]) -> None:
        agent = request.app.ctx.agent
        body = _first(form, "Body")
        consent = await current_consent(sender)
        keyword = keyword_of(body, opted_out=consent == OPTED_OUT)
        if keyword is not None:
            # Twilio's own opt-out handling (``OptOutType``) has already answered it
            confirm = not _first(form, "OptOutType")
            await self._keyword(agent, settings, sender, keyword, body, confirm)
            return
        if not body.strip() and _media_count(form):
            replies = await render(agent, "utter_no_words", sender, CHANNEL)
        else:
            metadata = {"message_sid": _first(form, "MessageSid")[:64]}
            replies = await answer(agent, on_new_message, sender, body, CHANNEL, settings,
                                   metadata=metadata, numbered_choices=True,
                                   include_staff=False)
        # shielded: if Twilio hangs up on a slow webhook, the answers still go out
        await asyncio.shield(TwilioSender(settings.sms).send(sender, sms_bodies(replies)))

    async def _keyword(self, agent: Any, settings: Settings, sender: str, keyword: Keyword,
                       body: str, confirm: bool) -> None:
        word = keyword_word(body)
        changed = True
        if keyword is not Keyword.HELP:
            status = OPTED_OUT if keyword is Keyword.OPT_OUT else OPTED_IN
            changed = await run_in_thread(_record, sender, status, word)
            logger.info("Text consent for %s: %s", sender_tag(sender), status)
        if not changed or not confirm:
            return  # confirmed once already, or by Twilio
        replies = await render(agent, KEYWORD_REPLIES[keyword], sender, CHANNEL)
        # the opt-out confirmation is the one text an opted-out number still gets
        await asyncio.shield(
            TwilioSender(settings.sms).send(sender, sms_bodies(replies), check_consent=False))
