"""Run one held-out set through a parser (the Rasa model, or a fake in tests)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from scripts.eval_metrics import (
    Outcome,
    expected_calibration_error,
    judge,
    oos_recall,
    read_parse,
    reliability,
    scores,
    wrong_confident_share,
)
from scripts.eval_redflags import RedFlagStats, red_flag_stats
from scripts.eval_sets import RED_FLAG, ROUTING, Item, SetSpec

Parser = Callable[[List[str]], List[Dict[str, Any]]]  # texts -> parse dicts
Router = Callable[[List[str]], List[str]]  # texts -> routing labels (the baseline)
Judge = Callable[[str], Optional[str]]  # text -> alarm level (the rule layer alone)

# The targets: metric -> (direction, bound).
TARGETS: Dict[str, Tuple[str, float]] = {
    "accuracy": (">=", 0.92),
    "oos_recall": (">=", 0.90),
    "red_flag_recall": (">=", 1.0),
    "false_alarms": ("<=", 0.01),
    "wrong_at_90": ("<=", 0.02),
}


@dataclass
class SetResult:
    """Everything the report needs about one set."""

    spec: SetSpec
    items: List[Item]
    outcomes: List[Outcome]  # every routed item (routing, red flags, labelled look-alikes)
    safety: RedFlagStats
    rules: Optional[RedFlagStats]  # the spaCy rule layer alone (None: not run)
    rasa_routing: Dict[str, float]  # Rasa on the routing items only
    baseline: Optional[Dict[str, float]]  # TF-IDF on the routing items only
    ms_per_message: float

    @property
    def routing_outcomes(self) -> List[Outcome]:
        """Outcomes of the routing items (what the baseline is compared on)."""
        return [o for o in self.outcomes if o.item.kind == ROUTING]

    @property
    def rasa_all(self) -> Dict[str, float]:
        """Rasa accuracy / macro-F1 over every routed item."""
        return scores([o.gold for o in self.outcomes], [o.got for o in self.outcomes])

    @property
    def ece(self) -> float:
        """Expected calibration error over every routed item."""
        return expected_calibration_error(reliability(self.outcomes))

    def summary(self) -> Dict[str, float]:
        """The metrics that have a target (see ``TARGETS``).

        Accuracy is n/a for a set whose only routed messages are red flags (it would just
        repeat the red-flag recall).
        """
        routed = any(o.item.kind != RED_FLAG for o in self.outcomes)
        return {
            "accuracy": self.rasa_all["accuracy"] if routed else float("nan"),
            "oos_recall": oos_recall(self.outcomes)[0],
            "red_flag_recall": self.safety.recall,
            "false_alarms": self.safety.false_alarm_rate,
            "wrong_at_90": wrong_confident_share(self.outcomes),
        }


def meets(metric: str, value: float) -> Optional[bool]:
    """Whether ``value`` meets the metric's target (None when not measured)."""
    if value != value:  # NaN
        return None
    direction, bound = TARGETS[metric]
    return value >= bound if direction == ">=" else value <= bound


def run_set(
    spec: SetSpec,
    items: Sequence[Item],
    parse: Parser,
    baseline: Optional[Router] = None,
    rules: Optional[Judge] = None,
) -> SetResult:
    """Parse every item once and compute the set's metrics."""
    texts = [i.text for i in items]
    started = time.perf_counter()
    preds = [read_parse(p) for p in parse(texts)]
    ms = (time.perf_counter() - started) * 1000 / max(len(texts), 1)
    judged = (judge(i, p) for i, p in zip(items, preds, strict=True))
    outcomes = [o for o in judged if o is not None]
    routing = [o for o in outcomes if o.item.kind == ROUTING]
    gold = [o.gold for o in routing]
    base = None
    if baseline is not None and routing:
        base = scores(gold, baseline([o.item.text for o in routing]))
    rule_stats = red_flag_stats(items, [rules(t) for t in texts]) if rules else None
    return SetResult(
        spec=spec,
        items=list(items),
        outcomes=outcomes,
        safety=red_flag_stats(items, [p.level for p in preds], [p.instruction for p in preds]),
        rules=rule_stats,
        rasa_routing=scores(gold, [o.got for o in routing]),
        baseline=base,
        ms_per_message=ms,
    )


def train_baseline(train: Sequence[Tuple[str, str]]) -> Router:
    """TF-IDF (word 1-2 grams + char 2-5 grams) + logistic regression on the training data."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline, make_union

    model = make_pipeline(
        make_union(
            TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
            TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
        ),
        LogisticRegression(max_iter=3000, C=10.0),
    )
    model.fit([t for t, _ in train], [label for _, label in train])
    return lambda texts: [str(label) for label in model.predict(texts)]
