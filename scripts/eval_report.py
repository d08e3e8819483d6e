"""Markdown for docs/evaluation.md: the summary across sets and one section per set."""

from __future__ import annotations

from typing import Iterable, List, Optional, Sequence, Tuple

from scripts.eval_metrics import (
    HIGH_CONFIDENCE,
    Outcome,
    error_pairs,
    expected_calibration_error,
    label_errors,
    oos_recall,
    per_persona,
    reliability,
    wrong_confident_share,
)
from scripts.eval_redflags import RedFlagStats
from scripts.eval_run import TARGETS, SetResult, meets
from scripts.eval_sets import LOOK_ALIKE, RED_FLAG, ROUTING

SUMMARY_COLUMNS = (
    ("accuracy", "routing accuracy"),
    ("oos_recall", "OOS recall"),
    ("red_flag_recall", "red-flag recall"),
    ("false_alarms", "false alarms"),
    ("wrong_at_90", "wrong @ conf >= 0.9"),
)


def num(value: float, digits: int = 3) -> str:
    """A metric, or n/a when it was not measured (NaN)."""
    return "n/a" if value != value else f"{value:.{digits}f}"


def cell(text: str) -> str:
    """A message made safe for a markdown table cell."""
    return text.replace("|", "/").replace("\n", " ")


def _mark(metric: str, value: float) -> str:
    ok = meets(metric, value)
    return num(value) + ("" if ok is None else " ✓" if ok else " ✗")


def summary(results: Sequence[SetResult], skipped: Iterable[str]) -> List[str]:
    """The table across sets, with the targets in the last row."""
    head = " | ".join(title for _, title in SUMMARY_COLUMNS)
    lines = [
        "## Summary", "",
        f"| set | messages | {head} |",
        "|---|---|" + "---|" * len(SUMMARY_COLUMNS),
    ]
    for r in results:
        values = r.summary()
        marks = " | ".join(_mark(key, values[key]) for key, _ in SUMMARY_COLUMNS)
        lines.append(f"| {r.spec.name} (`{r.spec.rel}`) | {len(r.items)} | {marks} |")
    targets = " | ".join(f"{TARGETS[k][0]} {TARGETS[k][1]:g}" for k, _ in SUMMARY_COLUMNS)
    lines += [f"| **target** | | {targets} |", "",
              "Only the persona test set measures: the dev set is tuned on, and the team's "
              "sets were written beside the training data (they flatter).", ""]
    lines += [f"- {note}" for note in skipped]
    return lines + [""]


def routing_table(r: SetResult) -> List[str]:
    """Rasa over all routed items and, beside the baseline, over the routing items."""
    n_all, n_routing = len(r.outcomes), len(r.routing_outcomes)
    lines = ["| model | messages | accuracy | macro-F1 |", "|---|---|---|---|",
             f"| Rasa, all routed messages | {n_all} | {num(r.rasa_all['accuracy'])} "
             f"| {num(r.rasa_all['macro_f1'])} |"]
    if n_routing and n_routing != n_all:
        lines.append(f"| Rasa, routing items only | {n_routing} "
                     f"| {num(r.rasa_routing['accuracy'])} | {num(r.rasa_routing['macro_f1'])} |")
    if r.baseline is not None:
        lines.append(f"| TF-IDF + logistic regression, routing items only | {n_routing} "
                     f"| {num(r.baseline['accuracy'])} | {num(r.baseline['macro_f1'])} |")
    rec, n_oos, by_fallback = oos_recall(r.outcomes)
    return lines + [
        "",
        f"Out-of-scope recall: {num(rec)} ({n_oos} out-of-scope messages; {by_fallback} of them "
        "caught by the fallback, i.e. the bot did not answer). "
        f"In-process parse time {r.ms_per_message:.1f} ms/message.",
        "",
    ]


def persona_table(outcomes: Sequence[Outcome]) -> List[str]:
    """Accuracy per persona (nothing when the set has no personas)."""
    rows = per_persona(outcomes)
    if set(rows) <= {"-"}:
        return []
    lines = ["| persona | messages | accuracy |", "|---|---|---|"]
    lines += [f"| {p} | {n} | {num(acc)} |" for p, (n, acc) in rows.items()]
    return lines + [""]


def error_tables(outcomes: Sequence[Outcome], texts: bool) -> List[str]:
    """Per-label P/R/F1 of the labels with errors, then the misroutes (texts or counts)."""
    rows = label_errors(outcomes)
    lines = [f"#### Labels with errors ({len(rows)})", ""]
    if rows:
        lines += ["| label | precision | recall | F1 | errors |", "|---|---|---|---|---|"]
        lines += [f"| `{lab}` | {p:.2f} | {rc:.2f} | {f1:.2f} | {n} |"
                  for lab, p, rc, f1, n in rows]
    wrong = [o for o in outcomes if not o.correct]
    lines += ["", f"#### Misrouted messages ({len(wrong)})", ""]
    if texts:
        lines += misrouted_rows(wrong)
    else:
        lines += ["Blind set: counts per (expected, got) only.", "",
                  "| expected | got | count |", "|---|---|---|"]
        lines += [f"| `{g}` | `{p}` | {n} |" for g, p, n in error_pairs(outcomes)]
    return lines + [""]


