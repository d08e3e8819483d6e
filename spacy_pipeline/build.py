"""Build the clinic's spaCy pipeline from ``spacy.blank("en")``.

The pipeline has a lookup lemmatizer (tables from spacy-lookups-data, serialised into the
pipeline so nothing is needed at run time) and an entity ruler for procedure names, blood
thinners and spine levels. Run: ``python -m spacy_pipeline.build --out models/spacy/en_clinic``.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path
from typing import Any, Dict, Iterable, List

import yaml

PATTERNS_FILE = Path(__file__).with_name("patterns.yml")
LEVEL_PREFIXES = {"thoracic": "t", "lumbar": "l"}


def _phrase_pattern(label: str, canonical: str, phrase: str) -> Dict[str, Any]:
    tokens = phrase.replace("-", " - ").split()
    return {"label": label, "id": canonical, "pattern": [{"LOWER": t} for t in tokens]}


def _level_patterns(region: str, count: int) -> Iterable[Dict[str, Any]]:
    prefix = LEVEL_PREFIXES[region]
    for number in range(1, count + 1):
        canonical = f"{prefix.upper()}{number}"
        shapes = (
            [f"{prefix}{number}"],
            [f"{prefix}-{number}"],
            [prefix, "-", str(number)],
            [prefix, str(number)],
        )
        for shape in shapes:
            yield {
                "label": "spine_level",
                "id": canonical,
                "pattern": [{"LOWER": token} for token in shape],
            }


def ruler_patterns(spec: Dict[str, Any]) -> List[Dict[str, Any]]:
    """Turn the YAML vocabulary into entity-ruler patterns."""
    patterns: List[Dict[str, Any]] = []
    for label, values in spec.items():
        if label == "spine_level":
            for region, count in values.items():
                patterns.extend(_level_patterns(region, int(count)))
            continue
        for canonical, forms in values.items():
            for phrase in forms.get("phrases", []):
                patterns.append(_phrase_pattern(label, canonical, phrase))
            for regex in forms.get("token_regex", []):
                patterns.append(
                    {"label": label, "id": canonical, "pattern": [{"LOWER": {"REGEX": regex}}]}
                )
    return patterns


def build(out: Path, patterns_file: Path = PATTERNS_FILE) -> Path:
    """Create the pipeline and save it to ``out`` (replacing what was there)."""
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    ruler = nlp.add_pipe("entity_ruler", config={"overwrite_ents": True})
    nlp.initialize()  # loads the lemma tables; also clears the ruler, so patterns come after
    spec = yaml.safe_load(patterns_file.read_text(encoding="utf-8"))
    ruler.add_patterns(ruler_patterns(spec))  # type: ignore[attr-defined]
    nlp.meta["name"] = "clinic"
    nlp.meta["version"] = "1.0.0"
    nlp.meta["description"] = "Blank English + lookup lemmatizer + clinic entity ruler"
    if out.exists():
        shutil.rmtree(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(out)
    return out


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("models/spacy/en_clinic"))
    args = parser.parse_args()
    path = build(args.out)
    print(f"spaCy pipeline written to {path}")


if __name__ == "__main__":
    main()
