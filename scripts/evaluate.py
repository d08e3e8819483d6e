"""`make eval`: the Rasa model (and a TF-IDF baseline) on every held-out set.

Writes docs/evaluation.md and docs/confusion_matrix.png. The sets are listed in
``scripts.eval_sets.HELD_OUT``; the blind persona sets are reported as counts only.

    python -m scripts.evaluate                                   # all sets -> docs/
    python -m scripts.evaluate --set eval/persona_dev.yml --show-errors
    python -m scripts.evaluate --model models/other.tar.gz
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any, List, Optional, Sequence, Tuple

from scripts.eval_report import misrouted_rows, set_section, summary
from scripts.eval_run import Judge, Parser, Router, SetResult, run_set, train_baseline
from scripts.eval_sets import HELD_OUT, ROOT, Item, SetSpec, find_spec, load_set
from scripts.nlu_eval import load_agent, load_examples, predict, training_files

DOCS = ROOT / "docs"
DEFAULT_MODEL = ROOT / "models" / "clinic.tar.gz"
SPACY_PIPELINE = ROOT / "models" / "spacy" / "en_clinic"

HEADER = """# NLU and safety evaluation (held-out sets)

Reproduce: `make eval` (or `python -m scripts.evaluate`). Routing is right when a message goes
to its intent, or for FAQs to its answer key; `nlu_fallback` is wrong, except for an
out-of-scope message, where not answering is right (counted in the OOS recall, with how many
were caught by the fallback). A red flag is routed right when any alarm is raised (the
`red_flag_level` entity); look-alikes are routed to their label when the set gives one. The
answer's confidence is the FAQ response's for FAQs, else the intent's. "wrong @ conf >= 0.9"
is the share of all answers that are wrong with confidence >= 0.9. The baseline (word 1-2 +
char 2-5 TF-IDF, logistic regression, trained on `data/nlu/`) cannot raise alarms and is
scored on the routing items only. The persona sets are blind: this report gives counts only.
"""


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(prog="python -m scripts.evaluate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", dest="set_path", metavar="PATH",
                        help="evaluate one registered set and print it (docs/ are not written)")
    parser.add_argument("--show-errors", action="store_true",
                        help="with --set: print the misrouted messages (not for the test set)")
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL,
                        help=f"trained model (default {DEFAULT_MODEL.relative_to(ROOT)})")
    return parser.parse_args(argv)


def chosen_specs(args: argparse.Namespace) -> Tuple[SetSpec, ...]:
    """The sets to run; refuses to show the texts of a blind measuring set."""
    if args.show_errors and not args.set_path:
        raise SystemExit("--show-errors needs --set PATH (e.g. --set eval/persona_dev.yml)")
    if not args.set_path:
        return HELD_OUT
    spec = find_spec(args.set_path)
    if args.show_errors and not spec.texts_on_request:
        raise SystemExit(f"refusing to show the messages of {spec.rel}: it is the blind "
                         "measuring set. Read and tune on eval/persona_dev.yml instead.")
    return (spec,)


def present(specs: Sequence[SetSpec]) -> Tuple[List[Tuple[SetSpec, List[Item]]], List[str]]:
    """Load the sets that exist; a note for each one that is absent."""
    loaded, notes = [], []
    for spec in specs:
        if spec.path.exists():
            loaded.append((spec, load_set(spec)))
        else:
            notes.append(f"{spec.name} (`{spec.rel}`) is absent: skipped.")
    return loaded, notes


def rule_judge() -> Optional[Judge]:
    """The spaCy rule layer alone, when its pipeline has been built."""
    if not (SPACY_PIPELINE / "meta.json").exists():
        return None
    from scripts.safety_eval import detector_judge

    return detector_judge(SPACY_PIPELINE)


def run_all(sets: Sequence[Tuple[SetSpec, List[Item]]], parse: Parser,
            baseline: Optional[Router], rules: Optional[Judge]) -> List[SetResult]:
    """One result per loaded set."""
    return [run_set(spec, items, parse, baseline, rules) for spec, items in sets]


def confusion_image(result: SetResult, path: Path) -> None:
    """The routing confusion matrix of one set (labels only: safe for a blind set)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import ConfusionMatrixDisplay

    gold = [o.gold for o in result.outcomes]
    got = [o.got for o in result.outcomes]
    labels = sorted(set(gold) | set(got))
    fig, ax = plt.subplots(figsize=(16, 16))
    ConfusionMatrixDisplay.from_predictions(
        gold, got, labels=labels, ax=ax, xticks_rotation="vertical", colorbar=False
    )
    ax.set_title(f"Routing on {result.spec.rel} - Rasa model")
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def report(results: Sequence[SetResult], notes: Sequence[str], n_train: int) -> str:
    """The whole markdown report."""
    lines = [HEADER, f"Training data: {n_train} examples under `data/nlu/`.", ""]
    lines += summary(results, notes)
    if results:
        lines += [f"Confusion matrix ({results[0].spec.rel}): "
                  "[confusion_matrix.png](confusion_matrix.png).", ""]
    for result in results:
        lines += set_section(result)
    return "\n".join(lines)


def show_errors(result: SetResult) -> str:
    """The misrouted messages and wrong alarm levels of one set, for the terminal."""
    wrong = [o for o in result.outcomes if not o.correct]
    lines = [f"{len(wrong)} misrouted messages in {result.spec.rel}:", "", *misrouted_rows(wrong)]
    if result.safety.wrong_level:
        lines += ["", "Wrong alarm level:", ""]
        lines += [f"- {i.text} (expected {i.level}, got {got})"
                  for i, got in result.safety.wrong_level]
    return "\n".join(lines)


def quiet_agent(model: Path) -> Any:
    """Load the model with Rasa's debug logs off (they would print every held-out message)."""
    if not model.exists():
        raise SystemExit(f"no model at {model}: run `make train` first")
    from rasa.utils.log_utils import configure_structlog

    logging.getLogger().setLevel(logging.WARNING)
    configure_structlog(logging.WARNING)
    return load_agent(model)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the evaluation; with --set, print one set instead of writing docs/."""
    args = parse_args(argv)
    sets, notes = present(chosen_specs(args))
    if not sets:
        raise SystemExit("no held-out set found: " + " ".join(notes))
    agent = quiet_agent(args.model)
    train = load_examples(training_files(ROOT))
    results = run_all(sets, lambda texts: predict(agent, texts), train_baseline(train),
                      rule_judge())
    if args.set_path:
        print(show_errors(results[0]) if args.show_errors else "\n".join(set_section(results[0])))
        return 0
    DOCS.mkdir(exist_ok=True)
    confusion_image(results[0], DOCS / "confusion_matrix.png")
    text = report(results, notes, len(train))
    (DOCS / "evaluation.md").write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
