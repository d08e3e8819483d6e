"""Shared NLU evaluation helpers (used by `make eval` and the accuracy gate in tests)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Tuple

import yaml

Example = Tuple[str, str]  # (text, label) where label is an intent or "faq/<key>"


def load_examples(paths: Iterable[Path]) -> List[Example]:
    """Read Rasa YAML NLU files into (text, label) pairs."""
    examples: List[Example] = []
    for path in paths:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for block in data.get("nlu") or []:
            label = block.get("intent")
            if not label:
                continue
            for line in str(block.get("examples", "")).splitlines():
                line = line.strip()
                if line.startswith("- "):
                    examples.append((line[2:].strip(), str(label)))
    return examples


def training_files(root: Path) -> List[Path]:
    """All NLU training files under data/nlu."""
    return sorted((root / "data" / "nlu").rglob("*.yml"))


def routing_label(parse: Mapping[str, Any]) -> str:
    """What the bot would route a message to: the intent, or faq/<key> for FAQs."""
    intent = (parse.get("intent") or {}).get("name") or "none"
    if intent != "faq":
        return str(intent)
    response = ((parse.get("response_selector") or {}).get("faq") or {}).get("response") or {}
    return str(response.get("intent_response_key") or "faq")


def load_agent(model_path: Path) -> Any:
    """Load the trained Rasa model for in-process parsing."""
    from rasa.core.agent import Agent

    return Agent.load(str(model_path))


def predict(agent: Any, texts: List[str]) -> List[Dict[str, Any]]:
    """Parse texts with the model (sequentially, as the server would)."""

    async def _run() -> List[Dict[str, Any]]:
        return [await agent.parse_message(text) for text in texts]

    return asyncio.run(_run())
