"""The spaCy vocabulary stays bounded, and red flags are read the same after a reload."""

from __future__ import annotations

import random
import string
from pathlib import Path

import pytest
from rasa.shared.nlu.training_data.message import Message

from addons.nlu.spacy_bounded import SpacyNLP, vocabulary_size
from spacy_pipeline.build import build
from tests.model.test_red_flag_guard import parse

BOUND = 2_000


@pytest.fixture(scope="module")
def pipeline_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(Path(tmp_path_factory.mktemp("spacy_bounded")) / "en_clinic")


def junk(rng: random.Random, words: int = 50) -> str:
    return " ".join("".join(rng.choice(string.ascii_lowercase) for _ in range(8))
                    for _ in range(words))


def loader(path: Path, bound: int = BOUND) -> SpacyNLP:
    return SpacyNLP(SpacyNLP.load_model(str(path)), {"model": str(path),
                                                     "max_new_lexemes": bound})


def test_unseen_words_never_grow_the_vocabulary_past_its_bound(pipeline_path: Path):
    nlp = loader(pipeline_path)
    model = nlp.provide()
    start = vocabulary_size(model)
    rng = random.Random(3)
    sizes = []
    for _ in range(200):  # 10,000 new words, each counted twice (word and string)
        nlp.process([Message(data={"text": junk(rng)})], model)
        sizes.append(vocabulary_size(model))
    assert nlp.reloads >= 5
    assert max(sizes) <= start + BOUND + 2 * 50 * 3  # the bound plus one message's words
    # the model handed to the other components is the reloaded one
    message = nlp.process([Message(data={"text": "my back hurts"})], model)[0]
    assert message.get("text_spacy_doc").vocab is model.model.vocab


def test_a_bound_of_zero_keeps_the_first_pipeline(pipeline_path: Path):
    nlp = loader(pipeline_path, bound=0)
    model = nlp.provide()
    first = model.model
    rng = random.Random(4)
    for _ in range(60):
        nlp.process([Message(data={"text": junk(rng)})], model)
    assert model.model is first and nlp.reloads == 0


def test_red_flags_are_read_the_same_before_and_after_a_reload(pipeline_path: Path):
    from addons.nlu.red_flags import RedFlagGuard

    nlp = loader(pipeline_path, bound=500)
    model = nlp.provide()
    guard = RedFlagGuard()
    texts = ["i cant feel my legs since the kyphoplasty", "my chest is heavy",
             "the incision is red and oozing pus", "what is vertebroplasty"]
    before = [parse(guard, model, text, "faq", 0.9) for text in texts]
    first_vocab = model.model.vocab
    rng = random.Random(5)
    while model.model.vocab is first_vocab:
        nlp.process([Message(data={"text": junk(rng)})], model)
    after = [parse(guard, model, text, "faq", 0.9) for text in texts]
    assert after == before
    assert [b["intent"] for b in before] == ["urgent_symptom"] * 3 + ["faq"]
