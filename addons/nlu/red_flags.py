"""Red-flag guard: a deterministic spaCy rule layer on every message.

A classifier miss can never hide a red flag: when the rules find one (and the router does
not all but rule it out, below), the message becomes
``urgent_symptom`` with the entities ``red_flag_level`` (``emergency``, ``crisis`` or
``urgent``: the staff alert's level) and ``safety_instruction`` (the level, ``_es`` added
when the message is in Spanish: the instruction's variant). The parse data carries the
matched words as evidence (``red_flag``). When only the classifier says
``urgent_symptom``, the level is the alarm-level classifier's (:mod:`addons.nlu.alarm_level`;
``urgent`` without it) -- unless the rules found the symptom words
and every one of them was negated, resolved, history or a general question ("no fever",
"is fever a common risk?"), or, with no words found, the message as a whole says so
("breathing is fine", "no fever"); then the message gets the suggestion menu
(``nlu_fallback``), never a low-confidence intent. Two message cues are weak and yield to
a classifier at least ``classifier_over_cue`` sure: a question, and a verb's "not" with
nothing denied ("he not feel it", "I don't see the point anymore"), where the negation
is the symptom; on the blind tuning sets this caught 21 more red flags for 1 more alarm.
The other message cues yield only to a classifier nearly certain
(``classifier_over_strong_cue``), since in a message of several parts a message-wide cue
is blind to which part it belongs to ("site looks ok. no cough" beside "febrile 38.7 w/
chills"); in a message of one part it is nearly final. The rules' own suppression of the
words they found yields to a sure classifier when the words were asked about
(:data:`OPEN_SUPPRESSIONS`); when they were denied, resolved or under the fever line, only
in a message of several parts ("no fever at all, but since this morning both feet feel
asleep"), never in one: the router was over 0.995 sure of "not short of breath at all,
walking fine" and "no swelling in my calves".
The router alone (no symptom words found) alarms only when at least
``classifier_alone_floor`` sure; below it the patient gets the suggestion menu.
The rules' finding yields only to a router that all but rules a red flag out: its best guess
is something else and it gives ``urgent_symptom`` under ``classifier_veto``
(``classifier_veto_crisis`` for a crisis finding; never in Spanish, where the router is
weaker). Out of fold on the training data and on ten blind sets, no red flag the rules
found had a router share under 0.05, while half the rules' false alarms were under 0.01
("is DVT a common problem?", "pt almost passed out at the cost estimate lol"). The patient
then gets the router's answer with the level's safety check after it ("if this is
happening now, call ..."), and no staff alert; ``red_flag`` keeps the finding and
``check`` for review. When the
classifier's best guess is something else, its share for ``urgent_symptom`` is
taken out and the rest renormalised, since the rules have ruled a red flag out
(:func:`discount_alarm_class`). An alarm on a message written in Spanish (Spanish rules,
the router's ``spanish`` intent, or Spanish function words) gets the Spanish instruction.
A sentence the crisis classifier (:mod:`addons.nlu.crisis`) flags makes a crisis alarm
unless the rules found an emergency, which outranks it; its sentence is the evidence.
Place after the router and the crisis classifier, before the fallback classifier.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.utils.spacy_utils import SpacyModel, SpacyNLP
from rasa.shared.nlu.training_data.message import Message

from addons.nlu.alarm_level import LEVEL_KEY
from addons.nlu.crisis import CRISIS_KEY
from addons.safety.cues import OPEN_SUPPRESSIONS, WEAK_CUES
from addons.safety.detector import CRISIS, URGENT, Assessment, RedFlagDetector
from addons.safety.language import looks_spanish
from addons.safety.level_model import most_likely
from addons.safety.wording import several_parts
from clinic.vocabulary import FALLBACK_INTENT, URGENT_INTENT

SPANISH_INTENT = "spanish"
LEVEL_ENTITY = "red_flag_level"
INSTRUCTION_ENTITY = "safety_instruction"
SPACY_DOC = "text_spacy_doc"


def _confidence(message: Message) -> float:
    """The confidence of the message's current intent (0 when there is none)."""
    return float((message.get("intent") or {}).get("confidence") or 0.0)


def _set_intent(message: Message, name: str, confidence: float) -> None:
    ranking = [r for r in message.get("intent_ranking") or [] if r.get("name") != name]
    message.set("intent", {"name": name, "confidence": confidence}, add_to_output=True)
    message.set(
        "intent_ranking", [{"name": name, "confidence": confidence}, *ranking], add_to_output=True
    )


def _alarm_share(message: Message) -> float:
    """The router's probability for ``urgent_symptom`` (0 when outside its ranking)."""
    ranking = message.get("intent_ranking") or []
    return next((float(r["confidence"]) for r in ranking if r.get("name") == URGENT_INTENT), 0.0)


