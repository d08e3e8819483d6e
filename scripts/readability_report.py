"""`make eval` part: the reading grade of every FAQ answer, chat and SMS -> docs/readability.md.

The grade is the Flesch-Kincaid grade of ``clinic.content.readability`` (textstat, with the
clinic's values filled in). AFTER is measured now; BEFORE is a fixed record of the same
measurement on the answers as they were at commit 682cba6, before the plain-language rewrite
(issue 16), with the textstat pinned in requirements.lock.

    python -m scripts.readability_report            # -> docs/readability.md
    python -m scripts.readability_report --print    # print it instead
"""

from __future__ import annotations

import argparse
from importlib.metadata import version
from typing import Dict, List, Optional, Sequence, Tuple

from clinic.content.readability import (
    HIGH_GRADE,
    MAX_GRADE,
    AnswerGrade,
    faq_grades,
    summarize,
)
from scripts.servers import ROOT

OUT = ROOT / "docs" / "readability.md"
BEFORE_COMMIT = "682cba6"
# The five practical answers (the clinic's details; tests/project/test_content.py); the
# other 27 are the topic answers the issue counted.
PRACTICAL = ("not_covered", "medicines", "location", "hours", "phone")
# key: (chat, SMS) grade at BEFORE_COMMIT, textstat 0.7.4, clinic.yml's values
BEFORE: Dict[str, Tuple[float, float]] = {
    "activity_restrictions": (5.900, 2.700), "alternatives": (8.000, 9.000), "anesthesia":
    (6.300, 5.800), "benefits": (7.600, 12.700), "bone_health": (8.700, 4.400), "brace":
    (7.600, 2.900), "candidacy": (9.200, 3.600), "cement": (6.900, 2.200),
    "compression_fracture": (10.000, 11.100), "contraindications": (5.900, 6.200),
    "cost_insurance": (4.000, 2.700), "diagnosis": (8.000, 3.300), "difference": (8.300,
    5.500), "duration": (9.000, 6.200), "follow_up": (9.200, 6.200), "hospital_stay": (5.100,
    0.100), "hours": (4.500, 3.500), "incision": (5.500, 3.500), "location": (5.600, 6.400),
    "medicines": (6.500, 3.400), "multiple_levels": (5.200, 3.400), "not_covered": (4.500,
    3.300), "pain_after": (4.900, 3.300), "phone": (3.700, 1.900), "preparation": (4.100,
    9.100), "procedure_steps": (5.500, 3.400), "recovery_time": (6.100, 2.700), "risks":
    (7.600, 7.400), "success_rate": (7.800, 4.200), "symptoms": (6.900, 8.300),
    "what_is_kyphoplasty": (7.600, 11.500), "what_is_vertebroplasty": (8.000, 6.600),
}
NOTES = f"""\
How it is measured (`clinic/content/readability.py`): textstat's `flesch_kincaid_grade` of
the text a patient reads. Placeholders are filled with the clinic's values from `clinic.yml`;
markdown is reduced to its words; a phone number, web address or e-mail address counts as
one short word (as digits, textstat would count `(555) 010-0100` as two easy words). Medical
terms count in full, even where the answer explains them in place.

The limit is grade {MAX_GRADE:.0f}, the level advised for patient materials;
`tests/project/test_readability.py` fails if any chat or SMS text is above it.

The BEFORE figures of the 27 chat answers (median 7.6, 18 above grade 6, 6 above 8, highest
10.0) are the issue's own. textstat 0.7.4 counts syllables with pyphen's hyphenation
dictionaries, which misses a few ("area", "idea" and "medicine" count as one syllable);
0.7.8 (the CMU pronouncing dictionary, GPL-3.0) grades every text higher, and the rewritten
answers are at grade 6 or below by it as well (27 chat answers: median 5.1, highest 5.9).
"""


def _summary_row(label: str, before: Sequence[float], after: Sequence[float]) -> str:
    old, new = summarize(before), summarize(after)
    return (f"| {label} | {old.count} | {old.median:.1f} → {new.median:.1f} | "
            f"{old.over_max} → {new.over_max} | {old.over_high} → {new.over_high} | "
            f"{old.highest:.1f} → {new.highest:.1f} |")


def summary_table(after: Sequence[AnswerGrade]) -> List[str]:
    """Median, counts above 6 and 8 and the highest grade, before → after, by channel."""
    lines = [f"| answers (before → after) | n | median | above {MAX_GRADE:.0f} | "
             f"above {HIGH_GRADE:.0f} | highest |",
             "|---|---|---|---|---|---|"]
    for index, channel in enumerate(("chat", "sms")):
        for label, keep in (("27 topic answers", lambda k: k not in PRACTICAL),
                            ("all 32", lambda k: True)):
            now = [g.grade for g in after if g.channel == channel and keep(g.key)]
            old = [pair[index] for key, pair in BEFORE.items() if keep(key)]
            lines.append(_summary_row(f"{channel}, {label}", old, now))
    return lines


def _cell(grade: Optional[float]) -> str:
    if grade is None:
        return "–"
    text = f"{grade:.1f}"
    return f"**{text}**" if grade > MAX_GRADE else text


def answer_table(after: Sequence[AnswerGrade]) -> List[str]:
    """One row per FAQ answer: chat and SMS grade, before and after."""
    now: Dict[str, Dict[str, float]] = {}
    for item in after:
        now.setdefault(item.key, {})[item.channel] = item.grade
    lines = ["| answer | chat before | chat after | SMS before | SMS after |",
             "|---|---|---|---|---|"]
    for key in sorted(set(now) | set(BEFORE)):
        old = BEFORE.get(key)
        lines.append(f"| {key} | {_cell(old[0] if old else None)} | "
                     f"{_cell(now.get(key, {}).get('chat'))} | "
                     f"{_cell(old[1] if old else None)} | {_cell(now.get(key, {}).get('sms'))} |")
    return lines


def report(after: Sequence[AnswerGrade]) -> str:
    """The whole of docs/readability.md."""
    above = [g for g in after if g.grade > MAX_GRADE]
    verdict = (f"**{len(above)} texts above grade {MAX_GRADE:.0f}** ." if above
               else f"Every chat and SMS text is at grade {MAX_GRADE:.0f} or below.")
    head = [
        "# Reading grade of the FAQ answers", "",
        f"Measured by `make eval` (`scripts/readability_report.py`) with textstat "
        f"{version('textstat')}: Flesch-Kincaid grade of every `utter_faq/<key>` answer, its "
        f"chat text and its SMS (`channel: twilio`) text. BEFORE: the answers at commit "
        f"{BEFORE_COMMIT} (a fixed record); AFTER: the answers now. Bold: above grade "
        f"{MAX_GRADE:.0f}. {verdict}", "",
    ]
    return "\n".join(head + summary_table(after) + [""] + answer_table(after)
                     + ["", NOTES.rstrip(), ""])


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Write docs/readability.md (or print it with --print)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--print", action="store_true", help="print instead of writing")
    args = parser.parse_args(argv)
    grades = faq_grades()
    text = report(grades)
    if args.print:
        print(text)
    else:
        OUT.write_text(text, encoding="utf-8")
        worst = max(g.grade for g in grades)
        print(f"{OUT.relative_to(ROOT)}: {len(grades)} texts, highest grade {worst:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
