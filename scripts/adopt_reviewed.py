"""`make adopt-reviewed`: take the console's exported training data into ``data/nlu/``.

The console exports reviewed annotations to ``REVIEWED_DATA_FILE`` (default
``var/exports/reviewed.yml``), outside the training data, so an export never retrains
anything by itself. This step shows what adopting it would change (examples added and
removed per label) and, with ``--yes``, copies it to ``data/nlu/reviewed.yml``; commit that
file after review, then ``make reload`` trains aside and loads the new model.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from collections import Counter
from pathlib import Path
from typing import List, Optional, Set, Tuple

import yaml

from clinic.settings import PROJECT_ROOT, get_settings

ADOPTED = PROJECT_ROOT / "data" / "nlu" / "reviewed.yml"


def examples(path: Path) -> Set[Tuple[str, str]]:
    """(label, text) pairs of a generated NLU file (empty if it does not exist)."""
    if not path.exists():
        return set()
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {(str(block["intent"]), line.strip()[2:].strip())
            for block in data.get("nlu") or () if isinstance(block, dict) and "intent" in block
            for line in str(block.get("examples") or "").splitlines()
            if line.strip().startswith("- ")}


def changes(new: Set[Tuple[str, str]], old: Set[Tuple[str, str]]) -> List[str]:
    """One line per label: how many examples adoption adds and removes."""
    added, removed = Counter(label for label, _ in new - old), Counter(
        label for label, _ in old - new)
    return [f"  {label}: +{added[label]} -{removed[label]}"
            for label in sorted(set(added) | set(removed))]


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--yes", action="store_true", help="copy it (after reading the summary)")
    args = parser.parse_args(argv)
    export = get_settings().console.reviewed_data
    if not export.exists():
        print(f"No export at {export}: export from the console's Training data page first.")
        return 1
    lines = changes(examples(export), examples(ADOPTED))
    if not lines:
        print(f"{ADOPTED.relative_to(PROJECT_ROOT)} already holds the export: nothing to adopt.")
        return 0
    print(f"Adopting {export} into {ADOPTED.relative_to(PROJECT_ROOT)} changes:")
    print("\n".join(lines))
    if not args.yes:
        print("Nothing copied. Run `make adopt-reviewed YES=1` to copy, then commit the file.")
        return 0
    shutil.copyfile(export, ADOPTED)
    print(f"Copied. Review and commit {ADOPTED.relative_to(PROJECT_ROOT)}, then `make reload`.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
