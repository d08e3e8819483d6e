"""Personal data in patient messages: where it is, and stand-ins for training data.

What is recognised (see ``docs/privacy.md`` for the measured recall):

- phone numbers (Google's libphonenumber via ``phonenumbers``, plus any run of 7-15 digits),
  e-mail addresses;
- street addresses: a number + street name + street type ("22 oak street", "1420 N Maple
  Ave Apt 3B, Dayton OH 45402"), PO boxes, ZIP codes after a state;
- dates with a day: "3/14/1948", "March 14 1948", "14th of March", "dob 03-14-48",
  "june 5th", "on the 12th" (a year alone or an age is not personal data here);
- person names (:mod:`clinic.pii.names`): after a cue ("I'm Rosa Diaz", "this is robert
  brown", "my daughter Keisha", "Mrs. O'Neill", "- Tom"), or by the name list;
- any value the patient gave the booking form (name, phone), which the caller passes as
  ``known``. Conversation ids that are phone numbers (SMS) are masked too.

:func:`personal_data` finds the spans and :func:`replace` swaps them for a value per kind:
:func:`scrub_for_training` puts neutral stand-ins (``Alex Smith``, ``555-0100``, ...), so
exported training examples still read like real messages; the console puts ``[name]``,
``[phone]`` ... for display.
"""

from __future__ import annotations

import re
from typing import Iterable, List, Mapping, Pattern, Tuple

import phonenumbers

from clinic.pii.names import name_spans

# Slots whose values are the patient's personal data (the booking form).
PII_SLOTS = ("appointment_name", "appointment_phone", "appointment_phone_display")

_MONTHS = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"
_YEAR = r"(?:(?:19|20)\d{2}|'\d{2})"

EMAIL: Pattern[str] = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.IGNORECASE)
_MESES = (r"(?:enero|febrero|marzo|abril|mayo|junio|julio|agosto|sept?iembre|setiembre|"
          r"octubre|noviembre|diciembre|janeiro|fevereiro|março|maio|junho|julho|setembro|"
          r"outubro|novembro|dezembro)")
_ORDINAL_WORDS = (
    r"(?:(?:twenty|thirty)[\s-])?(?:first|second|third|fourth|fifth|sixth|seventh|eighth|"
    r"ninth|tenth|eleventh|twelfth|thirteenth|fourteenth|fifteenth|sixteenth|seventeenth|"
    r"eighteenth|nineteenth|twentieth|thirtieth)")
DATE: Pattern[str] = re.compile(
    r"\b(?:(?:19|20)\d{2}([/.-])\d{1,2}\1\d{1,2}"
    r"|(?:1[3-9]|2\d|3[01])([/.-])(?:0?[1-9]|1[0-2])\2(?:\d{4}|\d{2})"
    r"|(?:lunes|martes|jueves|viernes|domingo)\s+\d{1,2}\b(?!\s*(?:de\b|/|:|\d))"
    rf"|\d{{1,2}}\s+de\s+{_MESES}(?:,?\s+(?:(?:de|del)\s+)?\d{{4}})?"
    rf"|(?:the\s+)?{_ORDINAL_WORDS}\s+of\s+{_MONTHS}\b(?:,?\s+{_YEAR})?"
    rf"|{_MONTHS}\s+(?:the\s+)?{_ORDINAL_WORDS}\b(?:,?\s+{_YEAR})?"
    r"|(?:0?[1-9]|1[0-2])([/.-])(?:[12]\d|3[01]|0?[1-9])\3(?:\d{4}|\d{2})(?![\d/.-]*\d)"
    r"|(?<![\d.-])(?:1[3-9]|2\d|3[01])/(?:0?[1-9]|1[0-2])(?![\d/.-]*\d)"
    r"|(?:\d{4}年)?\d{1,2}月\d{1,2}[日号號]|(?:\d{4}년\s*)?\d{1,2}월\s*\d{1,2}일"
    r"|tháng\s+\d{1,2}(?:\s+năm\s+\d{4})?"
    r"|\d{1,2}\s+(?:января|февраля|марта|апреля|мая|июня|июля|августа|сентября|октября|"
    r"ноября|декабря|janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|"
    r"novembre|décembre|stycznia|lutego|marca|kwietnia|maja|czerwca|lipca|sierpnia|"
    r"września|października|listopada|grudnia|januar|februar|märz|juni|juli|oktober|"
    r"dezember|gennaio|febbraio|aprile|maggio|giugno|luglio|settembre|ottobre|dicembre|"
    r"січня|лютого|березня|квітня|травня|червня|липня|серпня|вересня|жовтня|листопада|"
    r"грудня)\b(?:\s+\d{4})?"
    rf"|{_MONTHS}\.?\s+(?:of\s+)?(?:'\d{{2}}|(?:19|20)\d{{2}})\b"
    r"|(?<![\d.-])(?:0?[1-9]|1[0-2])/(?:[12]\d|3[01]|0?[1-9])(?![\d/.-]*\d)"
    r"|(?:19|20)\d{2}-\d{1,2}-\d{1,2}"
    rf"|{_MONTHS}\.?\s+(?:the\s+)?{_DAY}\b(?:,?\s+{_YEAR})?"
    rf"|(?:the\s+)?{_DAY}\s+(?:of\s+)?{_MONTHS}\b\.?(?:,?\s+(?:of\s+)?{_YEAR})?"
    rf"|\bthe\s+{_DAY}(?<=st|nd|rd|th)\b(?!\s+(?:floor|fl\b|time|grade|level|round|dose|"
    r"visit|week|day|attempt|try|one|place|try|vertebra|surgery|procedure))"
    r"(?:\s+of\s+(?:this|next|last)\s+month)?)",
    re.IGNORECASE,
)
# A weekday (and "next", "the") in front of a date belongs to it: "Thursday, January 9".
_WEEKDAY_BEFORE = re.compile(
    r"(?:\b(?:next|this|last|on|el)\s+)?\b(?:(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)"
    r"(?:day|sday|nesday|rsday|urday)?|lunes|martes|mi[ée]rcoles|jueves|viernes|s[áa]bado|"
    r"domingo)\.?,?\s+(?:the\s+)?$", re.IGNORECASE)