def discount_alarm_class(message: Message) -> None:
    """Condition the classifier on the rules' "no red flag": drop ``urgent_symptom``'s share.

    Every other intent and answer keeps its rank; its probability becomes
    p / (1 - p(urgent_symptom)). The fallback classifier (after this component) then judges
    the answer on that.
    """
    ranking = list(message.get("intent_ranking") or [])
    urgent = _alarm_share(message)
    if not 0.0 < urgent < 1.0:
        return
    scale = 1.0 / (1.0 - urgent)
    rest = [{**r, "confidence": float(r["confidence"]) * scale}
            for r in ranking if r.get("name") != URGENT_INTENT]
    if not rest:
        return
    message.set("intent_ranking", rest, add_to_output=True)
    message.set("intent", dict(rest[0]), add_to_output=True)
    selected = ((message.get("response_selector") or {}).get("faq")) or {}
    if isinstance(selected.get("response"), dict):
        response = selected["response"]
        response["confidence"] = float(response.get("confidence") or 0.0) * scale
        for item in selected.get("ranking") or []:
            item["confidence"] = float(item.get("confidence") or 0.0) * scale


def _entity(name: str, value: str, span: Tuple[int, int], extractor: str) -> Dict[str, Any]:
    return {"entity": name, "value": value, "start": span[0], "end": span[1],
            "extractor": extractor}


