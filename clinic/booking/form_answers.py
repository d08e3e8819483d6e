"""Reading the booking form's short answers: name, procedure, contact consent, yes/change.

Plain functions over the patient's words (no Rasa types), so every rule is unit-tested on
its own. Each reader returns a value, or an error kind naming the re-ask response.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Optional

# Slot values (also shown in the read-back, so they are plain words).
KYPHOPLASTY, VERTEBROPLASTY, NOT_SURE = "kyphoplasty", "vertebroplasty", "not sure"
BY_PHONE, BY_TEXT, BY_PHONE_OR_TEXT = "phone", "text", "phone or text"
DECLINED = "declined"
YES, CHANGE = "yes", "change"

MAX_NAME_CHARS = 80
MAX_NAME_WORDS = 6

_NAME_PREFIX = re.compile(
    r"^(?:(?:my|the|her|his|their|patient'?s|the patient'?s)\s+(?:full\s+)?name\s+"
    r"(?:is|'s|should be|would be)|name\s*[:=-]|it'?s|its|this is|i am|i'm|im|call me|"
    r"(?:she|he) is|(?:she|he)'s)\s+",
    re.IGNORECASE,
)
_NAME_CORRECTION = re.compile(
    r"\b(?:(?:my|the|her|his|their|patient'?s)\s+(?:full\s+)?name\s+(?:is|'s|should be|"
    r"would be)|name\s*[:=])\s+(?P<name>[^\d,;!?]+?)"
    r"(?=\s*(?:[,;!?]|\.\s|\.$|\band\b|\bbut\b|\d|$))",
    re.IGNORECASE,
)
_NAME_POLITENESS = re.compile(r"[\s,]+(?:please|pls|plz|thanks|thank you|thx|ty|sorry)\W*$",
                              re.IGNORECASE)
_NAME_PUNCTUATION = set(" '-.,\u2019")
# Words that show an answer is a sentence, not a name. Words that are also names or
# initials ("An Nguyen", "Minh Do", "Will Smith", "Doris Day", "John A. Smith") are not here.
_NOT_NAME_WORDS = frozenset("""
    about after again all am and any anyone anything appointment appt are at back be because
    before book booking both but by call can cancel change correct could dad days doctor does
    don't dont either email everything father fine for from get good great had has have hello
    help hey hi hold how husband i'd i'll i'm if in is it it's just know kyphoplasty later like
    maybe me message mind mom mother my need neither never no none not nothing now number nurse
    of ok okay on or other pain phone please procedure question same some someone something
    sorry start stop sure text thank thanks that the this time times to today tomorrow
    vertebroplasty wait want was we week what when where who why wife with would wrong yes
    yesterday you your
