"""Generated blocks of README.md: the text between ``<!-- NAME:start/end -->`` markers.

``scripts.layout`` (the tree) and ``scripts.settings_table`` (the settings) each build one;
their tests compare the README with a freshly built block.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Callable

README = Path(__file__).resolve().parents[1] / "README.md"


def markers(name: str) -> tuple[str, str]:
    """The start and end markers of a block."""
    return f"<!-- {name}:start -->", f"<!-- {name}:end -->"


def with_block(readme: str, name: str, block: str) -> str:
    """The README with the text between the block's markers replaced."""
    start, end = markers(name)
    head, found_start, rest = readme.partition(start)
    _, found_end, tail = rest.partition(end)
    if not found_start or not found_end:
        raise ValueError(f"README.md needs {start} and {end}")
    return f"{head}{start}\n{block}\n{end}{tail}"


def main(name: str, build: Callable[[], str], description: str) -> None:
    """Print the block, or (``--write``) put it into README.md."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--write", action="store_true", help="replace the block in README.md")
    args = parser.parse_args()
    block = build()
    if args.write:
        README.write_text(with_block(README.read_text(encoding="utf-8"), name, block),
                          encoding="utf-8")
    else:
        print(block)
