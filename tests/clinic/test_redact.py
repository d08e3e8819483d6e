"""Conversation tags in logs: keyed, so a phone number can't be found by trying them all."""

from __future__ import annotations

import hashlib

import pytest

from clinic import privacy as redact


@pytest.fixture
def keyed(monkeypatch: pytest.MonkeyPatch):
    def use(key: str) -> None:
        monkeypatch.setenv("LOG_TAG_SECRET", key)
        redact._key.cache_clear()

    yield use
    redact._key.cache_clear()


def test_tags_are_stable_per_key_and_differ_across_keys(keyed) -> None:
    keyed("k" * 32)
    first = redact.sender_tag("+13125550199")
    assert first == redact.sender_tag("+13125550199") != redact.sender_tag("+13125550198")
    keyed("another-key-" * 3)
    assert redact.sender_tag("+13125550199") != first


def test_a_plain_hash_dictionary_does_not_find_the_number(keyed) -> None:
    keyed("clinic-secret-" * 3)
    tag = redact.sender_tag("+13125550199")
    # the attack that worked on the unkeyed tag: hash every number of the area code
    guesses = {hashlib.sha256(f"+1312555{n:04d}".encode()).hexdigest()[: len(tag)]
               for n in range(10000)}
    assert tag not in guesses


def test_without_a_secret_a_key_file_is_made_once(keyed, tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("LOG_TAG_SECRET", raising=False)
    monkeypatch.setenv("LOG_TAG_SECRET_FILE", str(tmp_path / "key"))
    redact._key.cache_clear()
    tag = redact.sender_tag("web-abc")
    assert (tmp_path / "key").stat().st_mode & 0o777 == 0o600
    redact._key.cache_clear()
    assert redact.sender_tag("web-abc") == tag
