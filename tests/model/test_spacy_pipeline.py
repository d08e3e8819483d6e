"""The project's spaCy pipeline: lemmas and entity-ruler patterns with canonical ids."""

from pathlib import Path

import pytest
import spacy

from spacy_pipeline.build import build


@pytest.fixture(scope="module")
def nlp(tmp_path_factory: pytest.TempPathFactory):
    return spacy.load(build(Path(tmp_path_factory.mktemp("spacy")) / "en_clinic"))


def ents(nlp, text: str):
    return [(e.label_, e.ent_id_) for e in nlp(text.lower()).ents]


@pytest.mark.parametrize(
    "text,canonical",
    [
        ("my mom is having kypho next week", "kyphoplasty"),
        ("what is kyphoplasy", "kyphoplasty"),
        ("is a kiphoplasty painful", "kyphoplasty"),
        ("balloon vertebroplasty cost", "kyphoplasty"),
        ("vertebroplasty recovery", "vertebroplasty"),
        ("verteboplasty or vertibroplasty", "vertebroplasty"),
        ("what about vertebro", "vertebroplasty"),
    ],
)
def test_procedure_names_and_misspellings(nlp, text, canonical):
    assert ("procedure", canonical) in ents(nlp, text)


def test_not_every_spine_word_is_a_procedure(nlp):
    assert ents(nlp, "i broke a vertebra and have kyphosis") == []


def test_spine_levels_and_blood_thinners(nlp):
    found = ents(nlp, "fracture at T-12 and l1, i take Eliquis and plavix")
    assert ("spine_level", "T12") in found
    assert ("spine_level", "L1") in found
    assert ("blood_thinner", "apixaban") in found
    assert ("blood_thinner", "clopidogrel") in found


def test_lookup_lemmatizer_is_active(nlp):
    assert [t.lemma_ for t in nlp("fractures were healing")] == ["fracture", "be", "heal"]