# A date of birth after its cue in any digits: "dob 081544", "dob is 3 1 41".
DOB: Pattern[str] = re.compile(
    r"\b(?:dob|d\.o\.b|born|bday|birthday|birthdate)[\s:.]+(?:is\s+|on\s+)?"
    r"(?P<date>\d{1,2}[\s/.-]?\d{1,2}[\s/.-]?(?:\d{4}|\d{2}))\b", re.IGNORECASE)
# Without a year, "4/5" after "strength" or "pain" is a score, not a date ("11/10" is not).
_SCORE = re.compile(r"^(?:[0-5]/5|(?:10|0?\d)/10)$")
# "23.04" (day.month, no year) is a date only after a date's words: "appointment 23.04".
_DAY_DOT_MONTH = re.compile(
    r"(?<![\d.,])(?:[12]\d|3[01]|0?[1-9])\.(?:0[1-9]|1[0-2])(?![\d]|[.,]\d)")
_SCORE_WORDS = (r"pain|painful|hurts?|ache|aching|sore|strength|strong|score|scale|rate|rated|"
                r"rating|motor|power|quads?|grip|flexion|extension|weak|weakness|ble|bue|rle|"
                r"lle|rue|lue|eva|vas|nrs|level|bilat|legs|arms|->|\d/(?:5|10)\b")
_SCORE_BEFORE = re.compile(rf"(?:{_SCORE_WORDS})[^.;!?\n]{{0,40}}$", re.IGNORECASE)
# ... and after these it is a date: "appt 2/10", "can we do 12/3 or 12/5".
_DATE_BEFORE = re.compile(
    r"(?:\b(?:on|appt|appointment|date|dated|dob|born|due|until|till|by|from|since|before|"
    r"after|scheduled|sched|moved?|resched\w*|cancel\w*|come|see|visit|mon|tue|tues|wed|"
    r"thu|thur|thurs|fri|sat|sun|\w+day)|\d/\d{1,2}\s+(?:or|and|to|-))\s*$", re.IGNORECASE)
_SCORE_AFTER = re.compile(rf"^[^.;!?\n]{{0,20}}(?:{_SCORE_WORDS})", re.IGNORECASE)
# 7 to 15 digits, optionally with +, spaces, dots, dashes and brackets between them.
PHONE: Pattern[str] = re.compile(r"(?<![\w/])\+?\(?\d(?:[\s().-]{0,2}\d){6,14}(?![\w/])")
_STREET_TYPES = (
    r"street|st|avenue|ave|av|road|rd|lane|ln|drive|dr|boulevard|blvd|court|ct|way|place|pl|"
    r"circle|cir|parkway|pkwy|highway|hwy|terrace|ter|trail|trl|pike|route|rte|alley|"
    r"crossing|xing|run|loop|row|path|pass|ridge|bend|point"
)
# Street names that come first: "1540 W Calle Guadalupe", "2 Via Entrada".
_STREET_PREFIXES = (r"calle|camino|via|avenida|paseo|callejon|plaza|rancho|vista|cerrada|"
                    r"rue|chemin")
