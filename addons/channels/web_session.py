"""Website chat ids: issued by the server, signed, never chosen by the browser.

A chat id is ``web-`` plus 32 random hex digits, so it can never name another channel's
conversation (SMS conversations are named by the patient's phone number). The browser keeps
a *token*: ``<chat id>.<issued at>.<signature>`` with an HMAC-SHA256 signature under the
server's key. A token that is malformed, tampered with, signed with another key or older
than the configured lifetime is refused, and the browser gets a new chat id instead.

The key is ``WEB_CHAT_SECRET`` or a random key created once in ``var/web_chat_secret``
(readable by its owner only), see :func:`load_secret`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
import time
import uuid
from pathlib import Path
from typing import Optional

from clinic.settings import WebChatSettings

CHAT_ID = re.compile(r"^web-[0-9a-f]{32}$")
MAX_TOKEN_CHARS = 200
CLOCK_SKEW_SECONDS = 300


def load_secret(settings: WebChatSettings) -> bytes:
    """The signing key: the configured secret, else the key file (created if missing)."""
    if settings.secret:
        return settings.secret.encode("utf-8")
    path: Path = settings.secret_file
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        fd = -1
    if fd < 0:
        key = path.read_text(encoding="utf-8").strip()
        if len(key) < 16:
            raise RuntimeError(f"{path} holds no usable key: delete it to create a new one")
        return key.encode("utf-8")
    key = secrets.token_urlsafe(32)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(key + "\n")
    return key.encode("utf-8")


def new_chat_id() -> str:
    """A fresh, unguessable chat id (also the Rasa conversation id)."""
    return f"web-{uuid.uuid4().hex}"


def _signature(key: bytes, body: str) -> str:
    digest = hmac.new(key, body.encode("ascii"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def sign(key: bytes, chat_id: str, issued_at: Optional[int] = None) -> str:
    """The token the browser keeps for ``chat_id``."""
    body = f"{chat_id}.{int(time.time() if issued_at is None else issued_at)}"
    return f"{body}.{_signature(key, body)}"


def verify(key: bytes, token: object, max_age_days: int,
           now: Optional[float] = None) -> Optional[str]:
    """The chat id of a valid token; None if it is malformed, tampered or expired."""
    if not isinstance(token, str) or len(token) > MAX_TOKEN_CHARS or not token.isascii():
        return None
    parts = token.split(".")
    if len(parts) != 3 or not CHAT_ID.match(parts[0]) or not parts[1].isdigit():
        return None
    chat_id, issued, signature = parts
    if not hmac.compare_digest(signature, _signature(key, f"{chat_id}.{issued}")):
        return None
    age = (time.time() if now is None else now) - int(issued)
    if age < -CLOCK_SKEW_SECONDS or age > max_age_days * 86400:
        return None
    return chat_id
