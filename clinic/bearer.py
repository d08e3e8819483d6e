"""Checking an ``Authorization: Bearer <token>`` header against a shared secret."""

from __future__ import annotations

import hmac
from typing import Optional

PREFIX = "Bearer "


def bearer_matches(header: Optional[str], token: str) -> bool:
    """Whether ``header`` is ``Bearer <token>``; constant-time, never true for an empty token."""
    if not token or not header or not header.startswith(PREFIX):
        return False
    offered = header[len(PREFIX):].strip().encode("utf-8", "replace")
    return hmac.compare_digest(offered, token.encode("utf-8"))