""".split())

_PROCEDURES = (
    (KYPHOPLASTY, re.compile(r"\bk[iy]pho(?:plast[yi]e?s?)?\b|\bballoon\b", re.IGNORECASE)),
    (VERTEBROPLASTY, re.compile(r"\bvert[ae]bro(?:plast[yi]e?s?)?\b", re.IGNORECASE)),
)
_UNSURE = re.compile(
    r"\b(?:not sure|unsure|don'?t know|do not know|dunno|no idea|idk|skip|either|both|"
    r"undecided|not decided|haven'?t decided|whichever|no preference|doctor decides?|"
    r"let the doctor|other|neither|none)\b|^(?:no|nope|n/a|na|\?+)$",
    re.IGNORECASE,
)

_NEGATION = r"(?:don'?t|do not|dont|no|not|never|please don'?t|rather not)"
_CALL = r"(?:call(?:s|ing)?|phone(?: call)?s?(?!\s*(?:number|no\b|#))|ring|voice ?mail|voice)"
_TEXT = r"(?:text(?:s|ing)?|sms|txt|message(?:s)?|texting)"
_NO_CALL = re.compile(rf"\b{_NEGATION}\s+(?:\w+\s+)?{_CALL}\b", re.IGNORECASE)
_NO_TEXT = re.compile(rf"\b{_NEGATION}\s+(?:\w+\s+)?{_TEXT}\b", re.IGNORECASE)
_WANTS_CALL = re.compile(rf"\b{_CALL}\b", re.IGNORECASE)
_WANTS_TEXT = re.compile(rf"\b{_TEXT}\b", re.IGNORECASE)
_CONTACT_PREFERENCE = re.compile(
    r"\b(?:text|txt|call|phone|ring|sms)\s+me\b|\bby\s+(?:text|phone|sms|a call)\b|"
    r"\b(?:texting|a text|a call|phone call|text message)\b",
    re.IGNORECASE,
)
_ANY_WAY = re.compile(
    r"\b(?:either|both|any|anything|whichever|doesn'?t matter|does not matter|fine|ok|okay|"
    r"yes|yeah|yep|sure|of course|absolutely|that'?s fine|go ahead)\b",
    re.IGNORECASE,
)
_DECLINE = re.compile(
    r"^(?:no|nope|nah|no thanks?|no thank you)\W*$|\b(?:don'?t|do not|dont|never)\s+"
    r"(?:contact|call or text|text or call|reach)\b|\bneither\b",
    re.IGNORECASE,
)

_YES = re.compile(
    r"^(?:y|yes|yeah|yep|yup|sure|ok|okay|correct|right|that'?s right|that'?s correct|"
    r"looks good|all good|perfect|confirm(?:ed)?|send(?: it)?|yes,? send it|go ahead)\W*$",
    re.IGNORECASE,
)
_CHANGE = re.compile(
    r"\b(?:change|edit|fix|wrong|incorrect|mistake|not right|not correct|correction|update)\b|"
    r"^(?:no|nope|n)\W*$",
    re.IGNORECASE,
)

# Which answer a patient wants to change ("Phone number", "the times are wrong").
FIELD_WORDS = (
    ("name", re.compile(r"\bnames?\b", re.IGNORECASE)),
    ("phone", re.compile(r"\b(?:phone|number|cell|mobile)\b", re.IGNORECASE)),
    ("times", re.compile(r"\b(?:times?|days?|dates?|when|schedule|availability)\b",
                         re.IGNORECASE)),
    ("reason", re.compile(r"\b(?:procedure|reason|kypho\w*|vertebro\w*|treatment)\b",
                          re.IGNORECASE)),
    ("contact", re.compile(r"\b(?:contact|how (?:you|we)|texts?|calls?|sms)\b",
                           re.IGNORECASE)),
)

_CORRECTION = re.compile(
    r"\b(?:actually|instead|rather|change|changed|correction|wrong|mistake|oops|sorry|meant|"
    r"should be|update|not)\b",
    re.IGNORECASE,
)
_QUESTION_START = re.compile(
    r"^(?:what|what's|whats|how|why|when|where|who|which|is|are|am|do|does|did|can|could|"
    r"will|would|should|shall|may|might|has|have|tell me|explain)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Answer:
    """A reader's result: the value to store, or why the answer can't be used."""

    value: Optional[str] = None
    error: Optional[str] = None


def _tidy(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().strip(".,;:!").strip()


def _capitalise(name: str) -> str:
    if name != name.lower() and name != name.upper():
        return name  # the patient chose the capitals: keep them (McDonald, de la Cruz)
    return " ".join(part[:1].upper() + part[1:].lower() for part in name.split(" "))


def read_name(text: str) -> Answer:
    """The patient's full name: letters (any alphabet), spaces, ' - . only; two parts."""
    text = _tidy(_NAME_POLITENESS.sub("", _NAME_PREFIX.sub("", _tidy(text))))
    if not text:
        return Answer(error="empty")
    if any(ch.isdigit() for ch in text):
        return Answer(error="digits")
    if any(not (ch.isalpha() or ch in _NAME_PUNCTUATION) for ch in text):
        return Answer(error="symbols")
    words = text.replace(",", " ").split()
    if len(text) > MAX_NAME_CHARS or len(words) > MAX_NAME_WORDS:
        return Answer(error="long")
    if any(word.lower().strip(".'") in _NOT_NAME_WORDS for word in words):
        return Answer(error="not_a_name")
    if len([w for w in words if any(ch.isalpha() for ch in w)]) < 2:
        return Answer(error="one_word")
    return Answer(_capitalise(" ".join(words)))


def name_correction(text: str) -> Optional[str]:
    """A new name given in passing ("actually my name is Ana Ruiz"), if any."""
    match = _NAME_CORRECTION.search(_tidy(text))
    if not match:
        return None
    return read_name(match.group("name")).value


def read_procedure(text: str, entities: Iterable[str] = ()) -> Answer:
    """Which procedure the visit is about; "not sure" is a fine answer."""
    found = {value for value in entities if value in (KYPHOPLASTY, VERTEBROPLASTY)}
    found |= {value for value, pattern in _PROCEDURES if pattern.search(text)}
    if len(found) == 1 and not _UNSURE.search(text):
        return Answer(found.pop())
    if found or _UNSURE.search(_tidy(text)):
        return Answer(NOT_SURE)
    return Answer(error="unclear")


def mentions_procedure(text: str, entities: Iterable[str] = ()) -> bool:
    """True if the words name kyphoplasty or vertebroplasty."""
    return bool(set(entities) & {KYPHOPLASTY, VERTEBROPLASTY}) or any(
        pattern.search(text) for _, pattern in _PROCEDURES)


def read_contact(text: str, intent: str = "") -> Answer:
    """How the team may contact the patient: phone, text, either, or not at all."""
    text = _tidy(text)
    no_call, no_text = bool(_NO_CALL.search(text)), bool(_NO_TEXT.search(text))
    call = bool(_WANTS_CALL.search(_NO_CALL.sub(" ", text))) and not no_call
    sms = bool(_WANTS_TEXT.search(_NO_TEXT.sub(" ", text))) and not no_text
    if _DECLINE.search(text) or (no_call and no_text):
        return Answer(DECLINED)
    if call and sms:
        return Answer(BY_PHONE_OR_TEXT)
    if call or (no_text and not sms):
        return Answer(BY_PHONE)
    if sms or no_call:
        return Answer(BY_TEXT)
    if intent == "deny":
        return Answer(DECLINED)
    if intent == "affirm" or _ANY_WAY.search(text):
        return Answer(BY_PHONE_OR_TEXT)
    return Answer(error="unclear")


def mentions_contact_preference(text: str) -> bool:
    """True if the words say how to be contacted ("text me", "by phone")."""
    return bool(_CONTACT_PREFERENCE.search(text))


def read_confirmation(text: str, intent: str = "") -> Answer:
    """The answer to the read-back: send it, or change something."""
    text = _tidy(text)
    if intent == "affirm" or _YES.match(text):
        return Answer(YES)
    if intent == "deny" or _CHANGE.search(text):
        return Answer(CHANGE)
    return Answer(error="unclear")


def read_field(text: str) -> Answer:
    """Which answer the patient wants to change (name, phone, times, reason, contact)."""
    for field, pattern in FIELD_WORDS:
        if pattern.search(text):
            return Answer(field)
    return Answer(error="unclear")


def is_correction(text: str) -> bool:
    """True if the words signal a change to an earlier answer ("actually", "instead")."""
    return bool(_CORRECTION.search(text))


def is_question(text: str) -> bool:
    """True if the words read as a question rather than an answer."""
    text = _tidy(text)
    return text.endswith("?") or bool(_QUESTION_START.match(text))
