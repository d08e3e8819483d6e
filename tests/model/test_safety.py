"""Red-flag safety: recall 1.0 with the right level, <= 5 % false alarms on look-alikes."""

from __future__ import annotations

from pathlib import Path

import pytest

from scripts.nlu_eval import load_agent, predict
from scripts.safety_eval import (
    detector_assessor,
    detector_judge,
    evaluate,
    load_safety_set,
    model_level,
)
from spacy_pipeline.build import build
from tests.conftest import MODEL_PATH

MAX_FALSE_ALARMS = 0.05


@pytest.fixture(scope="module")
def data():
    loaded = load_safety_set()
    assert len(loaded["red_flags"]) >= 80 and len(loaded["look_alikes"]) >= 80
    assert {i["level"] for i in loaded["red_flags"]} == {"emergency", "urgent"}
    return loaded


@pytest.fixture(scope="module")
def judge(tmp_path_factory: pytest.TempPathFactory):
    return detector_judge(build(Path(tmp_path_factory.mktemp("spacy")) / "en_clinic"))


def test_rule_layer_catches_every_red_flag_at_its_level(judge, data):
    result = evaluate(judge, data)
    assert not result.missed
    assert not result.wrong_level
    assert result.false_alarm_rate <= MAX_FALSE_ALARMS, result.false_alarms


@pytest.mark.parametrize(
    "text,level",
    [
        ("i had kyphoplasty tuesday and now i cant feel my legs", "emergency"),
        ("my husband passed out after his vertebroplasty", "emergency"),
        ("temp 102.5 since the procedure", "urgent"),
        ("38.9 C this morning", "urgent"),
        ("the needle site is red and oozing", "urgent"),
        ("fever 102 and i cant breathe", "emergency"),
        ("my moms calf is swolen and really painfull", "urgent"),
        ("her incision is swolen and red", "urgent"),
        ("wait she cant pee since this morning", "emergency"),
        ("he's been unable to urinate all day", "emergency"),
        ("will i be able to pee normally after kyphoplasty?", None),
        ("is a swollen calf a risk after kyphoplasty?", None),
        ("no fever", None),
        ("i don't have chest pain", None),
        ("is fever a risk?", None),
        ("what if the cement leaks?", None),
        ("I had a fever last year", None),
        ("temp is 98.6, all normal", None),
        ("if i get a fever should i call?", None),
        ("I can breathe fine", None),
    ],
)
def test_rule_layer_examples(judge, text, level):
    assert judge(text) == level


@pytest.mark.parametrize(
    "text,level",
    [
        # described, not named
        ("her left calf is puffy and sore", "urgent"),
        ("the bandage is soaked with yellow fluid and it smells bad", "urgent"),
        ("she's had accidents all day, can't feel when she needs to go", "emergency"),
        ("pt s/p kypho L1, c/o bilat LE weakness since 0600", "emergency"),
        ("his legs won't hold him up since this morning", "emergency"),
        # a red flag inside a question still alarms; a question about a topic does not
        ("my chest feels heavy and it goes into my left arm -- is this from the surgery??",
         "emergency"),
        ("is it normal that my legs went numb this morning?", "urgent"),
        ("is numbness a common side effect of kyphoplasty?", None),
        ("can the anesthesia make you short of breath?", None),
        # negation, "can't" and history attach to their own mention only
        ("no fever but her legs went numb an hour ago", "urgent"),
        ("i can't sleep and my chest hurts", "emergency"),
        ("had a fever last week, gone now", None),
        ("I've had numb feet for 20 years from my diabetes", None),
        ("my mom is clutching her chest, she had vertebroplasty last week", "emergency"),
        # a reading in the fever range near a temperature word or shivering, typed or dictated
        ("checked it and the thermometer finally reads 38.9, she is shivering", "urgent"),
        ("102.1 n shivering all nite", "urgent"),
        ("his temperature is a hundred and two and he wont eat", "urgent"),
        ("the thermometer reads 100.2 this morning", None),
        ("he has chills since lunch, we measured 37.4", None),
        # crisis statements, also in a question or an "if"
        ("I want to kill myself", "crisis"),
        ("i dont want to wake up tomorrow", "crisis"),
        ("if this pain doesn't stop I'd rather be dead", "crisis"),
        ("is it normal to feel like ending my life after surgery?", "crisis"),
        ("I'm not suicidal, just frustrated with the pain", None),
        ("I don't want to die during the procedure, is it safe?", None),
    ],
)
def test_rule_layer_generalises(judge, text, level):
    assert judge(text) == level


