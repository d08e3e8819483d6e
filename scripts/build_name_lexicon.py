"""Build ``clinic/pii/names.json``: person names the masker recognises, from pinned packages.

Names: every Latin-script first and last name in Faker's person providers (US Census and
national name lists, MIT). Each is kept with how common it is as an ordinary English word
(spaCy's ``en_lexeme_prob`` from spacy-lookups-data, MIT): a name that is also a frequent
word ("will", "may", "hope") is left out, since it is only a name after a cue ("my daughter
Hope") or a title, which the masker finds without the list.

``python -m scripts.build_name_lexicon`` rewrites the file; ``tests/clinic/test_pii.py`` checks it
still matches the pinned packages.
"""

from __future__ import annotations

import gzip
import importlib
import json
import pkgutil
import re
from pathlib import Path
from typing import Dict, List, Set

import faker.providers.person as person_providers
import spacy_lookups_data

OUT = Path(__file__).resolve().parent.parent / "clinic" / "pii" / "names.json"
LATIN = re.compile(r"^[A-Za-zÀ-ÖØ-öø-ÿĀ-ž][A-Za-zÀ-ÖØ-öø-ÿĀ-ž'\-]+$")
COMMON_WORD = -9.0  # log probability: more common than this is an ordinary word
RARE_WORD = -13.0  # rarer than this: a name even in lower case ("rosa diaz")
ENGLISH_WORD = -14.0  # more common than this: an English word (the web's, not medicine's)


def faker_names() -> Dict[str, Set[str]]:
    """Lower-cased first and last names from every Faker person provider."""
    found: Dict[str, Set[str]] = {"first": set(), "last": set()}
    for module in pkgutil.iter_modules(person_providers.__path__):
        provider = importlib.import_module(f"{person_providers.__name__}.{module.name}").Provider
        for attr, kind in (("first_names", "first"), ("first_names_female", "first"),
                           ("first_names_male", "first"), ("last_names", "last")):
            values = provider.__dict__.get(attr)
            if isinstance(values, (list, tuple, dict)):
                found[kind] |= {n.lower() for n in values if isinstance(n, str) and LATIN.match(n)}
    return found


def word_probabilities() -> Dict[str, float]:
    path = Path(spacy_lookups_data.__file__).parent / "data" / "en_lexeme_prob.json.gz"
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return dict(json.load(handle))


def build() -> Dict[str, List[str]]:
    """``{"first_rare", ..., "last_common", "english": [words]}``.

    "rare": rarely an English word (a name even in lower case); "word": also a word, a
    name only when capitalised; "common": an everyday word ("will", "hope"), a name only
    after a cue or before a surname ("will henderson").
    """
    probs = word_probabilities()
    lexicon: Dict[str, List[str]] = {}
    for kind, names in faker_names().items():
        for tier in ("rare", "word", "common"):
            lexicon[f"{kind}_{tier}"] = []
        for name in sorted(names):
            prob = probs.get(name, -20.0)
            tier = "rare" if prob <= RARE_WORD else "word" if prob <= COMMON_WORD else "common"
            lexicon[f"{kind}_{tier}"].append(name)
    # everyday English words: a capitalised one after a cue is still not a name ("Thank God")
    lexicon["english"] = sorted(
        w for w, p in probs.items() if p > ENGLISH_WORD and w.isalpha() and w.islower()
        and len(w) > 1)
    return lexicon


def render(lexicon: Dict[str, List[str]]) -> str:
    """One list per line: small, and a change shows as a changed line."""
    lines = [f"{json.dumps(key)}: {json.dumps(names, ensure_ascii=False)}"
             for key, names in sorted(lexicon.items())]
    return "{\n" + ",\n".join(lines) + "\n}\n"


def main() -> None:
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(render(build()), encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
