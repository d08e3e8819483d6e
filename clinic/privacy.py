"""Helpers that keep patient data out of logs."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from functools import lru_cache
from pathlib import Path

from clinic.settings import DEFAULT_LOG_TAG_FILE, load_secret


def _create_key(path: Path) -> str:
    """Make the key file once (mode 600); a concurrent first use reads the winner's key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="utf-8").strip()
    key = secrets.token_urlsafe(32)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(key + "\n")
    return key


@lru_cache(maxsize=1)
def _key() -> bytes:
    """``LOG_TAG_SECRET``, else ``var/log_tag_key`` (created on first use)."""
    key = load_secret(os.environ, "LOG_TAG_SECRET", DEFAULT_LOG_TAG_FILE)
    if not key:
        key = _create_key(Path(os.environ.get("LOG_TAG_SECRET_FILE") or DEFAULT_LOG_TAG_FILE))
    return key.encode("utf-8")


def sender_tag(sender_id: str) -> str:
    """A short tag for logs that can't be reversed without the key (ids can be phones).

    A plain hash of a phone number is reversed by trying every number of an area code in
    seconds; a keyed hash (HMAC-SHA256 with a secret every process shares) is not.
    """
    digest = hmac.new(_key(), sender_id.encode("utf-8"), hashlib.sha256).hexdigest()
    return digest[:12]
