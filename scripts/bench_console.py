"""Review console benchmark: index and list/search 10 000 synthetic conversations.

Writes ~100 000 Rasa events (held-out patient questions from ``tests/nlu_test.yml`` with
realistic intents, confidences, channels and dates over 90 days; some alerts, hand-offs,
tags and reviewed marks) into a temporary SQLite file with bulk inserts, times the
indexer, then times list queries (median and p95 over several runs) and updates the
"Review console" section of docs/benchmark.md.

``python -m scripts.bench_console [--conversations N] [--runs N] [--no-write]``;
``make bench`` runs it after the assistant benchmark.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

from clinic import db
from scripts.console_data import generate
from scripts.servers import ROOT

DOC = ROOT / "docs" / "benchmark.md"
BEGIN, END = "<!-- console-bench -->", "<!-- /console-bench -->"


def _mark_some(conversations: int) -> None:
    """Review 10% and tag 5% of the conversations, as staff would."""
    from sqlalchemy import select

    from clinic.models import ConversationSummary
    from console.conversations import conversation

    with db.session_scope() as session:
        ids = list(session.scalars(select(ConversationSummary.conversation_id)))
        for cid in ids[: conversations // 10]:
            conversation.set_reviewed(session, cid, "bench", True)
        for cid in ids[::20]:
            conversation.add_tag(session, cid, "billing", "bench")


def timed(function: Callable[[], Any], runs: int) -> List[float]:
    """Milliseconds per call over ``runs`` calls (after one warm-up call)."""
    function()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
    return times


QUERIES: List[Tuple[str, Dict[str, str]]] = [
    ("no filter, page 1", {}),
    ("channel = twilio", {"channel": "twilio"}),
    ("date range (one week)", {"from": "2026-10-01", "to": "2026-10-07"}),
    ("topic = faq/recovery_time", {"topic": "faq/recovery_time"}),
    ("low confidence (< 0.6)", {"low": "1"}),
    ("fallback", {"fallback": "1"}),
    ("red-flag alert", {"alert": "1"}),
    ("hand-off", {"handoff": "1"}),
    ("not reviewed", {"reviewed": "no"}),
    ("tag = billing", {"tag": "billing"}),
    ("search \"pain\"", {"q": "pain"}),
    ("search \"xyzzy\" (no match)", {"q": "xyzzy"}),
    ("page 50, no filter", {"page": "50"}),
    ("twilio + low confidence + not reviewed", {"channel": "twilio", "low": "1",
                                                 "reviewed": "no"}),
]


def measure(conversations: int, runs: int) -> Dict[str, Any]:
    """Generate, index and query in a temporary database."""
    from clinic.review import indexer
    from console.conversations.conversation import load_conversation
    from console.conversations.transcripts import ConversationFilter, list_conversations

    results: Dict[str, Any] = {"conversations": conversations, "queries": []}
    with tempfile.TemporaryDirectory() as tmp:
        engine = db.make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        db.set_engine(engine)
        try:
            started = time.perf_counter()
            results["events"] = generate(engine, conversations)
            results["generate_s"] = time.perf_counter() - started
            started = time.perf_counter()
            indexer.catch_up()
            results["index_s"] = time.perf_counter() - started
            _mark_some(conversations)
            for label, query in QUERIES:
                flt = ConversationFilter.from_query(query)

                def run(flt: ConversationFilter = flt) -> Any:
                    with db.session_scope() as session:
                        return list_conversations(session, flt)

                results["queries"].append((label, run().total, timed(run, runs)))
            with db.session_scope() as session:
                first = list_conversations(session, ConversationFilter()).rows[0]
            first_id = first.summary.conversation_id

            def detail() -> Any:
                with db.session_scope() as session:
                    return load_conversation(session, first_id)

            results["detail"] = timed(detail, runs)
            results["incremental"] = timed(lambda: indexer.catch_up(), runs)
            results["pages"] = asyncio.run(page_times(runs, first_id))
        finally:
            db.set_engine(None)
            engine.dispose()
    return results


PAGES = [("GET /conversations", "/conversations"),
         ("GET /conversations?q=pain&low=1", "/conversations?q=pain&low=1"),
         ("GET /conversations/<id> (audited view)", "")]


async def page_times(runs: int, conversation_id: str) -> List[Tuple[str, List[float]]]:
    """Whole pages through the console app in-process (login, query, template)."""
    from urllib.parse import quote

    from aiohttp.test_utils import TestClient, TestServer

    from clinic import accounts
    from clinic.settings import get_settings
    from console.app import create_app
    from console.web import SESSION_COOKIE

    settings = get_settings()
    with db.session_scope() as session:
        accounts.create_user(session, "bench", "timing-only passphrase 7", "reviewer", "Bench")
    with db.session_scope() as session:
        token, _ = accounts.login(session, settings.console, "bench", "timing-only passphrase 7")
    client = TestClient(TestServer(create_app(settings)), cookies={SESSION_COOKIE: token})
    await client.start_server()
    results = []
    try:
        for label, path in PAGES:
            path = path or "/conversations/" + quote(conversation_id, safe="")
            times = []
            for _ in range(runs + 1):
                started = time.perf_counter()
                async with client.get(path) as response:
                    await response.read()
                    if response.status != 200:
                        raise RuntimeError(f"{path}: HTTP {response.status}")
                times.append((time.perf_counter() - started) * 1000)
            results.append((label, times[1:]))
    finally:
        await client.close()
    return results


def pct(values: List[float], q: float) -> float:
    """The ``q`` quantile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def report(r: Dict[str, Any], runs: int) -> str:
    """The Markdown section."""
    lines = [
        BEGIN,
        "## Review console: transcripts",
        "",
        f"{r['conversations']:,} synthetic conversations ({r['events']:,} Rasa events, "
        "1-3 patient messages each from `tests/nlu_test.yml`, 6% `nlu_fallback`, over 90 "
        "days; 2% with a red-flag alert, 3% with a hand-off) in a temporary SQLite file "
        f"(WAL). Writing them took {r['generate_s']:.1f} s; indexing all of them "
        f"(`clinic.review.indexer`, batches of 5,000 events) took **{r['index_s']:.1f} s** "
        f"({r['events'] / r['index_s']:,.0f} events/s). List queries return one page of "
        f"25 with the total count; median and p95 over {runs} runs.",
        "",
        "| query | matches | median ms | p95 ms |",
        "|---|---|---|---|",
    ]
    for label, total, times in r["queries"]:
        lines.append(f"| {label} | {total:,} | {statistics.median(times):.1f} | "
                     f"{pct(times, 0.95):.1f} |")
    lines += [
        f"| conversation view (all events of one conversation) | 1 | "
        f"{statistics.median(r['detail']):.1f} | {pct(r['detail'], 0.95):.1f} |",
        f"| indexer check with nothing new | - | {statistics.median(r['incremental']):.1f} | "
        f"{pct(r['incremental'], 0.95):.1f} |",
        "",
        "Whole pages through the console app in-process (session check, index catch-up, "
        "query, template; no network):",
        "",
        "| page | median ms | p95 ms |",
        "|---|---|---|",
    ]
    lines += [f"| {label} | {statistics.median(times):.1f} | {pct(times, 0.95):.1f} |"
              for label, times in r["pages"]]
    lines += [
        "",
        "Target (issue 6): list and search well under 200 ms on 10,000 conversations. "
        "Reproduce: `python -m scripts.bench_console` (also run by `make bench`).",
        END,
    ]
    return "\n".join(lines) + "\n"


def write_section(section: str, path: Path = DOC) -> None:
    """Replace (or append) the console section of docs/benchmark.md."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark\n"
    if BEGIN in text and END in text:
        head, _, rest = text.partition(BEGIN)
        text = head + section.rstrip("\n") + rest.partition(END)[2]
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8")


def main(argv: Optional[List[str]] = None) -> None:
    """Run the benchmark and update docs/benchmark.md."""
    parser = argparse.ArgumentParser(prog="python -m scripts.bench_console",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=20, help="timed runs per query")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    section = report(measure(args.conversations, args.runs), args.runs)
    if not args.no_write:
        write_section(section)
    print(section)


if __name__ == "__main__":
    main()