def misrouted_rows(wrong: Sequence[Outcome]) -> List[str]:
    """A table of misrouted texts with expected, got and the answer's confidence."""
    lines = ["| message | expected | got | confidence |", "|---|---|---|---|"]
    return lines + [f"| {cell(o.item.text)} | `{o.gold}` | `{o.got}` | {o.pred.confidence:.2f} |"
                    for o in wrong]


def reliability_table(outcomes: Sequence[Outcome]) -> List[str]:
    """Confidence bins, ECE and the share of confidently wrong answers."""
    bins = reliability(outcomes)
    lines = ["| confidence | messages | accuracy | mean confidence |", "|---|---|---|---|"]
    for i, b in enumerate(bins):
        close = "]" if i == len(bins) - 1 else ")"
        lines.append(f"| [{b.low:.1f}, {b.high:.1f}{close} | {b.count} | {num(b.accuracy)} "
                     f"| {num(b.confidence)} |")
    wrong = wrong_confident_share(outcomes)
    return lines + [
        "",
        f"Expected calibration error {num(expected_calibration_error(bins))}; "
        f"wrong answers at confidence >= {HIGH_CONFIDENCE}: {num(wrong)} of all answers.",
        "",
    ]


def _safety_row(name: str, s: RedFlagStats) -> str:
    return (f"| {name} | {num(s.recall)} ({len(s.red_flags) - len(s.missed)}/{len(s.red_flags)}) "
            f"| {num(s.level_accuracy)} | {num(s.crisis_recall)} | {num(s.false_alarm_rate)} "
            f"({len(s.false_alarms)}/{len(s.look_alikes)}) |")


def safety_tables(r: SetResult, texts: bool) -> List[str]:
    """Red-flag recall / level / false alarms, per level and language, and the misses."""
    s = r.safety
    if not s.red_flags and not s.look_alikes:
        return []
    lines = ["#### Red flags", "",
             "| layer | recall (any alarm) | right level | crisis recall | false alarms |",
             "|---|---|---|---|---|", _safety_row("whole model", s)]
    if r.rules is not None:
        lines.append(_safety_row("spaCy rule layer alone", r.rules))
    lines += ["", "| level | red flags | recall | right level |", "|---|---|---|---|"]
    lines += [f"| {lv} | {n} | {num(rc)} | {num(ok)} |"
              for lv, (n, rc, ok) in s.per_level().items()]
    lines += ["", "| language | red flags | recall |", "|---|---|---|"]
    lines += [f"| {lang} | {n} | {num(rc)} |" for lang, (n, rc) in s.per_lang().items()]
    lines += ["", f"Instruction in the wrong language: {len(s.wrong_language)}.", ""]
    return lines + (safety_texts(s) if texts else safety_counts(s))


def safety_texts(s: RedFlagStats) -> List[str]:
    """The missed red flags, wrong levels and false alarms, with their texts."""
    def quoted(rows: Iterable[Tuple[str, Optional[str]]]) -> str:
        return ", ".join(f"`{t}`" + (f" ({x})" if x else "") for t, x in rows) or "none"

    return [
        "Missed (whole model): " + quoted((i.text, i.level) for i in s.missed), "",
        "Wrong level (whole model): "
        + quoted((i.text, f"{i.level} -> {got}") for i, got in s.wrong_level), "",
        "False alarms (whole model): " + quoted((i.text, got) for i, got in s.false_alarms), "",
    ]


def safety_counts(s: RedFlagStats) -> List[str]:
    """Blind set: only how many were missed, at the wrong level, or false alarms."""
    return [f"Blind set: {len(s.missed)} missed, {len(s.wrong_level)} at the wrong level, "
            f"{len(s.false_alarms)} false alarms (texts not shown).", ""]


def set_section(r: SetResult) -> List[str]:
    """The full section of one set."""
    kinds = {k: sum(i.kind == k for i in r.items) for k in (ROUTING, RED_FLAG, LOOK_ALIKE)}
    texts = r.spec.texts_in_report
    return [
        f"## {r.spec.name}: `{r.spec.rel}`", "",
        f"{r.spec.note}. {kinds[ROUTING]} routing items, {kinds[RED_FLAG]} red flags, "
        f"{kinds[LOOK_ALIKE]} look-alikes; {len(r.outcomes)} routed messages scored.", "",
        "### Routing", "", *routing_table(r), *persona_table(r.outcomes),
        *error_tables(r.outcomes, texts),
        "### Reliability", "", *reliability_table(r.outcomes),
        *safety_tables(r, texts),
    ]
