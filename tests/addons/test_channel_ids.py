"""No channel can name another channel's conversation: every pair, over many random ids."""

from __future__ import annotations

import random
import string

import pytest

from addons.channels.rest import CONVERSATION_PREFIX, SENDER_PATTERN, conversation_id
from addons.channels.sms import E164
from addons.channels.web_session import CHAT_ID, new_chat_id

ALPHABET = string.ascii_letters + string.digits + "_.:@+-"


def rest_senders(count: int = 3000) -> list:
    rng = random.Random(7)
    made = ["+13125550199", "web-" + "a" * 32, "rest-x", "+1", "web-", "@", "rest-web-" + "0" * 32]
    made += ["".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 128)))
             for _ in range(count)]
    made += ["+1312555" + "".join(rng.choice(string.digits) for _ in range(4))
             for _ in range(300)]
    return [s for s in made if SENDER_PATTERN.match(s)]


def test_rest_never_names_a_text_or_web_conversation() -> None:
    senders = rest_senders()
    assert len(senders) > 3000
    for sender in senders:
        conversation = conversation_id(sender)
        assert not E164.match(conversation) and not CHAT_ID.match(conversation), sender


def test_web_chat_ids_are_neither_phones_nor_rest() -> None:
    for _ in range(2000):
        chat = new_chat_id()
        assert CHAT_ID.match(chat) and not E164.match(chat)
        assert not chat.startswith(CONVERSATION_PREFIX)


@pytest.mark.parametrize("sender", ["rest-alice", "web-" + "a" * 32, "alice", "+0123456789",
                                    "13125550199", "+1 312 555 0199", "tel:+13125550199"])
def test_texts_come_only_from_phone_numbers(sender: str) -> None:
    assert not E164.match(sender)  # the SMS channel ignores any other "From"


def test_phone_numbers_are_not_rest_or_web_ids() -> None:
    rng = random.Random(3)
    for _ in range(2000):
        number = "+" + str(rng.randint(1, 9)) + "".join(
            rng.choice(string.digits) for _ in range(rng.randint(6, 14)))
        assert E164.match(number)
        assert not number.startswith(CONVERSATION_PREFIX) and not CHAT_ID.match(number)
