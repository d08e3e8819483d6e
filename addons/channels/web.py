"""The website chat: Rasa's socket.io channel with server-issued chat ids, plus the widget.

``credentials.yml``: ``addons.channels.web.WebChatInput`` (optional keys as for Rasa's
``socketio``: ``user_message_evt``, ``bot_message_evt``, ``socketio_path``). Routes:
``/socket.io`` (the socket), ``/webhooks/socketio/widget.js`` and ``widget.css`` (the
widget, embedded with one script tag) and ``/webhooks/socketio/demo`` (a demo clinic page).

Socket events (client -> server): ``session_request {session_id: token?}``, then
``user_uttered {message}``. Server -> client: ``session_confirm <token>`` (keep it and
send it back after a reload), ``history {messages, times, greeting?}`` (the stored
conversation with each message's Unix time, or the greeting for a new one; a returning
patient's greeting comes apart in ``greeting``), ``bot_uttered {text, buttons?, custom?}``
and ``bot_done`` after each answer. ``custom`` marks staff replies (``from_staff``) and
emergency instructions (``emergency``). Differences from Rasa's ``SocketIOInput``:

- The chat id is issued and signed by the server (:mod:`addons.channels.web_session`); a
  client-chosen, tampered or expired token gets a new id. A socket only ever speaks for
  the chat id it was confirmed for.
- Every message goes through :func:`addons.channels.inbound.answer` (the guards shared by
  all channels); malformed events are ignored.
- The socket joins a room named after its chat id (Rasa 3.6 calls the now-async
  ``enter_room`` without awaiting it, so its rooms are never joined): staff replies posted
  with ``output_channel=latest`` reach every open widget of that conversation.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Set, Union

from rasa.core.channels.channel import InputChannel, OutputChannel
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncServer

from addons.channels import web_assets
from addons.channels.dialogue import (
    Handler,
    bot_messages_since_patient_spoke,
    read_conversation,
)
from addons.channels.inbound import answer
from addons.channels.replies import render
from addons.channels.web_history import (
    bot_message,
    emergency_texts,
    is_emergency,
    replay_with_times,
)
from addons.channels.web_session import load_secret, new_chat_id, sign, verify
from clinic.privacy import sender_tag
from clinic.settings import Settings, get_settings
from clinic.vocabulary import STAFF_REPLY_KEY

logger = logging.getLogger(__name__)

# Sanic refuses websocket frames over 1 MiB (WEBSOCKET_MAX_SIZE) with close code 1009 and
# engine.io answers larger polling posts with 400; anything up to it gets a polite reply
# (the text is cut to MAX_MESSAGE_CHARS and the patient told so).
MAX_PACKET_BYTES = 2 ** 20
GREETING = "utter_greet"
CHAT_KEY = "chat_id"


class WebChatOutput(OutputChannel):
    """Pushes bot messages (e.g. staff replies) to the open widgets of a conversation."""

    @classmethod
    def name(cls) -> str:
        """Same name as the input channel (response variants, ``output_channel=latest``)."""
        return "socketio"

    def __init__(self, sio: AsyncServer, bot_message_evt: str) -> None:
        """Emit on ``sio`` with the configured bot event name."""
        self.sio = sio
        self.bot_message_evt = bot_message_evt

    async def send_response(self, recipient_id: str, message: Dict[str, Any]) -> None:
        """Emit one message, buttons, staff and emergency marks included, to the chat's room."""
        if not message.get("text"):
            return
        buttons = [b for b in message.get("buttons") or [] if isinstance(b, dict)]
        staff = bool(message.get(STAFF_REPLY_KEY))
        await self.sio.emit(self.bot_message_evt,
                            bot_message(message["text"], buttons, staff, is_emergency(message)),
                            room=recipient_id)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        """Plain text (used by Rasa only through :meth:`send_response` here)."""
        await self.send_response(recipient_id, {"text": text})


class WebBlueprint(SocketBlueprint):
    """Rasa's socket blueprint, remembering the app it is registered on (for its agent)."""

    def register(self, app: Sanic, options: Dict[str, Any]) -> None:
        """Attach the socket server and keep a reference to ``app``."""
        self.ctx.app = app
        super().register(app, options)


