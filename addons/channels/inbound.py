"""One patient message, from any channel, to the list of answers to deliver.

Every channel (REST, the website widget, SMS) calls :func:`answer` and only differs in how
it receives the message and delivers the answers:

- Empty, symbol-only and over-long messages get a polite answer; long ones are cut to the
  configured cap before NLU (stock Rasa can spend minutes and gigabytes on 80K characters).
- A typed ``/intent`` or ``/restart`` cannot steer the bot: only payloads of buttons the
  bot itself just offered pass as payloads; anything else is read as plain words. Channels
  that show buttons as numbered choices (SMS) also turn a digit into the button's payload.
- If the dialogue fails, times out or produces nothing (e.g. the action server is down),
  the patient gets the clinic's phone number instead of silence. If the message could not
  be saved (the conversation store is failing; it is kept in memory and retried), the
  patient is told so, with the phone. Hand-offs never pause the bot; only a conversation
  paused by an earlier release stays quiet until staff resume it.
- A follow-up such as "and for vertebroplasty?" carries the answer it asks for, read from
  the conversation (``addons/channels/follow_ups.py``).
- A message that asks two or three questions carries the answer key of each
  (``addons/channels/more_questions.py``), so the answer covers every one.
- Staff replies posted since the patient's last message come first, for channels that
  cannot push (REST); channels that push pass ``include_staff=False``.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from addons.channels.alert_backup import ensure_alert
from addons.channels.dialogue import (
    Handler,
    bot_messages_since_patient_spoke,
    read_conversation,
    run_turn,
    staff_replies,
)
from addons.channels.follow_ups import with_follow_up
from addons.channels.more_questions import with_more_questions
from addons.channels.replies import render
from addons.tracker_store import cached_store
from clinic.settings import Settings
from clinic.sms.text import choice_payload
from clinic.text import has_words, neutralise_command, offered_payloads, truncate

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufeff]")

Message = Dict[str, Any]


def repair_surrogates(text: str) -> str:
    """Join surrogate pairs and replace lone ones with U+FFFD (they can't be stored as UTF-8).

    JSON may spell a character as a surrogate escape without its second half; such a
    string breaks every UTF-8 encoder downstream, so the rest of the message would be lost.
    """
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def strip_control(text: str) -> str:
    """Remove control characters (NUL breaks databases), repair surrogates, trim.

    Everything else stays as the user typed it.
    """
    return _CONTROL.sub(" ", repair_surrogates(text)).strip()


class ChannelCollector(CollectingOutputChannel):
    """Collects the bot's messages, named after the channel so its response variants apply.

    (Rasa picks ``channel: <name>`` variants by the output channel's ``name()``; the stock
    collector is called ``collector``, so no variant would ever be chosen.)
    """

    def __init__(self, channel: str) -> None:
        super().__init__()
        self.channel = channel

    def name(self) -> str:  # type: ignore[override]
        """The input channel's name."""
        return self.channel


def store_failing(agent: Any, sender: str) -> bool:
    """Whether this conversation's latest events are only in memory (the store is failing)."""
    store = cached_store(getattr(agent, "tracker_store", None))
    return store is not None and store.unsaved(sender)


def store_health(agent: Any) -> Dict[str, Any]:
    """The conversation store's health (``{"status": "ok"}`` for other stores)."""
    store = cached_store(getattr(agent, "tracker_store", None))
    return store.health() if store is not None else {"status": "ok"}


def latest_buttons(messages: List[Any]) -> List[Dict[str, Any]]:
    """The buttons of the newest bot message that had any (what a digit refers to)."""
    for message in reversed(messages):
        buttons = (message.data or {}).get("buttons")
        if buttons:
            return [b for b in buttons if isinstance(b, dict)]
    return []


async def answer(
    agent: Any,
    on_new_message: Handler,
    sender: str,
    raw_text: str,
    channel: str,
    settings: Settings,
    metadata: Optional[Dict[str, Any]] = None,
    numbered_choices: bool = False,
    include_staff: bool = True,
) -> List[Message]:
    """Run one patient message through the guards and the dialogue; return the answers."""
    text = strip_control(raw_text)
    if not text:
        return await render(agent, "utter_empty_message", sender, channel)
    if not has_words(text):
        return await render(agent, "utter_no_words", sender, channel)

    before = await read_conversation(agent, sender)
    unseen = bot_messages_since_patient_spoke(before)
    text, truncated = truncate(text, settings.max_message_chars)
    if numbered_choices:
        text = choice_payload(text, latest_buttons(unseen)) or text
    if text.startswith("/"):
        offered = offered_payloads([m.data.get("buttons") for m in unseen])
        if text not in offered:
            text = neutralise_command(text)
    if truncated:
        metadata = {**(metadata or {}), "truncated": True}
    if not text.startswith("/"):
        metadata = with_follow_up(agent, before, text, metadata)
        metadata = await with_more_questions(agent, text, metadata)

    collector = ChannelCollector(channel)
    message = UserMessage(text, collector, sender, input_channel=channel, metadata=metadata)
    turn = await run_turn(agent, on_new_message, message, settings.turn_timeout_seconds)
    replies: List[Message] = list(collector.messages)
    # the alert the red flag called for, even if the action server failed or hung (in the
    # background: the patient's answer never waits on the database)
    ensure_alert(await read_conversation(agent, sender), channel, settings)
    if not turn.ok or (not replies and not turn.paused):
        # keep whatever was already said (e.g. a safety instruction), then the phone
        replies += await render(agent, "utter_technical_difficulty", sender, channel)
    elif store_failing(agent, sender):
        replies += await render(agent, "utter_message_not_saved", sender, channel)
    if include_staff:
        replies = staff_replies(sender, unseen) + replies
    if truncated:
        note = await render(agent, "utter_message_truncated", sender, channel,
                            max_chars=settings.max_message_chars)
        replies = note + replies
    return replies


class WebhookInput(InputChannel):
    """A channel with a health check (``GET /``) and one webhook (``POST /webhook``)."""

    async def handle(self, request: Request, on_new_message: Handler) -> HTTPResponse:
        """Answer one webhook call."""
        raise NotImplementedError

    def blueprint(self, on_new_message: Handler) -> Blueprint:
        """Health check and webhook routes."""
        hook = Blueprint(f"custom_webhook_{type(self).__name__}", __name__)

        @hook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            store = store_health(getattr(request.app.ctx, "agent", None))
            failing = store["status"] != "ok"
            return response.json({"status": "failing" if failing else "ok",
                                  "conversation_store": store}, status=503 if failing else 200)

        @hook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            return await self.handle(request, on_new_message)

        return hook