@pytest.mark.parametrize(
    "text,level",
    [
        ("my wife is not able to pee since this morning", "emergency"),
        ("he hasn't been able to hold his water since lunch", "emergency"),
        ("next thing i knew i was lying on the bathroom floor", "emergency"),
        ("grandpa won't really wake up, he just mumbles", "emergency"),
        ("she fell down like asleep and did not answer me", "emergency"),
        ("both my feet have fallen asleep and it won't come back", "urgent"),
        ("the dressing is full of blood this morning", "urgent"),
        ("blood from the little hole in my back", "urgent"),
        ("there is yellow stuff coming out of the needle spot", "urgent"),
        ("the spot on his lower back is oozing again", "urgent"),
        ("my dad says he wants to kill himself", "crisis"),
        ("i have put my affairs in order and said goodbye", "crisis"),
        ("no le encuentro sentido a vivir", "crisis"),
        ("todos estarían mejor sin mí", "crisis"),
        ("no fever, no problem with the urine, walking well", None),
        ("i almost passed out when i saw the bill", None),
        ("my friend told me her legs went numb after her kyphoplasty", None),
        ("i had a nightmare that i could not move my legs", None),
        ("i am anxious about paralysis, what are the odds", None),
        ("had a small fever the first evening, it was gone by morning", None),
        ("my fever is finished now, can i book the procedure", None),
        ("my feet have been numb for like years because of my diabetes", None),
        ("my legs always go numb when i kneel in the garden", None),
        ("he fainted once in a hospital years back, will he be sedated", None),
        ("could my legs go numb after the cement?", None),
        ("my mom is going to kill herself cleaning the house before the surgery", None),
        ("i dont know if you need my insurance card", None),
        ("the dressing got soaked in the shower, should i change it", None),
        ("this paperwork has my blood pressure through the roof", None),
        ("pt had syncope in 2019 (vasovagal), no recurrence. GA or MAC?", None),
        ("her back pain suddenly went through the roof today", "urgent"),
        ("i saw blood soaking through the bandage in the shower", "urgent"),
        ("i dont know if i wet myself, cant feel anything down there", "emergency"),
        ("he got dizzy and went down in the hallway, came round after a few seconds", "emergency"),
        ("the spot where they put the needle in is red and hot now", "urgent"),
        ("not sure whether the site is infected, it's red and warm", "urgent"),
        ("our dog's back legs gave out, the vet thinks it is a disc", None),
        ("my cat is limping and her leg is swollen", None),
        ("she's been incontinent for years since her bladder surgery, can she have it", None),
        ("my toes have been numb from diabetes for ten years, is that a problem", None),
        ("i really do not want to wake up in the middle of the procedure", None),
        ("she gave her dog away and says she won't be a problem much longer", "crisis"),
        ("bent down to feed the dog and now the worst back pain ever, like a knife", "urgent"),
        ("hoy me desmayé y mi vecina me encontró en el suelo", "emergency"),
        ("mi vecina dice que uno se puede quedar paralizado", None),
        ("mi gato tiene fiebre desde ayer, conocen un veterinario?", None),
        ("checked his temperature like you asked, 37.1, all fine", None),
        ("temperature like you asked, 101.2", "urgent"),
        ("my feet have been numb and tingly for about ten years because of my sugar", None),
        ("my legs have been weak for about two days", "urgent"),
        ("the tingling in my feet is the same as it always was", None),
        ("fever broke overnight, 37.0 this am", None),
        ("the bleeding has not stopped since last night", "urgent"),
        ("the fever never went away, 101.8 now", "urgent"),
        ("my fever is not much better, 102 today", "urgent"),
        ("the fever went away and it hasn't come back", None),
        ("today i woke up and my legs wouldn't move properly", "emergency"),
        ("his legs didnt work this morning", "emergency"),
        ("my legs did move fine yesterday", None),
        ("fever went away. When can I come back for the follow-up?", None),
        ("the numbness went away but came back this morning in both legs", "urgent"),
        ("my chest pain turned out to be indigestion but now it is back and worse", "emergency"),
        ("chest pain since an hour, I thought it was indigestion", "emergency"),
        ("chest pain started an hour ago and it turned out to be worse than I thought",
         "emergency"),
        ("tengo fiebre desde ayer y escalofríos", "urgent"),
    ],
)
def test_rule_layer_reads_described_events_and_spares_hearsay_and_history(judge, text, level):
    """Described fainting, retention, bleeding; hearsay, dreams, idioms, chronic or told once."""
    assert judge(text) == level


@pytest.mark.parametrize(
    "text,level",
    [
        ("tengo dolor de pecho desde la mañana", "emergency"),
        ("no puedo respirar bien", "emergency"),
        ("mi mamá no puede mover las piernas", "emergency"),
        ("mi papá no controla la orina desde ayer", "emergency"),
        ("tiene fiebre de 38,9", "urgent"),
        ("la herida está roja y le sale líquido amarillo", "urgent"),
        ("quiero morirme", "crisis"),
        ("no tengo fiebre pero me duele un poco", None),
        ("tuvo fiebre de 37,5", None),
    ],
)
def test_spanish_emergencies(spanish_judge, text, level):
    found, spanish = spanish_judge(text)
    assert found == level
    assert spanish == (level is not None)


