"""`make eval`: held-out routing accuracy / macro-F1 of the Rasa model vs a TF-IDF baseline.

Writes docs/evaluation.md (tables) and docs/confusion_matrix.png.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Dict, List, Sequence

from scripts.nlu_eval import load_agent, load_examples, predict, routing_label, training_files
from scripts.safety_eval import detector_judge, evaluate, load_safety_set, model_level, table

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def scores(gold: Sequence[str], pred: Sequence[str]) -> Dict[str, float]:
    from sklearn.metrics import accuracy_score, f1_score

    labels = sorted(set(gold))
    return {
        "accuracy": float(accuracy_score(gold, pred)),
        "macro_f1": float(f1_score(gold, pred, labels=labels, average="macro", zero_division=0)),
    }


def baseline(train: List[tuple], test_texts: List[str]) -> List[str]:
    """TF-IDF (word 1-2 grams + char 2-5 grams) + logistic regression on the same split."""
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
    return list(model.predict(test_texts))


def confusion_image(gold: Sequence[str], pred: Sequence[str], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import ConfusionMatrixDisplay

    labels = sorted(set(gold) | set(pred))
    fig, ax = plt.subplots(figsize=(16, 16))
    ConfusionMatrixDisplay.from_predictions(
        gold, pred, labels=labels, ax=ax, xticks_rotation="vertical", colorbar=False
    )
    ax.set_title("Held-out routing (intent or faq/<key>) - Rasa model")
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def worst_labels(gold: Sequence[str], pred: Sequence[str], n: int = 6) -> List[tuple]:
    from sklearn.metrics import f1_score

    labels = sorted(set(gold))
    f1s = f1_score(gold, pred, labels=labels, average=None, zero_division=0)
    return sorted(zip(labels, f1s, strict=True), key=lambda x: x[1])[:n]


def safety_section(agent: object) -> List[str]:
    """Red-flag recall / level / false alarms: rule layer alone and the whole model."""
    data = load_safety_set()
    rules = evaluate(detector_judge(ROOT / "models" / "spacy" / "en_clinic"), data)
    texts = [i["text"] for i in data["red_flags"]] + list(data["look_alikes"])
    levels = dict(zip(texts, (model_level(p) for p in predict(agent, texts)), strict=True))
    model = evaluate(levels.__getitem__, data)
    return [
        "## Red-flag safety (`tests/safety_set.yml`)",
        "",
        f"{len(data['red_flags'])} red flags (emergency / urgent) and "
        f"{len(data['look_alikes'])} look-alikes (negations, risk questions, history, "
        "hypotheticals, resolved symptoms).",
        "",
        *table([("spaCy rule layer alone", rules), ("whole model (rules + classifier)", model)]),
        "",
        "False alarms (whole model): "
        + (", ".join(f"`{t}`" for t, _ in model.false_alarms) or "none"),
        "",
    ]


def main() -> None:
    test = load_examples([ROOT / "tests" / "nlu_test.yml"])
    train = load_examples(training_files(ROOT))
    texts = [t for t, _ in test]
    gold = [label for _, label in test]

    agent = load_agent(ROOT / "models" / "clinic.tar.gz")
    started = time.perf_counter()
    rasa_pred = [routing_label(p) for p in predict(agent, texts)]
    rasa_ms = (time.perf_counter() - started) * 1000 / len(texts)
    base_pred = baseline(train, texts)

    rasa, base = scores(gold, rasa_pred), scores(gold, base_pred)
    fallback_rate = sum(p == "nlu_fallback" for p in rasa_pred) / len(rasa_pred)
    DOCS.mkdir(exist_ok=True)
    confusion_image(gold, rasa_pred, DOCS / "confusion_matrix.png")
    errors = [(t, g, p) for t, g, p in zip(texts, gold, rasa_pred, strict=True) if g != p]

    lines = [
        "# NLU evaluation (held-out set)",
        "",
        f"Held-out: `tests/nlu_test.yml`, {len(test)} messages, {len(set(gold))} labels "
        f"({sum(not g.startswith('faq/') for g in set(gold))} intents + "
        f"{sum(g.startswith('faq/') for g in set(gold))} FAQ keys). "
        f"Training: {len(train)} examples under `data/nlu/`.",
        "A prediction is correct when the message is routed to the right intent, or for FAQs "
        "to the right answer key; a fallback (`nlu_fallback`) counts as wrong.",
        "",
        "| model | accuracy | macro-F1 |",
        "|---|---|---|",
        f"| Rasa (DIET + ResponseSelector + fallback) | {rasa['accuracy']:.3f} "
        f"| {rasa['macro_f1']:.3f} |",
        f"| Baseline: TF-IDF + logistic regression | {base['accuracy']:.3f} "
        f"| {base['macro_f1']:.3f} |",
        "",
        f"Rasa fallback rate on held-out: {fallback_rate:.1%}; "
        f"in-process parse time {rasa_ms:.1f} ms/message.",
        "",
        "Lowest per-label F1 (Rasa): "
        + ", ".join(f"`{label}` {f1:.2f}" for label, f1 in worst_labels(gold, rasa_pred)),
        "",
        "Confusion matrix: [confusion_matrix.png](confusion_matrix.png). "
        "Reproduce: `make eval`.",
        "",
        f"## Misrouted held-out messages ({len(errors)})",
        "",
        "| message | expected | got |",
        "|---|---|---|",
        *[f"| {t.replace('|', '/')} | `{g}` | `{p}` |" for t, g, p in errors],
        "",
    ]
    lines += safety_section(agent)
    report = "\n".join(lines)
    (DOCS / "evaluation.md").write_text(report, encoding="utf-8")
    print(report)


if __name__ == "__main__":
    main()
