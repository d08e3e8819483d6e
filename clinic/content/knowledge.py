"""Read-only access to the curated FAQ answers as they appear in the domain.

Each answer is the domain response ``utter_faq/<key>``; its metadata carries a short
``title`` (used for suggestion buttons) and the ``sources`` that back it.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional

from clinic.vocabulary import FAQ_INTENT

FAQ_PREFIX = f"utter_{FAQ_INTENT}/"


def faq_keys(domain: Mapping[str, Any]) -> List[str]:
    """All FAQ keys defined in the domain, in definition order."""
    responses = domain.get("responses") or {}
    return [name[len(FAQ_PREFIX):] for name in responses if name.startswith(FAQ_PREFIX)]


def _metadata(domain: Mapping[str, Any], response: str) -> Dict[str, Any]:
    variants = (domain.get("responses") or {}).get(response) or []
    for variant in variants:
        if not variant.get("channel") and isinstance(variant.get("metadata"), dict):
            return dict(variant["metadata"])
    return {}


def faq_title(domain: Mapping[str, Any], key: str) -> Optional[str]:
    """The button title of an FAQ answer, or None if the key is unknown."""
    title = _metadata(domain, FAQ_PREFIX + key).get("title")
    return str(title) if title else None


def response_text(domain: Mapping[str, Any], response: str) -> Optional[str]:
    """Text of the default (non-channel) variant of a domain response."""
    for variant in (domain.get("responses") or {}).get(response) or []:
        if not variant.get("channel") and variant.get("text"):
            return str(variant["text"])
    return None


def ranked_faq_keys(parse_data: Mapping[str, Any], limit: int) -> List[str]:
    """The response selector's likeliest FAQ keys for a message, best first."""
    selector = parse_data.get("response_selector") or {}
    ranking = (selector.get(FAQ_INTENT) or {}).get("ranking") or []
    keys: List[str] = []
    for item in sorted(ranking, key=lambda r: -float(r.get("confidence") or 0.0)):
        full = str(item.get("intent_response_key") or "")
        if full.startswith(FAQ_INTENT + "/"):
            keys.append(full.split("/", 1)[1])
        if len(keys) >= limit:
            break
    return keys