# How cues attach to a mention (written by the team, not taken from an evaluation set).
@pytest.mark.parametrize(
    "text, level",
    [
        # "denies" covers its own clause only: a symptom after the comma still counts
        ("pt denies fever, legs weak bilat since 0600", "emergency"),
        ("pt denies fever but reports new bilat leg weakness since 0600", "emergency"),
        # ... and over a short list that follows it
        ("pt denies CP, SOB, fever. asking how long procedure will take thurs", None),
        ("Pt denies CP, SOB, c/o new bilat leg weakness since 0600", "emergency"),
        # long-standing, whatever the clause says; resolved in Spanish and in SMS
        ("my feet been numb 4ever bc of diabetes, does that matter for kypho", None),
        ("Mom's legs have been weak since her stroke three years ago, can she have it?", None),
        ("my legs are weak since yesterday", "urgent"),
        ("Mi mamá tuvo un poco de fiebre el lunes pero ya se le quitó, ahora está bien.", None),
        ("thx!! fever's gone n im feelin way better", None),
        ("my breathing was weird in recovery but they said it was the sedation n its fine now",
         None),
        # the verb's "not" is the finding; "pura" is not pus; a worry is not a bladder
        ("my legs is not working since this morning", "emergency"),
        ("legs are working fine, when can I drive", None),
        ("No tengo ningún síntoma, es pura curiosidad", None),
        ("there is puss coming out of the wound", "urgent"),
        ("i cant stop thinking about it, is the cement safe", None),
        ("she can't stop crying from the pain in her back, it's much worse than before",
         "urgent"),
        ("Pt denies fever, now c/o calf swelling L side, warm to touch", "urgent"),
        # a resolution that is denied is no resolution
        ("my feet have been tingling since last night and it hasn't gone away", "urgent"),
        ("my feet were tingly on the first day but that settled down quickly", None),
        ("brief tingling in my foot after sitting, resolved on standing, none since", None),
        # hyphenated relatives, other people's stories
        ("My brother-in-law had chest pains after his knee surgery. Will they watch mom's heart?",
         None),
        ("non-tender calves, no edema, afebrile. pt asks about pickleball", None),
        # a temperature before the word thermometer, a bandage soaking with blood
        ("she's burning up, 39.2 on the ear thermometer", "urgent"),
        ("his bandage keeps soaking through with blood", "urgent"),
        ("mom's lips look blue and she is breathing through a straw", "emergency"),
    ],
)
def test_cues_attach_to_their_mention(judge, text, level):
    assert judge(text) == level


@pytest.fixture(scope="module")
def spanish_judge(tmp_path_factory: pytest.TempPathFactory):
    assess = detector_assessor(build(Path(tmp_path_factory.mktemp("spacy_es")) / "en_clinic"))

    def judge(text: str):
        assessment = assess(text)
        return assessment.level, assessment.spanish

    return judge


@pytest.fixture(scope="module")
def agent():
    if not MODEL_PATH.exists():
        pytest.skip("run `make train` first")
    return load_agent(MODEL_PATH)


# Answers to the booking form's questions (not training data). A phone number or an age
# must never read as a temperature, nor a time as a symptom: during the form an alarm
# always interrupts, so a false one would send a patient a 911 instruction mid-booking.
FORM_ANSWERS = [
    "Eleanor Vance", "my mother is Gloria Estrada", "it's for my husband, Dev Patel",
    "630-555-0148", "(847) 555 0190", "2245550167", "+1 773 555 0102",
    "her number is 312 555 0177", "you can call me on 708.555.0155",
    "use the number i'm texting from",
    "wednesday mornings", "any afternoon next week", "after 4pm on weekdays",
    "tuesday or thursday", "the sooner the better", "not fridays please", "Dec 3 around 10",
    "phone is fine", "texts please", "either works for us", "not sure which one",
    "he is 84", "she's 91 years old", "we're flexible",
]


def test_booking_answers_never_raise_an_alarm(agent):
    levels = {text: model_level(p) for text, p in zip(FORM_ANSWERS, predict(agent, FORM_ANSWERS),
                                                      strict=True)}
    assert not {text: level for text, level in levels.items() if level}


def test_whole_model_routes_red_flags_and_spares_look_alikes(agent, data):
    texts = [i["text"] for i in data["red_flags"]] + list(data["look_alikes"])
    levels = dict(zip(texts, (model_level(p) for p in predict(agent, texts)), strict=True))
    result = evaluate(levels.__getitem__, data)
    assert not result.missed
    assert not result.wrong_level
    assert result.false_alarm_rate <= MAX_FALSE_ALARMS, result.false_alarms