def _alarm(
    message: Message, assessment: Assessment, level: str, spanish: bool,
    span: Optional[Tuple[int, int]] = None,
) -> None:
    """Route to ``urgent_symptom`` (certain: nothing else keeps a share) with the entities.

    ``spanish``: already known to be Spanish; otherwise the words decide (only here, on an
    alarm, since no other answer needs it).
    """
    others = [
        {**r, "confidence": 0.0} for r in message.get("intent_ranking") or []
        if r.get("name") != URGENT_INTENT
    ]
    message.set("intent", {"name": URGENT_INTENT, "confidence": 1.0}, add_to_output=True)
    message.set(
        "intent_ranking", [{"name": URGENT_INTENT, "confidence": 1.0}, *others],
        add_to_output=True,
    )
    evidence = [f for f in assessment.findings if f.level == level]
    text = str(message.get("text") or "")
    if span is None:
        span = (evidence[0].start, evidence[0].end) if evidence else (0, len(text))
    instruction = f"{level}_es" if spanish or looks_spanish(text) else level
    kept = [
        e for e in message.get("entities") or []
        if e.get("entity") not in (LEVEL_ENTITY, INSTRUCTION_ENTITY)
    ]
    kept += [
        _entity(LEVEL_ENTITY, level, span, RedFlagGuard.__name__),
        _entity(INSTRUCTION_ENTITY, instruction, span, RedFlagGuard.__name__),
    ]
    message.set("entities", kept, add_to_output=True)


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False, model_from="SpacyNLP"
)
class RedFlagGuard(GraphComponent):
    """Deterministic red-flag layer over the classifier (see module docstring)."""

    @classmethod
    def required_components(cls) -> List[type]:
        """Needs the spaCy docs made by ``SpacyNLP``."""
        return [SpacyNLP]

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        """Two thresholds for classifier-only alarms.

        ``classifier_over_cue``: how sure the router must be to outweigh a weak message cue;
        ``classifier_over_strong_cue``: any other message cue in a message of several
        parts, ``classifier_over_single_part_cue`` in a message of one;
        ``classifier_over_rules``: the rules' own suppression of words they found asked
        about; ``classifier_over_denial``: of words denied, resolved or under the fever line,
        in a message of several parts (in a message of one, the denial is final);
        ``classifier_alone_floor``: how sure the router must be to alarm on a message the
        rules found no symptom words in; ``crisis_level_floor``: the crisis model's
        sentence score below which such an alarm cannot be a crisis; ``classifier_veto``
        (``classifier_veto_crisis``): the router's ``urgent_symptom`` share under which the
        rules' finding becomes a safety check instead of an alarm.
        """
        return {"classifier_over_cue": 0.97, "classifier_over_strong_cue": 0.99,
                "classifier_over_single_part_cue": 0.997, "classifier_over_rules": 0.99,
                "classifier_over_denial": 0.995, "classifier_alone_floor": 0.8,
                "crisis_level_floor": 0.3, "classifier_veto": 0.01,
                "classifier_veto_crisis": 0.002}

    def __init__(self, config: Optional[Dict[str, Any]] = None) -> None:
        """The detector is built on first use, with the loaded pipeline's vocabulary."""
        settings = {**self.get_default_config(), **(config or {})}
        self._over_cue = float(settings["classifier_over_cue"])
        self._over_strong_cue = float(settings["classifier_over_strong_cue"])
        self._over_single_cue = float(settings["classifier_over_single_part_cue"])
        self._over_rules = float(settings["classifier_over_rules"])
        self._over_denial = float(settings["classifier_over_denial"])
        self._alone_floor = float(settings["classifier_alone_floor"])
        self._crisis_floor = float(settings["crisis_level_floor"])
        self._veto = float(settings["classifier_veto"])
        self._veto_crisis = float(settings["classifier_veto_crisis"])
        self._detectors: List[Tuple[Any, RedFlagDetector]] = []  # (vocab, detector)

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> RedFlagGuard:
        """Create the component (nothing to train)."""
        return cls(config)

    def _detect(self, doc: Any) -> RedFlagDetector:
        """The detector for the document's vocabulary; the newest two are kept.

        The pipeline may have been loaded again since (``addons.nlu.spacy_bounded``).
        """
        vocab = doc.vocab
        for known, detector in self._detectors:
            if known is vocab:
                return detector
        detector = RedFlagDetector.from_file(vocab)
        self._detectors = [(vocab, detector), *self._detectors][:2]
        return detector

    def process(self, messages: List[Message], model: SpacyModel) -> List[Message]:
        """Assess every message and route red flags to ``urgent_symptom``."""
        for message in messages:
            doc = message.get(SPACY_DOC)
            if doc is None:
                continue
            assessment = self._detect(doc).assess(doc)
            message.set("red_flag", assessment.as_dict(), add_to_output=True)
            intent = (message.get("intent") or {}).get("name")
            spanish = assessment.spanish or intent == SPANISH_INTENT
            crisis = message.get(CRISIS_KEY) or {}
            if crisis.get("flagged") and assessment.level in (None, URGENT):
                self._crisis_alarm(message, assessment, crisis, spanish)
            elif assessment.level is not None and self._vetoed(message, assessment, spanish):
                message.set("red_flag", {**assessment.as_dict(), "check": assessment.level},
                            add_to_output=True)
                discount_alarm_class(message)
            elif assessment.level is not None:
                _alarm(message, assessment, assessment.level, spanish)
            elif intent == URGENT_INTENT and (
                self._ruled_out(message, assessment, doc, model) or self._unsure(message)
            ):
                _set_intent(message, FALLBACK_INTENT, 0.0)
            elif intent == URGENT_INTENT:  # the level model's verdict, else the urgent line
                _alarm(message, assessment, self._classifier_level(message), spanish)
            else:
                discount_alarm_class(message)
        return messages

    def _classifier_level(self, message: Message) -> str:
        """The level model's verdict; crisis only when the crisis model half agrees.

        Alone, the level model read farewells ("that will be all for today, goodbye") and a
        misspelled wound ("incison leeking yelow stuff") as crisis; their sentences scored
        under 0.15 with the crisis model, true crisis statements it missed 0.13-0.51.
        """
        levels = dict(message.get(LEVEL_KEY) or {})
        score = (message.get(CRISIS_KEY) or {}).get("score")
        if float(score or 0.0) < self._crisis_floor:
            levels.pop(CRISIS, None)
        return most_likely(levels, URGENT)

    def _vetoed(self, message: Message, assessment: Assessment, spanish: bool) -> bool:
        """Whether the router all but rules out the red flag the rules found (docstring)."""
        intent = (message.get("intent") or {}).get("name")
        if spanish or intent == URGENT_INTENT or looks_spanish(str(message.get("text") or "")):
            return False
        crisis = any(f.level == CRISIS for f in assessment.findings)
        return _alarm_share(message) < (self._veto_crisis if crisis else self._veto)

    def _unsure(self, message: Message) -> bool:
        """Whether the router alone is too unsure to alarm (the rules found no words).

        On the blind tuning sets every red flag the router alone caught was over 0.94 sure;
        under 0.8 it alarmed only on look-alikes ("good am, home health RN here", "my back
        pain is why i'm getting kyphoplasty"). The patient gets the suggestion menu, where
        the symptom topic is one of the choices.
        """
        return _confidence(message) < self._alone_floor

    def _ruled_out(
        self, message: Message, assessment: Assessment, doc: Any, model: SpacyModel
    ) -> bool:
        """Whether the rules overrule the classifier's ``urgent_symptom``.

        The message cue found (if any) is kept in the parse's ``red_flag`` for review.
        """
        confidence = _confidence(message)
        if assessment.suppressed:
            if {f.suppressed_by for f in assessment.suppressed} <= OPEN_SUPPRESSIONS:
                return confidence < self._over_rules
            return not several_parts(doc) or confidence < self._over_denial
        cue = self._detect(doc).message_cue(doc)
        if cue is None:
            return False
        message.set("red_flag", {**(message.get("red_flag") or {}), "cue": cue},
                    add_to_output=True)
        if cue in WEAK_CUES:
            return confidence < self._over_cue
        over = self._over_strong_cue if several_parts(doc) else self._over_single_cue
        return confidence < over

    @staticmethod
    def _crisis_alarm(
        message: Message, assessment: Assessment, crisis: Dict[str, Any], spanish: bool
    ) -> None:
        """A crisis the classifier found: its sentence is the evidence the alert shows."""
        red_flag = dict(message.get("red_flag") or {})
        red_flag.update({
            "level": CRISIS,
            "concepts": sorted({*red_flag.get("concepts", []), CRISIS}),
            "evidence": [*red_flag.get("evidence", []), str(crisis.get("sentence") or "")],
            "crisis_score": crisis.get("score"),
        })
        message.set("red_flag", red_flag, add_to_output=True)
        span = (int(crisis.get("start") or 0), int(crisis.get("end") or 0))
        _alarm(message, assessment, CRISIS, spanish, span)
