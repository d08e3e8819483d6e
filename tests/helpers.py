"""Helpers for the HTTP tests: expected texts, fresh senders, vague messages."""

from __future__ import annotations

import asyncio
import time
import uuid
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Awaitable, Callable, Dict, List

import requests
from aiohttp import web

from clinic.settings import get_settings
from scripts.servers import Servers


def render(domain: Dict[str, Any], name: str, **values: Any) -> str:
    """The default (web) text of a response, filled in as the bot would."""
    text = next(v["text"] for v in domain["responses"][name] if not v.get("channel"))
    return str(text).format(**get_settings().clinic.as_template_vars(),
                            **{"max_chars": "{max_chars}", **values})


def rows_where(model: Any, **equals: Any) -> List[Any]:
    """The rows of a project table whose columns equal ``equals`` (detached, oldest first)."""
    from sqlalchemy import select

    from clinic.db import session_scope

    with session_scope() as session:
        query = select(model).filter_by(**equals).order_by(model.id)
        rows = session.execute(query).scalars().all()
        session.expunge_all()
        return list(rows)


def rows_for(model: Any, conversation: str) -> List[Any]:
    """The rows of a project table that belong to one conversation (detached, oldest first)."""
    return rows_where(model, conversation_id=conversation)


def sender() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"


def level_text(domain: Dict[str, Any], level: str,
               response: str = "utter_urgent_symptom") -> str:
    """The web text of a response's variant for one red-flag level (the instruction)."""
    variant = next(
        v
        for v in domain["responses"][response]
        if not v.get("channel") and (v.get("condition") or [{}])[0].get("value") == level
    )
    return str(variant["text"]).format(**get_settings().clinic.as_template_vars())


def frame_text(domain: Dict[str, Any], level: str) -> str:
    """The safety frame's reminder after an instruction of one level."""
    return level_text(domain, level, "utter_safety_frame")


def instruction_texts(domain: Dict[str, Any], level: str) -> List[str]:
    """What a red flag of one level gets: the instruction, then the line that follows it."""
    try:
        follow = level_text(domain, level, "utter_anything_else")
    except StopIteration:  # no variant of its own for this level
        follow = render(domain, "utter_anything_else")
    return [level_text(domain, level), follow]


def handoff_prefixes(domain: Dict[str, Any]) -> List[str]:
    """How the open- and closed-office hand-off messages begin (the rest depends on time)."""
    names = ("utter_handoff_open", "utter_handoff_closed")
    blanks = {"handoff_reply_minutes": "", "next_open_day": "", "next_open_time": ""}
    return [render(domain, name, **blanks)[:40] for name in names]


def is_handoff(domain: Dict[str, Any], text: str) -> bool:
    return any(text.startswith(prefix) for prefix in handoff_prefixes(domain))


def is_handoff_offer(domain: Dict[str, Any], text: str) -> bool:
    """The open- or closed-office offer of a person (the rest depends on time)."""
    blanks = {"handoff_reply_minutes": "", "next_open_day": "", "next_open_time": ""}
    return any(text.startswith(render(domain, name, **blanks)[:40])
               for name in ("utter_offer_handoff_open", "utter_offer_handoff_closed"))


# Vague messages; the tests use the ones the trained model is unsure about (found through
# /model/parse), so the fallback flow is tested whatever the exact confidences are.
VAGUE = [
    "what about afterwards", "tell me more about the bone", "the thing with the needle", "hmm",
    "what about it then", "and the other one", "more on that", "the bone part",
    "what else about it", "so about the thing", "about that stuff before",
    "the rest of it", "that stuff from before", "the rest of that", "the thing from earlier",
    "stuff about it", "the earlier stuff", "about the rest", "more of that stuff",
    "the part before that", "some of the rest", "that earlier bit", "regarding the stuff",
    "about those things", "any more on the stuff", "the rest of the stuff", "concerning that",
]


def unsure_messages(running: Servers) -> list:
    """The VAGUE messages this model routes to nlu_fallback (asked via /model/parse)."""
    found = []
    for text in VAGUE:
        parse = requests.post(
            f"{running.rasa_url}/model/parse",
            params={"token": running.token},
            json={"text": text},
            timeout=30,
        ).json()
        if parse["intent"]["name"] == "nlu_fallback":
            found.append(text)
    assert len(found) >= 2, f"model is confident about every vague message: {VAGUE}"
    return found


@asynccontextmanager
async def serve(app: web.Application) -> AsyncIterator[str]:
    """Serve ``app`` on a free local port; yields its base URL."""
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 5.0,
                     step: float = 0.02) -> float:
    """Seconds until ``await check()`` is true; fails the test after ``timeout``."""
    started = time.monotonic()
    while not await check():
        assert time.monotonic() - started < timeout, f"not true after {timeout} s"
        await asyncio.sleep(step)
    return time.monotonic() - started
