"""The house rules: one package per process around the shared core, imports pointing inward.

``clinic`` is the core: it imports none of the process packages and none of the frameworks.
``actions`` (rasa-sdk's action server), ``addons`` (what Rasa loads by class path), ``console``
(the staff console) and ``action_server`` import the core, never each other's insides.
Every import counts, including those inside functions.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Dict, FrozenSet, Iterator, List, Tuple

import pytest

ROOT = Path(__file__).resolve().parents[2]
FRAMEWORKS = frozenset({"rasa", "rasa_sdk", "sanic", "jinja2"})
PACKAGES = ("clinic", "actions", "addons", "console", "action_server")

# package -> the top-level names it must never import
FORBIDDEN: Dict[str, FrozenSet[str]] = {
    "clinic": frozenset({"actions", "addons", "console", "action_server", "scripts", "tests"})
    | FRAMEWORKS,
    "actions": frozenset({"rasa", "console", "addons", "action_server", "scripts", "tests"}),
    "addons": frozenset({"actions", "console", "action_server", "scripts", "tests"}),
    "console": frozenset({"actions", "addons", "action_server", "rasa", "rasa_sdk", "scripts",
                          "tests"}),
    "action_server": frozenset({"addons", "console", "rasa", "scripts", "tests"}),
}


def imported_names(source: str) -> Iterator[Tuple[int, str]]:
    """(line, dotted module) for every absolute import in the source."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module


def violations(root: Path, package: str, forbidden: FrozenSet[str]) -> List[str]:
    """``file:line imports module`` for every import of a forbidden top-level name."""
    found = []
    for path in sorted((root / package).rglob("*.py")):
        for line, module in imported_names(path.read_text(encoding="utf-8")):
            if module.split(".")[0] in forbidden:
                found.append(f"{path.relative_to(root)}:{line} imports {module}")
    return found


def package_graph(root: Path) -> Dict[str, set]:
    """Which of the project's packages each package imports."""
    graph: Dict[str, set] = {name: set() for name in PACKAGES}
    for package in PACKAGES:
        for path in (root / package).rglob("*.py"):
            for _, module in imported_names(path.read_text(encoding="utf-8")):
                top = module.split(".")[0]
                if top in graph and top != package:
                    graph[package].add(top)
    return graph


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_point_inward(package: str) -> None:
    assert violations(ROOT, package, FORBIDDEN[package]) == []


def test_no_import_cycle_between_packages() -> None:
    graph = package_graph(ROOT)
    cycles = [(a, b) for a in graph for b in graph[a] if a in graph.get(b, set())]
    assert cycles == []
    assert graph["clinic"] == set()


def test_every_process_package_is_checked() -> None:
    on_disk = {p.name for p in ROOT.iterdir() if (p / "__init__.py").is_file()}
    assert on_disk - {"scripts", "tests", "spacy_pipeline", "migrations"} == set(PACKAGES)


def test_a_planted_bad_import_is_caught(tmp_path: Path) -> None:
    core = tmp_path / "clinic" / "feature"
    core.mkdir(parents=True)
    (tmp_path / "clinic" / "__init__.py").write_text("")
    (core / "__init__.py").write_text("")
    (core / "good.py").write_text("from clinic.db import session_scope\nimport spacy\n")
    (core / "bad.py").write_text(
        '"""A core module."""\n\n\ndef helper() -> None:\n'
        "    from rasa_sdk import Tracker  # hidden inside a function\n"
        "    import actions.safety\n"
    )
    assert violations(tmp_path, "clinic", FORBIDDEN["clinic"]) == [
        "clinic/feature/bad.py:5 imports rasa_sdk",
        "clinic/feature/bad.py:6 imports actions.safety",
    ]
