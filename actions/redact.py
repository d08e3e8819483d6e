"""Helpers that keep patient data out of logs."""

from __future__ import annotations

import hashlib


def sender_tag(sender_id: str) -> str:
    """A short, non-reversible tag for logs (sender ids can be phone numbers)."""
    return hashlib.sha256(sender_id.encode("utf-8")).hexdigest()[:10]
