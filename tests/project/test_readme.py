"""The README's generated sections match the tree they describe."""

from __future__ import annotations

from pathlib import Path

import pytest

from scripts import layout

README = layout.ROOT / "README.md"


def test_the_layout_section_matches_the_tree() -> None:
    text = README.read_text(encoding="utf-8")
    fix = "run: python -m scripts.layout --write"
    assert layout.with_layout(text, layout.layout()) == text, fix


def test_every_top_level_folder_is_described() -> None:
    folders = {p.name for p in layout.ROOT.iterdir()
               if p.is_dir() and not p.name.startswith(".") and p.name not in {"var", "results"}}
    assert folders - set(layout.FOLDERS) - set(layout.PACKAGES) == set()


def test_a_new_module_changes_the_layout(tmp_path: Path) -> None:
    for name in layout.PACKAGES:
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text(f'"""The {name} package."""\n')
    before = layout.layout(tmp_path)
    (tmp_path / "clinic" / "billing.py").write_text('"""Invoices for the clinic."""\n')
    after = layout.layout(tmp_path)
    assert "billing" not in before and "billing                Invoices for the clinic" in after


def test_the_block_needs_its_markers() -> None:
    with pytest.raises(ValueError):
        layout.with_layout("no markers here", "```\n```")