class WebChatInput(SocketIOInput):
    """Socket.io channel for the website widget (see the module docstring)."""

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> InputChannel:
        """Event names and socket path from ``credentials.yml``; sessions always persist."""
        credentials = credentials or {}
        return cls(
            credentials.get("user_message_evt", "user_uttered"),
            credentials.get("bot_message_evt", "bot_uttered"),
            socketio_path=credentials.get("socketio_path", "/socket.io"),
            session_persistence=True,
        )

    def get_output_channel(self) -> Optional[OutputChannel]:
        """Output for messages Rasa sends outside a turn (staff replies)."""
        if self.sio is None:
            return None
        return WebChatOutput(self.sio, self.bot_message_evt)

    def widget_config(self, settings: Settings) -> Dict[str, Any]:
        """What the widget script needs to know, injected into ``widget.js``."""
        return {"path": self.socketio_path, "title": settings.clinic.name,
                "userEvent": self.user_message_evt, "botEvent": self.bot_message_evt}

    def blueprint(self, on_new_message: Handler) -> Blueprint:
        """Socket server, socket events and the widget's files."""
        settings = get_settings()
        # "*" must reach engine.io as "*" (any site may embed the widget): an empty list
        # there means "CORS off", and browsers then block the widget on the clinic's site
        origins: Union[str, List[str]] = (
            "*" if "*" in settings.web.origins else list(settings.web.origins))
        sio = AsyncServer(async_mode="sanic", cors_allowed_origins=origins,
                          max_http_buffer_size=MAX_PACKET_BYTES)
        self.sio = sio
        self._key = load_secret(settings.web)
        hook = WebBlueprint(sio, self.socketio_path or "/socket.io", "socketio_webhook",
                            __name__)
        self._hook = hook
        self._add_routes(hook, settings)

        @sio.on("connect")
        async def connect(sid: str, *_: Any) -> bool:
            return True

        @sio.on("session_request")
        async def session_request(sid: str, *args: Any) -> None:
            await self._guarded(self.start_session, sid, args)

        @sio.on(self.user_message_evt)
        async def user_message(sid: str, *args: Any) -> None:
            await self._guarded(self.handle_message, sid, args, on_new_message)

        return hook

    def _add_routes(self, hook: Blueprint, settings: Settings) -> None:

        @hook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @hook.route("/widget.js", methods=["GET"])
        async def script(_: Request) -> HTTPResponse:
            return web_assets.script_response(self.widget_config(settings))

        @hook.route("/widget.css", methods=["GET"])
        async def style(_: Request) -> HTTPResponse:
            return web_assets.file_response("widget.css", web_assets.CSS)

        @hook.route("/demo", methods=["GET"])
        async def demo(_: Request) -> HTTPResponse:
            if not settings.web.demo_page:
                return response.json({"error": "The demo page is switched off."}, status=404)
            return web_assets.file_response("demo.html", web_assets.HTML)

    async def _guarded(self, handler: Any, sid: str, args: Any, *extra: Any) -> None:
        """Run an event handler; malformed events are ignored, failures only logged."""
        if args and args[0] is not None and not isinstance(args[0], dict):
            logger.debug("Web chat: ignored a malformed %s event", handler.__name__)
            return
        data = args[0] if args and args[0] is not None else {}
        try:
            await handler(sid, data, *extra)
        except Exception as exc:  # noqa: BLE001 - one bad event must not break the channel
            logger.error("Web chat event failed: %s", type(exc).__name__)

    async def _bind(self, sid: str, token: Any) -> str:
        """Confirm the socket's chat id: the token's if valid, else a new one."""
        assert self.sio is not None
        settings = get_settings()
        chat_id = verify(self._key, token, settings.web.session_days) or new_chat_id()
        session = await self.sio.get_session(sid)
        previous = session.get(CHAT_KEY)
        if previous and previous != chat_id:
            await self.sio.leave_room(sid, previous)
        await self.sio.save_session(sid, {CHAT_KEY: chat_id})
        await self.sio.enter_room(sid, chat_id)
        await self.sio.emit("session_confirm", sign(self._key, chat_id), room=sid)
        return chat_id

    async def start_session(self, sid: str, data: Dict[str, Any]) -> None:
        """Confirm (or issue) the chat id and send the conversation so far."""
        assert self.sio is not None
        chat_id = await self._bind(sid, data.get("session_id"))
        agent = self._agent()
        messages, times = replay_with_times(await read_conversation(agent, chat_id))
        rendered = await render(agent, GREETING, chat_id, self.name())
        greeting = [bot_message(m["text"], [], False) for m in rendered if m.get("text")]
        history: Dict[str, Any] = {"messages": messages, "times": times}
        if not messages:
            history["messages"] = greeting
        else:  # shown again above the conversation (the disclaimer stays in view)
            history["greeting"] = greeting
        await self.sio.emit("history", history, room=sid)
        logger.debug("Web chat %s: session confirmed", sender_tag(chat_id))

    async def handle_message(self, sid: str, data: Dict[str, Any],
                             on_new_message: Handler) -> None:
        """Answer one patient message through the shared inbound path."""
        assert self.sio is not None
        text = data.get("message")
        if not isinstance(text, str):
            return
        chat_id = (await self.sio.get_session(sid)).get(CHAT_KEY)
        if not chat_id:
            chat_id = await self._bind(sid, data.get("session_id"))
        replies: List[Dict[str, Any]] = await answer(
            self._agent(), on_new_message, chat_id, text, self.name(), get_settings(),
            include_staff=False,
        )
        emergency = await self._emergency_texts(chat_id)
        for reply in (r for r in replies if r.get("text")):
            staff = bool((reply.get("custom") or {}).get("from_staff"))
            text = reply.get("text", "")
            await self.sio.emit(self.bot_message_evt,
                                bot_message(text, reply.get("buttons") or [], staff,
                                            text in emergency), room=sid)
        await self.sio.emit("bot_done", {}, room=sid)

    async def _emergency_texts(self, chat_id: str) -> Set[str]:
        """The texts of the turn's emergency instructions (none if the store fails).

        The collected replies lose the response names; the stored bot events keep them.
        """
        try:
            tracker = await read_conversation(self._agent(), chat_id)
        except Exception as exc:  # noqa: BLE001 - the answer itself must still go out
            logger.warning("Web chat: emergency marks unavailable (%s)", type(exc).__name__)
            return set()
        return emergency_texts(bot_messages_since_patient_spoke(tracker))

    def _agent(self) -> Any:
        """The running app's Rasa agent (read each time: a model reload replaces it)."""
        app = getattr(self, "_hook", None) and self._hook.ctx.app
        return getattr(app.ctx, "agent", None) if app is not None else None
