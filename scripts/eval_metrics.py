"""Routing, calibration and red-flag metrics over parsed held-out items (no model needed)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from scripts.eval_sets import RED_FLAG, Item
from scripts.nlu_eval import routing_label
from scripts.safety_eval import alarm_level, instruction

ALARM_LABEL = "urgent_symptom"
FALLBACK = "nlu_fallback"
OUT_OF_SCOPE = "out_of_scope"
HIGH_CONFIDENCE = 0.9
BIN_EDGES = (0.0, 0.3, 0.5, 0.7, 0.8, 0.9, 1.0)


@dataclass(frozen=True)
class Prediction:
    """What the model did with one message."""

    label: str  # routing label: intent, or faq/<key> for FAQs
    confidence: float  # of the chosen answer (the FAQ response's for FAQs)
    level: Optional[str]  # alarm level raised (None: no alarm)
    instruction: Optional[str]  # safety instruction variant, e.g. emergency_es


@dataclass(frozen=True)
class Outcome:
    """One routed item: expected vs got (``got`` after the out-of-scope fallback rule)."""

    item: Item
    pred: Prediction
    gold: str
    got: str

    @property
    def correct(self) -> bool:
        """Routed to the expected label."""
        return self.gold == self.got


@dataclass(frozen=True)
class Bin:
    """One row of the reliability table."""

    low: float
    high: float
    count: int
    accuracy: float
    confidence: float


def read_parse(parse: Mapping[str, Any]) -> Prediction:
    """Routing label, answer confidence, alarm level and instruction of a parse dict."""
    label = routing_label(parse)
    confidence = float((parse.get("intent") or {}).get("confidence") or 0.0)
    if (parse.get("intent") or {}).get("name") == "faq":
        response = ((parse.get("response_selector") or {}).get("faq") or {}).get("response")
        confidence = float((response or {}).get("confidence") or 0.0)
    return Prediction(label, confidence, alarm_level(parse), instruction(parse))


def judge(item: Item, pred: Prediction) -> Optional[Outcome]:
    """Score one item's routing; None for a look-alike without an expected label.

    A red flag is routed right when any alarm is raised. For an out-of-scope message the
    fallback (the bot did not answer) counts as right.
    """
    gold = ALARM_LABEL if item.kind == RED_FLAG else item.label
    if gold is None:
        return None
    got = pred.label
    if item.kind == RED_FLAG and pred.level is not None:
        got = ALARM_LABEL
    elif gold == OUT_OF_SCOPE and got == FALLBACK:
        got = OUT_OF_SCOPE
    return Outcome(item, pred, gold, got)


def scores(gold: Sequence[str], got: Sequence[str]) -> Dict[str, float]:
    """Accuracy and macro-F1 over the gold labels (NaN for no items)."""
    from sklearn.metrics import accuracy_score, f1_score

    if not gold:
        return {"accuracy": float("nan"), "macro_f1": float("nan")}
    labels = sorted(set(gold))
    return {
        "accuracy": float(accuracy_score(gold, got)),
        "macro_f1": float(f1_score(gold, got, labels=labels, average="macro", zero_division=0)),
    }


def oos_recall(outcomes: Sequence[Outcome]) -> Tuple[float, int, int]:
    """(recall, out-of-scope count, of which caught by the fallback) for gold out_of_scope."""
    oos = [o for o in outcomes if o.gold == OUT_OF_SCOPE]
    if not oos:
        return float("nan"), 0, 0
    by_fallback = sum(o.pred.label == FALLBACK for o in oos)
    return sum(o.correct for o in oos) / len(oos), len(oos), by_fallback


def per_persona(outcomes: Sequence[Outcome]) -> Dict[str, Tuple[int, float]]:
    """Persona -> (items, accuracy)."""
    groups: Dict[str, List[bool]] = {}
    for o in outcomes:
        groups.setdefault(o.item.persona, []).append(o.correct)
    return {p: (len(v), sum(v) / len(v)) for p, v in sorted(groups.items())}


def label_errors(outcomes: Sequence[Outcome]) -> List[Tuple[str, float, float, float, int]]:
    """(label, precision, recall, F1, errors) for every label involved in an error.

    ``errors`` counts the label's misses plus the messages wrongly routed to it.
    """
    tp = Counter(o.gold for o in outcomes if o.correct)
    missed = Counter(o.gold for o in outcomes if not o.correct)
    wrong_in = Counter(o.got for o in outcomes if not o.correct)
    rows = []
    for label in sorted(set(missed) | set(wrong_in)):
        t, fn, fp = tp[label], missed[label], wrong_in[label]
        p = t / (t + fp) if t + fp else 0.0
        r = t / (t + fn) if t + fn else 0.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        rows.append((label, p, r, f1, fn + fp))
    return sorted(rows, key=lambda row: (row[3], -row[4], row[0]))


def error_pairs(outcomes: Sequence[Outcome]) -> List[Tuple[str, str, int]]:
    """(expected, got, count) of the misroutes, most frequent first."""
    pairs = Counter((o.gold, o.got) for o in outcomes if not o.correct)
    return [(g, p, n) for (g, p), n in sorted(pairs.items(), key=lambda kv: (-kv[1], kv[0]))]


def reliability(outcomes: Sequence[Outcome], edges: Sequence[float] = BIN_EDGES) -> List[Bin]:
    """Confidence bins [low, high) (the last one includes 1.0) with accuracy and mean conf."""
    bins = []
    for i, (low, high) in enumerate(zip(edges, edges[1:], strict=False)):
        last = i == len(edges) - 2
        inside = [o for o in outcomes
                  if low <= o.pred.confidence < high or (last and o.pred.confidence >= high)]
        n = len(inside)
        acc = sum(o.correct for o in inside) / n if n else float("nan")
        conf = sum(o.pred.confidence for o in inside) / n if n else float("nan")
        bins.append(Bin(low, high, n, acc, conf))
    return bins


def expected_calibration_error(bins: Sequence[Bin]) -> float:
    """Count-weighted mean |accuracy - confidence| over the bins."""
    total = sum(b.count for b in bins)
    if not total:
        return float("nan")
    return sum(b.count * abs(b.accuracy - b.confidence) for b in bins if b.count) / total


def wrong_confident_share(outcomes: Sequence[Outcome], threshold: float = HIGH_CONFIDENCE) -> float:
    """Share of ALL answers that are wrong with confidence >= threshold."""
    if not outcomes:
        return float("nan")
    wrong = sum(not o.correct and o.pred.confidence >= threshold for o in outcomes)
    return wrong / len(outcomes)
