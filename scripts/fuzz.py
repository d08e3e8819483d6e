"""`make fuzz`: a bounded fuzz run over REST, the website socket and SMS -> docs/fuzz.md.

Starts its own servers (Rasa, action server, worker, a fake Twilio) on a private database,
sends ``--requests`` seeded hostile inputs (``scripts/fuzz_inputs.py``) from a few
concurrent clients, and reports every status code, every socket message left without an
answer, and Rasa's memory as it goes. The run fails (exit 1) on any 5xx, any unanswered
socket message or a Rasa server that died. ``tests/e2e/test_fuzz.py`` runs a small slice.
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import random
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional

import aiohttp
import socketio
from twilio.request_validator import RequestValidator

from scripts import fuzz_inputs
from scripts.bench import rss_mb
from scripts.fake_twilio import AUTH_TOKEN, start_fake, twilio_env
from scripts.servers import REST_TOKEN, ROOT, Servers, start

ANSWER_SECONDS = 60.0


@dataclass
class Tally:
    """What the run saw."""

    statuses: Counter = field(default_factory=Counter)  # "rest 200", "sms 403", ...
    unanswered: int = 0
    socket_drops: int = 0
    rss: List[float] = field(default_factory=list)
    sent: int = 0

    @property
    def server_errors(self) -> int:
        return sum(n for key, n in self.statuses.items() if key.split()[1].startswith("5"))


async def rest_call(http: aiohttp.ClientSession, url: str, rng: random.Random,
                    tally: Tally, senders: List[str]) -> None:
    body, content_type = fuzz_inputs.rest_body(rng, rng.choice(senders))
    headers = {"Authorization": f"Bearer {REST_TOKEN}"} if rng.random() > 0.05 else {}
    if content_type:
        headers["Content-Type"] = content_type
    async with http.post(f"{url}/webhooks/rest/webhook", data=body, headers=headers) as resp:
        body = await resp.read()
        empty = resp.status == 200 and body.strip() == b"[]"
        tally.statuses[f"rest {resp.status}" + (" (no message)" if empty else "")] += 1


async def sms_call(http: aiohttp.ClientSession, url: str, rng: random.Random,
                   tally: Tally, phones: List[str]) -> None:
    hook = f"{url}/webhooks/twilio/webhook"
    form = fuzz_inputs.sms_form(rng, rng.choice(phones))
    signature = RequestValidator(AUTH_TOKEN).compute_signature(hook, form)
    if rng.random() < 0.05:
        signature = rng.choice(["", "forged", signature[::-1]])
    async with http.post(hook, data=form, headers={"X-Twilio-Signature": signature}) as resp:
        await resp.read()
        tally.statuses[f"sms {resp.status}"] += 1


class Socket:
    """One widget connection that reconnects when the server drops it."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.client: Optional[socketio.AsyncClient] = None
        self.done: asyncio.Queue[None] = asyncio.Queue()
        self.uttered: List[int] = []

    async def ensure(self, tally: Tally) -> socketio.AsyncClient:
        if self.client is not None and self.client.connected:
            return self.client
        if self.client is not None:
            tally.socket_drops += 1
        client = socketio.AsyncClient(reconnection=False)
        client.on("bot_done", lambda *_: self.done.put_nowait(None))
        client.on("bot_uttered", lambda *_: self.uttered.append(1))
        await client.connect(self.url, transports=["polling"], wait_timeout=20)
        await client.emit("session_request", {"session_id": None})
        self.client = client
        return client

    async def call(self, rng: random.Random, tally: Tally) -> None:
        client = await self.ensure(tally)
        event, data, answered = fuzz_inputs.socket_event(rng)
        while not self.done.empty():
            self.done.get_nowait()
        self.uttered.clear()
        await client.emit(event, data)
        if not answered:
            tally.statuses["socket ignored"] += 1
            return
        try:
            await asyncio.wait_for(self.done.get(), ANSWER_SECONDS)
            tally.statuses["socket answered" if self.uttered else "socket silent"] += 1
        except asyncio.TimeoutError:
            tally.unanswered += 1

    async def close(self) -> None:
        if self.client is not None and self.client.connected:
            await self.client.eio.disconnect(abort=True)


async def client_loop(index: int, servers: Servers, count: int, seed: int, tally: Tally,
                      progress: Any, senders_per_client: int = 400) -> None:
    rng = random.Random(seed * 1000 + index)
    senders = [f"fuzz-{index}-{n}" for n in range(senders_per_client)]
    phones = [f"+447700900{index:01d}{n:02d}" for n in range(60)]  # a range no test uses
    sock = Socket(servers.rasa_url)
    timeout = aiohttp.ClientTimeout(total=ANSWER_SECONDS)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        for _ in range(count):
            roll = rng.random()
            try:
                if roll < 0.45:
                    await rest_call(http, servers.rasa_url, rng, tally, senders)
                elif roll < 0.75:
                    await sms_call(http, servers.rasa_url, rng, tally, phones)
                else:
                    await sock.call(rng, tally)
            except (aiohttp.ClientError, asyncio.TimeoutError,
                    socketio.exceptions.SocketIOError) as exc:
                tally.statuses[f"client {type(exc).__name__}"] += 1
            tally.sent += 1
            progress()
    await sock.close()