_STATES = (
    r"alabama|alaska|arizona|arkansas|california|colorado|connecticut|delaware|florida|"
    r"georgia|hawaii|idaho|illinois|indiana|iowa|kansas|kentucky|louisiana|maine|maryland|"
    r"massachusetts|michigan|minnesota|mississippi|missouri|montana|nebraska|nevada|"
    r"new\s+hampshire|new\s+jersey|new\s+mexico|new\s+york|north\s+carolina|north\s+dakota|"
    r"ohio|oklahoma|oregon|pennsylvania|rhode\s+island|south\s+carolina|south\s+dakota|"
    r"tennessee|texas|utah|vermont|virginia|washington|west\s+virginia|wisconsin|wyoming|"
    r"A[KLRZ]|C[AOT]|D[CE]|FL|GA|HI|I[ADLN]|K[SY]|LA|M[ADEINOST]|N[CDEHJMVY]|O[HKR]|PA|RI|"
    r"S[CD]|T[NX]|UT|V[AT]|W[AIVY]")
_STATE = (rf"(?:(?:{_STATES})\b|[A-Z]\.\s?[A-Z]\.|tex\.|calif\.|fla\.|ariz\.|mass\.|"
          r"penn\.|wash\.|mich\.|minn\.|wis\.|ill\.|colo\.|okla\.|tenn\.|ala\.|miss\.|ky\.)")
_TOWN = (rf"(?:,?\s+[a-z][a-z .'-]{{1,30}}?,?\s+(?:{_STATE}\.?\s*)?\d{{5}}(?:-\d{{4}})?"
         rf"|,?\s+[A-Za-z][a-z]+(?:\s+[A-Za-z][a-z]+){{0,2}},?\s+{_STATE}\.?"
         r"(?:\s*\d{5}(?:-\d{4})?)?"
         r"|,\s+[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?(?=\s*(?:[.,;!?]|$)))?")
RURAL: Pattern[str] = re.compile(
    r"\b(?:(?:rural|star)\s+route\s*\d+,?(?:\s*box\s+\d+)?|(?:rr|hc|route)\s*\d+,?\s*box\s+\d+)"
    r"(?:,?\s+[A-Za-z][a-z]+(?:\s+[A-Z][a-z]+)?(?:,?\s+[A-Z]{2})?(?:\s+\d{5})?)?",
    re.IGNORECASE)
_DIR = r"(?:north|south|east|west|ne|nw|se|sw|n|s|e|w)\.?"
# "45-210", "W5612", "N89W16785", "410 1/2"
_NUMBER = r"(?:[nsew]\d{2,6}(?:[nsew]\d{2,6})?|\d{1,6}(?:-\d{1,4})?[a-z]?(?:\s+1/2)?)"
_WORDS = r"(?:[a-z0-9'’.-]{2,}\s+){1,4}?"
# numbered roads: "Hwy 35 N", "US-40", "FM 1960 Rd W", "County Road 450 E", "Avenue K"
_ROAD = (r"(?:(?:us|state|county|farm\s+to\s+market)\s*-?\s*)?"
         r"(?:route|road|rd|hwy|highway|rte|rt|fm|cr|sr|interstate|i(?=-?\d)|avenue|ave)\s*-?\s*"
         r"(?:\d{1,4}[a-z]?|[a-z])\b")
_UNIT = (r"(?:,?\s*(?:apt|apartment|apartamento|apto|unit|suite|ste|bldg|building|trlr|"
         r"trailer|lot|space|spc|room|rm|fl|floor|#|no\.?)\.?\s*#?[\w-]+"
         r"|,?\s*\d+(?:st|nd|rd|th)\s+(?:fl|floor)\b\.?)*")
STREET: Pattern[str] = re.compile(
    rf"\b{_NUMBER}\s+(?:{_DIR}\s+)?"
    rf"(?:(?P<name>{_WORDS})(?:{_STREET_TYPES})\b\.?(?:\s+(?:{_STREET_TYPES})\b\.?)?"
    rf"|(?:{_STREET_PREFIXES})\s+(?P<prefixed>(?:[a-z0-9'’-]{{2,}}[ \t]*){{1,3}})"
    rf"|{_ROAD}(?:\s+(?:{_WORDS})?(?:{_STREET_TYPES})\b\.?)?"
    rf"|\d{{1,5}}\s+{_DIR}(?=[\s,]))"
    rf"(?:\s+{_DIR}(?=[\s,.]|$))?(?:\s+\d{{1,4}}\b)?" + _UNIT + _TOWN,
    re.IGNORECASE,
)
# Words that show a number + "... drive/way/court" is not a street ("a 90 min drive").
_NOT_STREET = frozenset("""
min mins minute minutes hour hours hr hrs mile miles km mg ml year years yr yrs day days week
weeks month months times and or the to of was is are a an i my me you your by in on at for it
""".split())
PO_BOX: Pattern[str] = re.compile(r"\b(?:p\.?\s*o\.?|post\s+office)\s*box\s+\d+" + _TOWN,
                                  re.IGNORECASE)
