"""The README's layout section, generated from the tree: ``python -m scripts.layout [--write]``.

Each top-level folder gets a line; each Python package lists its modules and sub-packages
with the first line of their docstrings, so the section cannot go stale without
tests/project/test_readme.py noticing.
"""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path
from typing import Dict, List, Optional

from scripts import readme_blocks

ROOT = Path(__file__).resolve().parents[1]
WIDTH = 100

# folders that are not Python packages (or whose modules are not worth listing)
FOLDERS: Dict[str, str] = {
    "data": "training data and responses: nlu/, responses/, rules/, stories/ (each by topic)",
    "docs": "evaluation, benchmark, fuzz and fault reports",
    "eval": "blind persona sets (held out: never trained or tuned on the test sets)",
    "migrations": "Alembic migrations of the project's tables (alembic.ini at the top)",
    "models": "the trained model (made by make train; not in git)",
    "scripts": "bootstrap, run, conversation tests, eval, bench, fuzz, fault runs",
    "spacy_pipeline": "builds models/spacy/en_clinic from spacy.blank(\"en\")",
    "tests": "pytest; tests/e2e/ starts real servers or a browser; test_stories.yml",
    "web": "the website chat widget (TypeScript, built by make web)",
}
PACKAGES = ("clinic", "actions", "addons", "console", "action_server")


def summary(path: Path) -> str:
    """The first line of a module's docstring ("" without one)."""
    doc: Optional[str] = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
    return (doc or "").strip().splitlines()[0].rstrip(".") if doc else ""


def entries(package: Path, depth: int = 0) -> List[str]:
    """Lines for a package's modules and sub-packages, sub-packages expanded one level."""
    lines: List[str] = []
    for child in sorted(package.iterdir()):
        if child.name.startswith(("_", ".")) or child.name == "__pycache__":
            continue
        if child.is_dir() and (child / "__init__.py").is_file():
            lines.append(row(f"{'  ' * depth}{child.name}/", summary(child / "__init__.py")))
            if depth == 0:
                lines.extend(entries(child, depth + 1))
        elif child.suffix == ".py":
            lines.append(row(f"{'  ' * depth}{child.stem}", summary(child)))
    return lines


def row(name: str, text: str, indent: str = "  ") -> str:
    """The name padded to a column, then its summary wrapped to the width."""
    head = f"{indent}{name:<22} "
    lines = textwrap.wrap(text, WIDTH, initial_indent=head, subsequent_indent=" " * len(head),
                          break_on_hyphens=False)
    return "\n".join(lines) if lines else head.rstrip()


def layout(root: Path = ROOT) -> str:
    """The whole layout block (without the markers)."""
    lines: List[str] = []
    for name in PACKAGES:
        package = root / name
        lines.append(row(f"{name}/", summary(package / "__init__.py"), indent=""))
        lines.extend(entries(package))
    for name, text in FOLDERS.items():
        lines.append(row(f"{name}/", text, indent=""))
    return "```\n" + "\n".join(lines) + "\n```"


def with_layout(readme: str, block: str) -> str:
    """The README with the layout block replaced."""
    return readme_blocks.with_block(readme, "layout", block)


if __name__ == "__main__":
    readme_blocks.main("layout", layout, __doc__.splitlines()[0])
