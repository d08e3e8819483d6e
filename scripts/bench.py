"""`make bench`: latency, throughput, memory, start-up and training time on this machine.

Starts its own Rasa + action servers on free ports (HTTP API on, with a token), sends
held-out patient questions, and writes docs/benchmark.md.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

import aiohttp
from twilio.request_validator import RequestValidator

from scripts import bench_console
from scripts.fake_twilio import AUTH_TOKEN, inbound, start_fake, twilio_env
from scripts.nlu_eval import load_examples
from scripts.servers import REST_TOKEN, ROOT, Servers, start

DOCS = ROOT / "docs"
SMS_API_SECONDS = 0.15  # how long the fake Twilio API takes per message in the SMS run


def pct(values: List[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


Request = Tuple[str, Dict[str, Any]]  # URL, aiohttp keyword arguments (json= or data=)


async def _timed_post(session: aiohttp.ClientSession, request: Request) -> float:
    url, kwargs = request
    started = time.perf_counter()
    async with session.post(url, **kwargs) as response:
        await response.read()
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status} from {url}")
    return (time.perf_counter() - started) * 1000


def rest_request(servers: Servers) -> Callable[[str, str], Request]:
    """One message to the REST channel."""
    url = f"{servers.rasa_url}/webhooks/rest/webhook"
    headers = {"Authorization": f"Bearer {REST_TOKEN}"}
    return lambda sender, text: (url, {"json": {"sender": sender, "message": text},
                                       "headers": headers})


def sms_request(servers: Servers) -> Callable[[str, str], Request]:
    """One text as Twilio posts it (signed); the sender becomes a phone number."""
    url = f"{servers.rasa_url}/webhooks/twilio/webhook"
    validator = RequestValidator(AUTH_TOKEN)

    def build(sender: str, text: str) -> Request:
        form = inbound(f"+1312{int(hashlib.sha256(sender.encode()).hexdigest(), 16) % 10**7:07d}",
                       text)
        return url, {"data": form,
                     "headers": {"X-Twilio-Signature": validator.compute_signature(url, form)}}

    return build


async def parse_latency(servers: Servers, texts: List[str]) -> List[float]:
    url = f"{servers.rasa_url}/model/parse?token={servers.token}"
    async with aiohttp.ClientSession() as session:
        return [await _timed_post(session, (url, {"json": {"text": t}})) for t in texts]


async def conversations(
    servers: Servers, texts: List[str], users: int, per_user: int, turns: int = 10,
    channel: Callable[[Servers], Callable[[str, str], Request]] = rest_request,
) -> Tuple[List[float], float]:
    """``users`` clients in parallel, each sending ``per_user`` messages in conversations
    of ``turns`` messages (a new sender id every ``turns`` messages)."""
    request = channel(servers)

    async def one_user(session: aiohttp.ClientSession, n: int) -> List[float]:
        out = []
        for i in range(per_user):
            sender = f"bench-{users}-{n}-{i // turns}-{time.time_ns() // 10**9}"
            text = texts[(n * per_user + i) % len(texts)]
            out.append(await _timed_post(session, request(sender, text)))
        return out

    async with aiohttp.ClientSession() as session:
        started = time.perf_counter()
        results = await asyncio.gather(*(one_user(session, n) for n in range(users)))
        elapsed = time.perf_counter() - started
    latencies = [ms for user in results for ms in user]
    return latencies, len(latencies) / elapsed


BOOKING = ["I'd like to book a consultation", "Rosa Delgado", "708 555 0134",
           "thursday afternoons work best", "Vertebroplasty", "Text message", "/affirm"]


async def bookings(servers: Servers, count: int) -> Tuple[List[float], float]:
    """``count`` complete bookings one after another (each turn runs the form's validation
    action and, at the end, stores the request); per-turn latencies and bookings/s."""
    request = rest_request(servers)
    latencies: List[float] = []
    async with aiohttp.ClientSession() as session:
        started = time.perf_counter()
        for n in range(count):
            sender = f"bench-booking-{n}-{time.time_ns()}"
            for text in BOOKING:
                latencies.append(await _timed_post(session, request(sender, text)))
        elapsed = time.perf_counter() - started
    return latencies, count / elapsed


def training_seconds() -> float:
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        subprocess.run(
            [str(Path(sys.executable).parent / "rasa"), "train", "--force", "--out", out,
             "--quiet"],
            cwd=ROOT, check=True, env={**os.environ, "RASA_TELEMETRY_ENABLED": "false"},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        return time.perf_counter() - started


def row(name: str, values: List[float]) -> str:
    return f"| {name} | {pct(values, 0.5):.1f} | {pct(values, 0.95):.1f} | {len(values)} |"


def measure(per_user: int) -> Dict[str, Any]:
    """Start fresh servers and run every measurement against them."""
    # Question-and-answer traffic: a booking request would turn the rest of its conversation
    # into a form (measured on its own below), so those messages are left out here.
    texts = [t for t, label in load_examples([ROOT / "tests" / "nlu_test.yml"])
             if label != "request_appointment"]
    results: Dict[str, Any] = {}
    fake, fake_server = start_fake()
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        servers = start(Path(tmp), True, "bench-token", False, **twilio_env(fake))
        results["startup"] = time.perf_counter() - started
        try:
            asyncio.run(conversations(servers, texts, 2, 5))  # warm-up
            results["parse"] = asyncio.run(parse_latency(servers, texts[:200]))
            results["single"], results["single_rate"] = asyncio.run(
                conversations(servers, texts, 1, 200))
            results["multi"], results["multi_rate"] = asyncio.run(
                conversations(servers, texts, 10, per_user))
            results["long"], _ = asyncio.run(conversations(servers, texts, 1, 500, turns=500))
            results["fresh"], _ = asyncio.run(conversations(servers, texts, 1, 20, turns=1))
            results["booking"], results["booking_rate"] = asyncio.run(bookings(servers, 20))
            fake.delay_seconds = SMS_API_SECONDS
            results["sms"], results["sms_rate"] = asyncio.run(
                conversations(servers, texts, 10, per_user // 2, channel=sms_request))
            results["rasa_rss"] = rss_mb(servers.processes[-1].pid)
            results["actions_rss"] = (rss_mb(servers.actions.pid) if servers.actions
                                      else float("nan"))
        finally:
            servers.stop()
            fake_server.shutdown()
    return results


def report(r: Dict[str, Any], train: Optional[float]) -> str:
    """The Markdown report for docs/benchmark.md."""
    lines = [
        "# Benchmark",
        "",
        f"Machine: {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.machine()}. Messages: held-out patient messages (`tests/nlu_test.yml`, "
        "without the booking requests), in conversations of 10 messages each (a long "
        "patient chat) unless noted; the booking row runs whole bookings through the form. "
        "Servers: `rasa run` (guarded REST channel, SQLite tracker store) + action server, "
        "started fresh by `make bench`.",
        "",
        "| measurement | p50 ms | p95 ms | requests |",
        "|---|---|---|---|",
        row("`/model/parse` (NLU only)", r["parse"]),
        row("REST turn, 1 conversation", r["single"]),
        row("REST turn, 10 concurrent conversations", r["multi"]),
        row("REST turn, turns 1-10 of one 500-turn conversation", r["long"][:10]),
        row("REST turn, turns 491-500 of the same conversation", r["long"][490:]),
        row("REST turn, fresh conversations right after it", r["fresh"]),
        row("REST turn, booking form (7 turns per booking, stored at the end)", r["booking"]),
        row(f"SMS webhook, 10 phones at once (Twilio API answering in "
            f"{SMS_API_SECONDS * 1000:.0f} ms)", r["sms"]),
        "",
        "| measurement | value |",
        "|---|---|",
        f"| throughput, 1 conversation | {r['single_rate']:.1f} msg/s |",
        f"| throughput, 10 concurrent conversations | {r['multi_rate']:.1f} msg/s |",
        f"| turn 491-500 against turn 1-10 of one conversation (median; target <= 1.5) | "
        f"{pct(r['long'][490:], 0.5) / pct(r['long'][:10], 0.5):.2f}x |",
        f"| complete bookings, one after another | {r['booking_rate']:.2f} bookings/s |",
        f"| SMS, 10 phones at once (answers sent without blocking) | {r['sms_rate']:.1f} msg/s |",
        f"| Rasa server RSS after the run | {r['rasa_rss']:.0f} MB |",
        f"| action server RSS | {r['actions_rss']:.0f} MB |",
        f"| start-up (both servers until the webhook answers) | {r['startup']:.1f} s |",
        "| training (`rasa train --force`) | "
        + (f"{train:.0f} s |" if train is not None else "not measured (--skip-train) |"),
        "",
        "Targets (issue 2): turn p95 <= 40 ms for one user; >= 80 msg/s with p95 <= 150 ms at "
        "10 concurrent; (issue 14) a long conversation's turns within 1.5x of its first. "
        "Reproduce: `make bench`.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--skip-train", action="store_true", help="don't time a full training")
    parser.add_argument("--per-user", type=int, default=40, help="messages per client")
    args = parser.parse_args()
    results = measure(args.per_user)
    train = None if args.skip_train else training_seconds()
    text = report(results, train)
    DOCS.mkdir(exist_ok=True)
    (DOCS / "benchmark.md").write_text(text, encoding="utf-8")
    print(text)
    bench_console.main([])  # adds the review console's section to docs/benchmark.md

if __name__ == "__main__":
    main()
