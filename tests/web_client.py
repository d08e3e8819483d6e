"""A socket.io test client speaking the website widget's protocol (addons/channels/web.py).

It uses long polling: python-engineio's websocket client needs a newer aiohttp than Rasa
3.6 allows. The browser test covers the websocket transport.
"""

from __future__ import annotations

import asyncio
from typing import Any, Dict, List, Optional, Tuple

import socketio
from socketio import packet

Event = Tuple[str, Any]


class ChatClient:
    """One widget connection: ``start`` a session, ``say`` something, read the answers."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.sio = socketio.AsyncClient(reconnection=False)
        self.events: asyncio.Queue[Event] = asyncio.Queue()
        self.token: Optional[str] = None
        for name in ("session_confirm", "history", "bot_uttered", "bot_done"):
            self.sio.on(name, self._collector(name))

    def _collector(self, name: str) -> Any:
        async def collect(data: Any = None) -> None:
            await self.events.put((name, data))
        return collect

    async def __aenter__(self) -> ChatClient:
        await self.sio.connect(self.url, transports=["polling"], wait_timeout=20)
        return self

    async def __aexit__(self, *_: Any) -> None:
        # a plain disconnect waits for the pending long-poll request (up to 25 s)
        for namespace in self.sio.namespaces:
            goodbye = self.sio.packet_class(packet.DISCONNECT, namespace=namespace)
            await self.sio._send_packet(goodbye)
        await self.sio.eio.disconnect(abort=True)

    async def next(self, timeout: float = 30) -> Event:
        return await asyncio.wait_for(self.events.get(), timeout)

    async def expect(self, name: str, timeout: float = 30) -> Any:
        event, data = await self.next(timeout)
        assert event == name, f"expected {name}, got {event}: {data!r}"
        return data

    async def start(self, session_id: Any = None) -> Tuple[str, List[Dict[str, Any]]]:
        """Ask for a session; returns (token, history messages)."""
        await self.sio.emit("session_request", {"session_id": session_id})
        self.token = await self.expect("session_confirm")
        history = await self.expect("history")
        return str(self.token), list(history["messages"])

    async def say(self, text: Any, **extra: Any) -> List[Dict[str, Any]]:
        """Send a message; returns the bot messages up to ``bot_done``."""
        await self.sio.emit("user_uttered", {"message": text, **extra})
        return await self.answers()

    async def answers(self) -> List[Dict[str, Any]]:
        messages: List[Dict[str, Any]] = []
        while True:
            event, data = await self.next()
            if event == "bot_done":
                return messages
            assert event == "bot_uttered", (event, data)
            messages.append(data)

    async def texts(self, text: Any) -> List[str]:
        return [m["text"] for m in await self.say(text)]

    async def quiet(self, seconds: float = 1.0) -> List[Event]:
        """Whatever arrives within ``seconds`` (nothing, for ignored events)."""
        await asyncio.sleep(seconds)
        found = []
        while not self.events.empty():
            found.append(self.events.get_nowait())
        return found