async def run(servers: Servers, total: int, concurrency: int, seed: int,
              senders_per_client: int = 400, samples: int = 10) -> Tally:
    tally = Tally()
    rasa_pid = servers.processes[-1].pid
    tally.rss.append(rss_mb(rasa_pid))
    step = max(1, total // samples)

    def progress() -> None:
        if tally.sent % step == 0:
            tally.rss.append(rss_mb(rasa_pid))
            print(f"  {tally.sent}/{total} sent, Rasa RSS {tally.rss[-1]:.0f} MB", flush=True)

    per_client = total // concurrency
    await asyncio.gather(*(client_loop(i, servers, per_client, seed, tally, progress,
                                       senders_per_client)
                           for i in range(concurrency)))
    tally.rss.append(rss_mb(rasa_pid))
    return tally


def cache_bound() -> int:
    """The tracker store's default cache size (conversations kept in memory)."""
    from addons.tracker_store import CachedSQLTrackerStore

    default = inspect.signature(CachedSQLTrackerStore.__init__).parameters["cache_size"].default
    return int(default)


def stored_conversations(database_url: str) -> int:
    """How many conversations the run left in the tracker store."""
    import sqlalchemy as sa

    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(
                sa.text("SELECT COUNT(DISTINCT sender_id) FROM events")).scalar_one())
    finally:
        engine.dispose()


def plateau(rss: List[float]) -> str:
    """RSS growth over the second half of the run (after the cache has filled)."""
    half = rss[len(rss) // 2:]
    if len(half) < 2:
        return ""
    return (f"; second half of the run: {half[0]:.0f} -> {half[-1]:.0f} MB "
            f"({half[-1] - half[0]:+.0f} MB, max {max(half):.0f})")


def report(tally: Tally, seconds: float, alive: bool, cache_size: int,
           conversations: int, command: str) -> str:
    rows = "\n".join(f"| {key} | {n} |" for key, n in sorted(tally.statuses.items()))
    rss = ", ".join(f"{v:.0f}" for v in tally.rss)
    return (
        "# Fuzz run\n\n"
        f"{tally.sent} requests over REST, SMS (signed Twilio webhook) and the website socket "
        f"(polling) in {seconds:.0f} s from concurrent clients, seeded inputs from "
        "`scripts/fuzz_inputs.py` (empty, control characters, binary, emoji, HTML, SQL, "
        "format strings, lone surrogates, deep JSON nesting, 5 KB-300 KB texts, wrong types, "
        "forged signatures and tokens, odd senders) mixed with real questions.\n\n"
        "| outcome | count |\n|---|---|\n" + rows + "\n\n"
        f"- 5xx answers: **{tally.server_errors}**\n"
        f"- socket messages without an answer: **{tally.unanswered}**; "
        f"connections dropped by the server: {tally.socket_drops}\n"
        f"- Rasa server alive at the end: {'yes' if alive else '**no**'}\n"
        f"- Rasa RSS (MB) at {len(tally.rss) - 1} even steps of the run: {rss}"
        f"{plateau(tally.rss)}\n"
        f"- conversations stored: {conversations} (tracker cache bound: {cache_size} "
        "conversations kept in memory)\n\n"
        f"Reproduce: `{command}`.\n"
    )


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10_200)
    parser.add_argument("--concurrency", type=int, default=6)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--senders", type=int, default=400,
                        help="REST conversations per client (more: more than the cache holds)")
    parser.add_argument("--samples", type=int, default=10, help="RSS readings over the run")
    parser.add_argument("--out", default=str(ROOT / "docs" / "fuzz.md"))
    args = parser.parse_args(argv)
    given = sys.argv[1:] if argv is None else argv
    command = ".venv/bin/python -m scripts.fuzz " + " ".join(given) if given else "make fuzz"
    fake, fake_server = start_fake()
    env: Dict[str, str] = twilio_env(fake)
    with tempfile.TemporaryDirectory(prefix="fuzz-") as tmp:
        servers = start(Path(tmp), True, "fuzz-token", True, **env)
        try:
            began = time.monotonic()
            tally = asyncio.run(run(servers, args.requests, args.concurrency, args.seed,
                                    args.senders, args.samples))
            alive = servers.processes[-1].poll() is None
            text = report(tally, time.monotonic() - began, alive, cache_bound(),
                          stored_conversations(servers.database_url), command)
        finally:
            servers.stop()
            fake_server.shutdown()
    Path(args.out).write_text(text, encoding="utf-8")
    print(text)
    return 0 if alive and not tally.server_errors and not tally.unanswered else 1


if __name__ == "__main__":
    sys.exit(main())
