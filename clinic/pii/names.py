"""Person names in patient messages: where they are, as character spans.

Three ways a name is found:

- **after a cue** that introduces a person, in any case: "my name is", "this is",
  "I'm", "call me", a relation ("my daughter Keisha", "my son's name is"), a title
  ("Mrs. O'Neill", "dr patel"), "pt"/"patient", or a sign-off ("thanks, Margaret",
  "- Tom" at the end);
- **by the name list** (``clinic/pii/names.json``, built from Faker's name lists by
  ``scripts/build_name_lexicon.py``): a capitalised first or last name inside a sentence,
  or two names in a row in lower case when both are rarely English words ("rosa diaz");
- a name's neighbours: a found name takes the capitalised or listed names right after it
  ("Robert Brown", "Mary-Beth Oduya").

A name that is also a common word ("Will", "May", "Hope") is a name only after a cue.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Dict, FrozenSet, Iterator, List, Tuple

from clinic.pii.words import FUNCTION_WORDS as _FUNCTION_WORDS
from clinic.pii.words import NAME_MONTHS as _NAME_MONTHS
from clinic.pii.words import NEVER as _NEVER
from clinic.pii.words import NOT_AFTER_CUE as _NOT_AFTER_CUE
from clinic.pii.words import PARTICLES as _PARTICLES
from clinic.pii.words import PLACES as _PLACES
from clinic.pii.words import RELATIONS as _RELATIONS

Span = Tuple[int, int]

LEXICON = Path(__file__).resolve().parent / "names.json"

_CUE = re.compile(
    r"(?:(?P<intro>\b(?:it'?s\s+me|it\s+is\s+me|this\s+is|it'?s|it\s+is|i'?m|i’m|i\s+am|"
    r"my\s+name\s+is|my\s+name's|name\s+is|call\s+me|(?:thanks|thank\s+you|thx|love|"
    r"regards)\s+from))"
    r"|\b(?:my\s+name\s+is|my\s+names?|my\s+name's|name\s+is|name's|names|this\s+is|"
    r"it's|its|it\s+is|i\s+am|i'm|i’m|im|call\s+me|signed|regards|sincerely|thanks|thank\s+you|"
    r"thx|cheers|love|ask\s+for|speak\s+to|talk\s+to|spoke\s+to|spoke\s+with|"
    r"name\s+was|named|called|goes\s+by|me\s+llamo|soy)"
    rf"|(?P<relation>\b(?:my|our|her|his|their|mi|[a-z]+'s|[a-z]+’s)\s+(?:{_RELATIONS})"
    r"(?:'s|’s)?(?:\s+(?:name\s+is|is|named|called))?)"
    r"|(?P<title>\b(?:mr|mrs|ms|miss|mx|dr|doctor|prof|nurse|sr|sra|srta|don|doña|rn|lpn|"
    r"lvn|cna|aprn)\.?)"
    r"|\b(?:son|daughter|dtr|husband|hus|wife|sister|brother|mom|dad|grandson|"
    r"granddaughter|niece|nephew|dottore|doctora|dra|enfermera)\b(?=[\s,:]+[A-Z])"
    r"|(?P<chart>\b(?:pt|patient|resident|client|name|caller)\b\s*[:.]?))"
    r"(?:\s*[,:;-]\s*|\s+)",
    re.IGNORECASE,
)
_SIGN_OFF = re.compile(r"(?:^|\s)[-–—~]\s*([A-Za-z][\w'’.-]*(?:\s+[A-Za-z][\w'’-]*)?)\s*$")
# A name alone after the last sentence: "Thank you! Rachel", "... Sean (son)".
_LAST_WORDS = re.compile(
    r"(?:[.!?,\n]|^)\s*([A-ZÀ-ÖØ-ÞĀ-Ž][\wÀ-ÖØ-öø-ÿĀ-ž'’-]+(?:\s+[A-ZÀ-ÖØ-ÞĀ-Ž][\wÀ-ÖØ-öø-ÿĀ-ž'’-]+)?)"
    r"\s*(?:\([^)]{1,30}\))?\s*[.!]?\s*$")
_TOKEN = re.compile(r"[^\W\d_](?:[^\W\d_]|['’-])*")  # letters of any script: "Trần Thị Hoa"
_SENTENCE_END = re.compile(r"[.!?¿¡\n]\s*$")
# Endings of English words the web-based word list lacks ("tolerating", "ambulated").
_WORD_ENDING = re.compile(r"(?:ing|ed|tion|sion|ly|ness|ment|ity|ive|ous|able|ible|ize|ise)$")
_PHONE_NEXT = re.compile(r"[\s,:]+\+?\(?\d{3}")
# After an introduced name: "its bob again", "this is dee here", "it's tom, ...", "i'm ana."
_INTRO_END = re.compile(r"(?:\s+(?:again|here|speaking|from)\b|\s*[,.!;]|\s*$|[\s,:]+\+?\(?\d{3})")
_CHART_FIRST = re.compile(r",\s*([A-Z][a-zà-öø-ÿā-ž'’-]+)(?:\s+[A-Z]\.?)?(?=[\s,;.]|$)")
# Vietnamese full names around a middle name: "Dang Van Loc", "Vu Thi Hanh", "Trần Thị Hoa".
_VIETNAMESE = re.compile(
    r"(?<![\w'’-])[^\W\d_a-z][^\W\d_]+\s+(?:Van|Văn|Thi|Thị|Cong|Công|Quoc|Quốc|Ngoc|Ngọc|"
    r"Duc|Đức|Huu|Hữu|Minh|Thanh|Xuan|Xuân)\s+[^\W\d_a-z][^\W\d_]+(?![\w'’-])")
_LOWER_INITIAL = re.compile(r"\s([b-hj-z])(?=\s*[.,!;]|\s*$)")

_INITIAL = re.compile(r"(?:[A-HJ-Z]\.?|I\.)(?=\s)")  # not the pronoun "I"
# One to three initials before a surname: "J. Okafor", "A. M. Fitzgerald", "R.J. Castillo".
_INITIALS_NAME = re.compile(
    r"(?<![\w./])(?:[A-Z]\.\s?){1,3}[A-Z][a-zà-öø-ÿā-ž'’]+(?:-[A-Z][a-zà-öø-ÿā-ž'’]+)?")


@lru_cache(maxsize=1)
def lexicon() -> Dict[str, FrozenSet[str]]:
    """The name lists: ``first_rare``, ``first_word``, ``last_rare``, ``last_word``."""
    data = json.loads(LEXICON.read_text(encoding="utf-8"))
    return {key: frozenset(names) for key, names in data.items()}


def _listed(word: str, rare_only: bool = False) -> bool:
    names = lexicon()
    key = re.sub(r"['’]s$", "", word.lower()).strip("'’-")
    if key in _NEVER:
        return False
    if "-" in key:  # a double-barrelled name: each part a name ("T-score" is not)
        parts = [part for part in key.split("-") if part]
        return all(len(part) > 1 and _listed(part, rare_only) for part in parts)
    if key in names["first_rare"] or key in names["last_rare"]:
        return True
    return not rare_only and (key in names["first_word"] or key in names["last_word"])


def _capitalised(word: str) -> bool:
    return word[:1].isupper() and word.lower() not in _NEVER


def _foreign(word: str) -> bool:
    """Not an everyday English word nor one of ours: "oyelaran", "quist"."""
    key = re.sub(r"['’]s$", "", word.lower())
    parts = [part for part in key.split("-") if part]
    if any(len(part) == 1 for part in parts) or _WORD_ENDING.search(key):
        return False
    return (len(key) >= 2 and key.replace("-", "").isalpha() and key not in _NEVER
            and key not in _NOT_AFTER_CUE
            and not any(part in lexicon()["english"] or part in _NEVER for part in parts))


def _at_sentence_start(text: str, start: int) -> bool:
    before = text[:start]
    return not before.strip() or bool(_SENTENCE_END.search(before))


def _next_name(text: str, end: int, lower_ok: bool = False) -> int:
    """The end of the name word (or initial, or particles + name) right after ``end``, or -1."""
    if text[end:end + 1] != " ":
        return -1
    initial = _INITIAL.match(text, end + 1)
    if initial is not None:
        return initial.end()
    match = _TOKEN.match(text, end + 1)
    if match is None or match.group(0).isupper() and len(match.group(0)) <= 3:
        return -1
    word = match.group(0)
    if word.lower() in _PARTICLES:  # only if a capitalised name follows the particles
        dotted = word.lower() == "st" and text[match.end():match.end() + 1] == "."
        if dotted:  # "Evangeline St. Clair", not "Linden St. I'm Graham"
            saint = _TOKEN.match(text, match.end() + 2)
            if saint is None or not _listed(saint.group(0)):
                return -1
        after = _next_name(text, match.end() + dotted)
        return after if after > 0 and text[after - 1].isalpha() else -1
    if word.lower() in _NEVER:
        return -1
    if not (_capitalised(word) or _listed(word) or (lower_ok and _foreign(word))):
        return -1
    return match.end()


def _extend(text: str, end: int, limit: int = 3) -> int:
    """Where a name that ends at ``end`` really ends (the names right after it).

    After a listed first name, a lower-case word that is not English continues it
    ("herbert quist").
    """
    for _ in range(limit):
        previous = text[:end].split()[-1] if text[:end].split() else ""
        following = _next_name(text, end, lower_ok=_listed(previous, rare_only=True))
        if following < 0:
            break
        end = following
    return end


def _after_cues(text: str) -> Iterator[Span]:
    for cue in _CUE.finditer(text):
        match = _TOKEN.match(text, cue.end())
        if match is None:
            continue
        word = match.group(0)
        if word.lower() in _NAME_MONTHS and word[:1].isupper():  # "my mom, May Ling Fong"
            end = _extend(text, match.end())
            if end > match.end() and text[:end].split()[-1][:1].isupper():
                yield match.start(), end
            continue
        if word.lower() in _PARTICLES:  # "Dr. van der Berg", "Sra. de la Cruz"
            end = _next_name(text, match.start() - 1) if match.start() > 0 else -1
            if end > 0 and text[:end].split()[-1][:1].isupper():
                yield match.start(), _with_initial(text, _extend(text, end))
            continue
        if word.lower() in _NOT_AFTER_CUE or word.lower() in _NEVER or (
                word.isupper() and len(word) <= 3):  # "pt POD2", "Dr. ER"
            continue
        if _name_after_cue(text, match, cue.group("relation") is not None,
                           cue.group("title") is not None) or (
                cue.group("intro") is not None and _introduced(text, match)):
            end = _extend(text, match.end())
            if cue.group("chart") is not None:  # "pt Okafor, Chidinma": last name first
                first = _CHART_FIRST.match(text, end)
                if first and (_foreign(first.group(1)) or _listed(first.group(1))):
                    end = _extend(text, first.end(1))
            yield match.start(), _with_initial(text, end)


def _introduced(text: str, match: re.Match[str]) -> bool:
    """A first name that is also a word, introduced and then left: "its bob again"."""
    key, names = match.group(0).lower(), lexicon()
    return ((key in names["first_rare"] or key in names["first_word"])  # not "this is long."
            and key not in _NEVER and bool(_INTRO_END.match(text, match.end())))


def _with_initial(text: str, end: int) -> int:
    """Take a lower-case initial after an introduced name: "this is kayla m"."""
    initial = _LOWER_INITIAL.match(text, end)
    return initial.end(1) if initial else end


def _name_after_cue(text: str, match: re.Match[str], relation: bool, title: bool) -> bool:
    """Whether the word a cue introduces is a name.

    Capitalised: a listed name, or any word after "my son" / "Dr." ("my mom Hope"), or a
    word that is not English ("Thank God" is not). Lower case: a name that is rarely a
    word ("my son mike", not "my husband fall"); after "dr" any word that is not English
    ("dr ferraro", not "the doctor said"); a word followed by a listed surname ("my mom
    rose pennington").
    """
    word = match.group(0)
    if word[:1].isupper():
        if any(len(part) == 1 for part in word.split("-")) and "-" in word:
            return False  # "T-score", "X-ray"
        return _listed(word) or relation or title or word.lower() not in lexicon()["english"]
    if _listed(word, rare_only=True) or (title and _foreign(word)):
        return True
    following = _TOKEN.match(text, match.end() + 1)
    return (_is_first(word) and following is not None
            and text[match.end():match.end() + 1] == " " and _is_surname(following.group(0)))


def _is_surname(word: str) -> bool:
    """A listed surname rarely used as a word ("henderson", "baptiste-king", "mcginnis")."""
    key = re.sub(r"['’]s$", "", word.lower())
    if "-" in key:
        return all(_is_surname(part) for part in key.split("-") if part)
    return key in lexicon()["last_rare"] or bool(re.match(r"^(?:mc|mac|o')[a-z]{3,}$", key))


def _by_list(text: str) -> Iterator[Span]:
    for match in _TOKEN.finditer(text):
        word = match.group(0)
        if len(word) < 2 or word.isupper():  # abbreviations: LE, ASA, OSA, VP, MAC
            continue
        if _capitalised(word) and _listed(word):
            if not _at_sentence_start(text, match.start()):
                end = _extend(text, match.end())
                if end > match.end() or word.lower() not in _PLACES:
                    yield match.start(), end
                continue
            end = _extend(text, match.end())  # "Rosa Diaz here": a first and a last name
            if end > match.end() and text[:end].split()[-1][:1].isupper():
                yield match.start(), end
            elif _PHONE_NEXT.match(text, match.end()):  # "Magdalena 708-555-0152"
                yield match.start(), match.end()
        elif word.lower() in _NAME_MONTHS and word[:1].isupper():
            following = _TOKEN.match(text, match.end() + 1)
            if following is not None and _capitalised(following.group(0)) and _listed(
                    following.group(0)):
                yield match.start(), _extend(text, match.end())
        elif word.islower() and (_listed(word) or _is_first(word)):
            following = _TOKEN.match(text, match.end() + 1)
            spaced = text[match.end():match.end() + 1] == " "
            surname = following.group(0) if following is not None else ""
            if (following is not None and spaced and surname.islower()
                    and _is_surname(surname) and _is_first(word)
                    and (_foreign(surname) or (_listed(word, rare_only=True)
                                               and word not in lexicon()["english"]))):
                yield match.start(), following.end()  # "rosa diaz", "will henderson"
            elif _is_first(word) and _listed(word, rare_only=True) and _PHONE_NEXT.match(
                    text, match.end()):
                yield match.start(), match.end()  # "keisha 937-555-0185"


def _is_first(word: str) -> bool:
    """A listed first name, even one that is an everyday word ("will", "hope", "pat")."""
    names, key = lexicon(), word.lower()
    return key not in _NEVER and key not in _FUNCTION_WORDS and any(
        key in names[tier] for tier in ("first_rare", "first_word", "first_common"))


def name_spans(text: str) -> List[Span]:
    """Character spans of the person names in ``text`` (may overlap; caller merges)."""
    spans = list(_after_cues(text)) + list(_by_list(text))
    spans += [m.span() for m in _VIETNAMESE.finditer(text)
              if not _NEVER.intersection(w.lower() for w in m.group(0).split())]
    spans += [(m.start(), _extend(text, m.end())) for m in _INITIALS_NAME.finditer(text)
              if _listed(m.group(0).split(".")[-1].strip()) or _foreign(
                  m.group(0).split(".")[-1].strip())]  # not "vitamin D. Does"
    last = _LAST_WORDS.search(text)
    if last and text[:last.start(1)].strip():  # a name after the message, not the message
        first = last.group(1).split()[0]
        if _listed(first):
            spans.append(last.span(1))
    sign_off = _SIGN_OFF.search(text)
    if sign_off:  # "- Tom", "-ray": at the very end, any listed or non-English word
        first = sign_off.group(1).split()[0]
        if _capitalised(first) or _listed(first) or _foreign(first):
            spans.append(sign_off.span(1))
    return spans
