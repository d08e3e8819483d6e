"""clinic.questions: the questions of a message that asks more than one."""

from __future__ import annotations

import pytest

from clinic.questions import MAX_QUESTIONS, questions


@pytest.mark.parametrize("text,expected", [
    ("how long does it take and will i be asleep?",
     ["how long does it take", "will i be asleep"]),
    ("What is kyphoplasty? How long is recovery? Can I drive after?",
     ["What is kyphoplasty", "How long is recovery", "Can I drive after"]),
    ("what is the cost and is it covered by insurance",
     ["what is the cost", "is it covered by insurance"]),
    ("is it safe, and how long does it take?", ["is it safe", "how long does it take"]),
    # one question, with context or an "and" inside it
    ("will i be asleep", []),
    ("can i eat and drink before the procedure?", []),
    ("my mom is 82 and has osteoporosis, is she a candidate?", []),
    ("she is 82 and is on blood thinners, can she have it?", []),
    ("i had it done last week. when can i shower?", []),
    ("", []),
])
def test_the_questions_of_a_message(text, expected):
    assert questions(text) == expected


def test_at_most_three_questions_are_kept():
    text = "what is it? how long does it take? will i be asleep? when can i drive? is it safe?"
    assert MAX_QUESTIONS == 3 and len(questions(text)) == 3
