"""Password hashing for console accounts: salted scrypt (standard library), no plain text."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import threading
from typing import Any, Dict, Iterable, List

from zxcvbn import zxcvbn

_N, _R, _P = 2**14, 8, 1
MIN_LENGTH = 10
MAX_LENGTH = 256
MIN_SCORE = 3  # zxcvbn 0-4; 3 = at least 10^8 guesses ("safely unguessable" online)
ESTIMATE_CHARS = 100  # zxcvbn's matching is slow on long input: only this much is estimated
# Words an attacker who knows the console tries first (the user's and clinic's names are added
# by the caller). zxcvbn treats them like the most common words.
CLINIC_WORDS = ("clinic", "spine", "spinal", "vertebra", "kyphoplasty", "vertebroplasty",
                "console", "admin")
# zxcvbn keeps ``user_inputs`` in a module-global dictionary, and console requests check
# passwords in worker threads: one estimate at a time, or a check could use another's words.
_ZXCVBN = threading.Lock()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_password(password: str) -> str:
    """``scrypt$N$r$p$salt$hash`` for ``password`` with a fresh random salt."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${_N}${_R}${_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches the stored hash (constant-time comparison)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        actual = hashlib.scrypt(password.encode("utf-8"), salt=base64.b64decode(salt),
                                n=int(n), r=int(r), p=int(p), dklen=32)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, base64.b64decode(digest))


def _estimate(password: str, words: List[str]) -> Dict[str, Any]:
    with _ZXCVBN:
        result: Dict[str, Any] = zxcvbn(password[:ESTIMATE_CHARS], user_inputs=words,
                                        max_length=ESTIMATE_CHARS)
    return result


def _advice(result: Dict[str, Any]) -> str:
    """The estimator's own warning and suggestions, as sentences."""
    feedback = result.get("feedback") or {}
    parts = [str(feedback.get("warning") or "")] + [str(s) for s in feedback.get("suggestions")
                                                    or ()]
    return " ".join(p.strip() for p in parts if p and p.strip())


def _without_words(result: Dict[str, Any]) -> str:
    """The password with the parts zxcvbn matched to the user's or the clinic's words removed."""
    return "".join(str(match["token"]) for match in result.get("sequence") or ()
                   if match.get("dictionary_name") != "user_inputs")


def password_problem(password: str, username: str = "", words: Iterable[str] = ()) -> str:
    """Why ``password`` is not acceptable, or an empty string if it is.

    Besides the length limits, zxcvbn must rate the password at least ``MIN_SCORE`` both as
    typed and with the user's name, ``words`` (display name, clinic name) and
    ``CLINIC_WORDS`` taken out: three such words and a year score 3 on their own, but they're
    the first thing a targeted guess tries. Only the first ``ESTIMATE_CHARS`` characters are
    estimated. The message includes zxcvbn's advice in plain words.
    """
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters."
    if len(password) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    if username and username.lower() in password.lower():
        return "Don't put the user name in the password."
    if len(set(password)) < 4:
        return "Use more different characters."
    personal = {w.lower() for w in re.split(r"[^\w]+", " ".join([username, *words])) if len(w) > 1}
    inputs = sorted(personal) + list(CLINIC_WORDS)
    result = _estimate(password, inputs)
    if int(result.get("score", 0)) < MIN_SCORE:
        return " ".join(("This password is too easy to guess.",
                         _advice(result) or "Add a few unrelated words."))
    rest = _without_words(result)
    if rest != password[:ESTIMATE_CHARS]:
        leftover = _estimate(rest, inputs) if len(rest) >= 4 else None
        if leftover is None or int(leftover.get("score", 0)) < MIN_SCORE:
            return " ".join(("This password is mostly the user's name or words about the "
                             "clinic (such as clinic, spine or kyphoplasty), which are guessed "
                             "first.", (_advice(leftover) if leftover else "")
                             or "Add a few unrelated words."))
    return ""
