"""``python -m console.export [--out PATH]``: write the annotations as NLU training data.

The file (``REVIEWED_DATA_FILE``, by default ``var/exports/reviewed.yml``, outside the
training data) is rebuilt from all annotations. Training on it is a separate, reviewed
step: ``make adopt-reviewed`` shows what would change and copies it into
``data/nlu/reviewed.yml`` for a commit; ``make reload`` then trains aside and loads the new
model into the running server. The export is in the audit log (counts only).
"""

from __future__ import annotations

import argparse
import getpass
from pathlib import Path
from typing import Optional, Sequence

from actions.config import get_settings
from actions.db import session_scope
from console.training_export import display_path, export


def _user() -> str:
    try:
        return f"cli:{getpass.getuser()}"[:64]
    except (KeyError, OSError):  # no user name for this uid (containers)
        return "cli"


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Export; prints the counts. Returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m console.export",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=None,
                        help="where to write (default: REVIEWED_DATA_FILE or "
                             "var/exports/reviewed.yml)")
    args = parser.parse_args(argv)
    target: Path = args.out or get_settings().console.reviewed_data
    with session_scope() as session:
        built = export(session, target, _user())
    skipped = ", ".join(f"{reason.replace('_', ' ')}: {count}"
                        for reason, count in sorted(built.skipped.items()))
    print(f"Wrote {built.written} examples ({len(built.by_label)} labels) to "
          f"{display_path(target)}." + (f" Skipped {skipped}." if skipped else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
