"""``python -m clinic index`` and ``python -m clinic export``: the console's data by hand.

``index [--rebuild]`` indexes new Rasa events for the conversation list (the console also
does it by itself every few seconds); ``--rebuild`` reads every event again and keeps staff
work (reviewed marks, tags, annotations).

``export [--out PATH]`` writes the annotations as NLU training data: the file
(``REVIEWED_DATA_FILE``, by default ``var/exports/reviewed.yml``, outside the training data)
is rebuilt from all annotations. Training on it is a separate, reviewed step: ``make
adopt-reviewed`` shows what would change and copies it into ``data/nlu/reviewed.yml`` for a
commit; ``make reload`` then trains aside and loads the new model into the running server.
The export is in the audit log (counts only).
"""

from __future__ import annotations

import argparse
import getpass
import time
from pathlib import Path
from typing import Any

from clinic.db import session_scope
from clinic.review import indexer
from clinic.review.training_export import display_path, export
from clinic.settings import get_settings


def add_commands(commands: Any) -> None:
    """The ``index`` and ``export`` commands, on ``commands`` (argparse subparsers)."""
    index = commands.add_parser(
        "index", help="index Rasa's events for the console's conversation list",
        description=indexer.__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    index.add_argument("--rebuild", action="store_true", help="drop the index and start over")
    index.add_argument("--batch", type=int, default=indexer.BATCH_SIZE,
                       help="events per transaction")
    index.set_defaults(run=run_index)
    out = commands.add_parser(
        "export", help="write the annotations as NLU training data",
        description="Write the annotations as NLU training data (rebuilt from all of them).")
    out.add_argument("--out", type=Path, default=None,
                     help="where to write (default: REVIEWED_DATA_FILE or "
                          "var/exports/reviewed.yml)")
    out.set_defaults(run=run_export)


def run_index(args: argparse.Namespace) -> int:
    """Index new events, or everything again with ``--rebuild``; prints the count."""
    started = time.perf_counter()
    count = (indexer.rebuild(args.batch) if args.rebuild
             else indexer.catch_up(None, max(1, args.batch)))
    print(f"Indexed {count} events in {time.perf_counter() - started:.1f} s.")
    return 0


def _user() -> str:
    try:
        return f"cli:{getpass.getuser()}"[:64]
    except (KeyError, OSError):  # no user name for this uid (containers)
        return "cli"


def run_export(args: argparse.Namespace) -> int:
    """Export; prints the counts."""
    target: Path = args.out or get_settings().console.reviewed_data
    with session_scope() as session:
        built = export(session, target, _user())
    skipped = ", ".join(f"{reason.replace('_', ' ')}: {count}"
                        for reason, count in sorted(built.skipped.items()))
    print(f"Wrote {built.written} examples ({len(built.by_label)} labels) to "
          f"{display_path(target)}." + (f" Skipped {skipped}." if skipped else ""))
    return 0