ZIP: Pattern[str] = re.compile(r"\b[A-Z]{2}\s+\d{5}(?:-\d{4})?\b")

STAND_INS = {"phone": "555-0100", "email": "patient@example.com", "address": "100 Main Street",
             "date": "01/02/1960", "name": "Alex Smith"}

Found = Tuple[int, int, str]  # start, end, kind


def _known_spans(text: str, known: Iterable[str]) -> List[Found]:
    """The form values (exact, whole words, case-insensitive): digits mean a phone number."""
    found: List[Found] = []
    for value in {v.strip() for v in known if v and len(v.strip()) >= 2}:
        kind = "phone" if any(c.isdigit() for c in value) else "name"
        pattern = re.compile(rf"(?<!\w){re.escape(value)}(?!\w)", re.IGNORECASE)
        found += [(m.start(), m.end(), kind) for m in pattern.finditer(text)]
    return found


def _phone_spans(text: str) -> List[Found]:
    found = [(m.start(), m.end(), "phone") for m in PHONE.finditer(text)]
    matcher = phonenumbers.PhoneNumberMatcher(text, "US", leniency=phonenumbers.Leniency.POSSIBLE)
    found += [(m.start, m.end, "phone") for m in matcher]
    return found


def _address_spans(text: str) -> List[Found]:
    found: List[Found] = [
        (m.start(), m.end(), "address") for m in STREET.finditer(text)
        if not _NOT_STREET.intersection(
            (m.group("name") or m.group("prefixed") or "").lower().split())]
    for pattern in (PO_BOX, ZIP, RURAL):
        found += [(m.start(), m.end(), "address") for m in pattern.finditer(text)]
    return found


def _date_spans(text: str) -> List[Found]:
    found = [(m.start(), m.end(), "date") for m in DATE.finditer(text)
             if not (_SCORE.match(m.group(0)) and _is_score(text, m.start(), m.end()))]
    found += [(m.start("date"), m.end("date"), "date") for m in DOB.finditer(text)]
    found += [(m.start(), m.end(), "date") for m in _DAY_DOT_MONTH.finditer(text)
              if _DATE_BEFORE.search(text[max(0, m.start() - 30):m.start()])]
    return [_with_weekday(text, span) for span in found]


def _is_score(text: str, start: int, end: int) -> bool:
    """Whether "7/10" or "4/5" at ``start:end`` is a score rather than a date.

    A score by the words around it ("pain", "strength"), else unless a date's words come
    right before it ("appt", "on", a weekday).
    """
    if _SCORE_BEFORE.search(text[:start]) or _SCORE_AFTER.search(text[end:]):
        return True
    return not _DATE_BEFORE.search(text[max(0, start - 30):start])


def _with_weekday(text: str, span: Found) -> Found:
    weekday = _WEEKDAY_BEFORE.search(text[max(0, span[0] - 30):span[0]])
    return (span[0] - len(weekday.group(0)), span[1], span[2]) if weekday else span


def personal_data(text: str, known: Iterable[str] = ()) -> List[Found]:
    """Non-overlapping spans of personal data in ``text``, in order.

    Where two findings overlap, the longer one wins (an address that contains a name, a
    date inside a phone-like run of digits).
    """
    found = (_known_spans(text, known) + [(m.start(), m.end(), "email")
                                          for m in EMAIL.finditer(text)]
             + _address_spans(text) + _phone_spans(text) + _date_spans(text)
             + [(start, end, "name") for start, end in name_spans(text)])
    chosen: List[Found] = []
    for span in sorted(found, key=lambda f: (f[0] - f[1], f[0])):  # longest first
        if all(span[1] <= c[0] or span[0] >= c[1] for c in chosen):
            chosen.append(span)
    return sorted(chosen)


def replace(text: str, known: Iterable[str], values: Mapping[str, str]) -> str:
    """``text`` with each span of personal data replaced by ``values[kind]``."""
    out, last = [], 0
    for start, end, kind in personal_data(text, known):
        out += [text[last:start], values[kind]]
        last = end
    return "".join(out) + text[last:]


def scrub_for_training(text: str, known: Iterable[str] = ()) -> str:
    """``text`` with personal data replaced by neutral stand-ins (for NLU training data)."""
    return replace(text or "", known, STAND_INS)


def mask_conversation_id(conversation_id: str) -> str:
    """A conversation id safe to list: phone numbers keep only their last 2 digits."""
    digits = re.sub(r"\D", "", conversation_id or "")
    if PHONE.fullmatch(conversation_id or "") or (
        conversation_id.startswith("+") and len(digits) >= 7
    ):
        return f"+{'•' * max(len(digits) - 2, 1)}{digits[-2:]}"
    if EMAIL.search(conversation_id or ""):
        return "[email]"
    return conversation_id
