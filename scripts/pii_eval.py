"""`make eval` part: how much personal data the masker (``clinic.pii``) finds -> docs/privacy.md.

Sets (``eval/pii/*.yml``) were written blind, by people who saw neither the masker nor the
training data: messages with their personal-data spans marked, and messages without any.

- **recall** per kind: a marked span counts as masked when every letter and digit of it is
  inside something the masker replaced (of any kind: a name inside an address is masked);
- **over-masking**: the share of messages without personal data that the masker changes,
  and the share of masked characters outside any marked span.
"""

from __future__ import annotations

import argparse
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Set

import yaml

from clinic.pii import personal_data
from scripts.servers import ROOT

SETS = ROOT / "eval" / "pii"
KINDS = ("name", "address", "date", "phone", "email")
HELD_OUT = ("test_pii", "test2_pii")
NOTES = """\
How the sets were used:

- **Held out** (`test_pii`, `test2_pii`): written blind by helpers who saw neither the
  masker nor the other sets, and never tuned on. Only their totals are read; no miss was
  looked at. `tests/clinic/test_pii.py` gates both (recall at least 0.90, a margin under the
  target).
- **Dev** (`dev_pii` to `dev4_pii`): written the same way, but their misses were read
  while tuning, so they flatter. `dev4_pii` scored 0.954 before it was read, on the masker
  it was then used to tune.
- **Before issue 14** the masker (regular expressions for phones, e-mails, dates with a
  year and "my name is ...") scored 0.319 on `test_pii` (name 0.086, address 0.000,
  date 0.435, phone 0.910).

Target: recall of at least 0.95 on the held-out sets. The known gaps are street addresses
with numbered roads ("County Rd K", "US-40"), and lower-case names with no cue
("can i bring tanisha").
"""


@dataclass
class Score:
    """Counts for one set."""

    spans: Counter = field(default_factory=Counter)
    masked: Counter = field(default_factory=Counter)
    clean_messages: int = 0
    clean_changed: int = 0
    masked_chars: int = 0
    masked_outside: int = 0
    missed: List[str] = field(default_factory=list)

    def recall(self, kind: Optional[str] = None) -> float:
        kinds = [kind] if kind else list(self.spans)
        total = sum(self.spans[k] for k in kinds)
        return sum(self.masked[k] for k in kinds) / total if total else 1.0


def _positions(text: str, needle: str) -> List[range]:
    found, start = [], text.find(needle)
    while start >= 0:
        found.append(range(start, start + len(needle)))
        start = text.find(needle, start + 1)
    return found


def score(path: Path) -> Score:
    """Score the masker on one set."""
    result = Score()
    for item in yaml.safe_load(path.read_text(encoding="utf-8"))["messages"]:
        text: str = item["text"]
        covered: Set[int] = {i for s, e, _ in personal_data(text) for i in range(s, e)}
        if not item["spans"]:
            result.clean_messages += 1
            result.clean_changed += bool(covered)
        gold: Set[int] = set()
        used: Dict[str, int] = Counter()
        for span in item["spans"]:
            places = _positions(text, span["text"])
            place = places[min(used[span["text"]], len(places) - 1)]
            used[span["text"]] += 1
            gold |= set(place)
            result.spans[span["kind"]] += 1
            if all(i in covered for i in place if text[i].isalnum()):
                result.masked[span["kind"]] += 1
            else:
                result.missed.append(f"{span['kind']}: {span['text']!r} in {text[:90]!r}")
        result.masked_chars += len(covered)
        result.masked_outside += len(covered - gold)
    return result


def report(scores: Dict[str, Score]) -> str:
    lines = ["# Personal-data masking", "",
             "Measured by `make eval` (`scripts/pii_eval.py`) on sets written blind "
             "(`eval/pii/`). Recall: marked spans fully masked.", "",
             "| set | " + " | ".join(KINDS) + " | all | clean messages changed | "
             "masked characters outside marked spans |",
             "|---" * (len(KINDS) + 4) + "|"]
    for name, s in scores.items():
        per_kind = " | ".join(f"{s.recall(k):.3f} ({s.masked[k]}/{s.spans[k]})" for k in KINDS)
        outside = s.masked_outside / s.masked_chars if s.masked_chars else 0.0
        lines.append(f"| {name} | {per_kind} | **{s.recall():.3f}** | "
                     f"{s.clean_changed}/{s.clean_messages} | {outside:.1%} |")
    return "\n".join(lines) + "\n\n" + NOTES


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show-misses", metavar="SET", help="list what SET's masking missed")
    parser.add_argument("--out", default=str(ROOT / "docs" / "privacy.md"))
    args = parser.parse_args(argv)
    scores = {p.stem: score(p) for p in sorted(SETS.glob("*.yml"))}
    text = report(scores)
    Path(args.out).write_text(text, encoding="utf-8")
    print(text)
    if args.show_misses:
        print("\n".join(scores[args.show_misses].missed))


if __name__ == "__main__":
    main()
