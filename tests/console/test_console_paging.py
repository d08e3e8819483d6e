"""The one page type (console.paging) and the one pager macro every list uses."""

from __future__ import annotations

import re
from pathlib import Path
from typing import List, Sequence

import pytest

from console.paging import Page, counted, link, uncounted
from console.web import templates

TEMPLATES = Path(__file__).resolve().parents[2] / "console" / "templates"
ROWS = list(range(1, 8))  # seven rows, three a page


def fetch(offset: int, limit: int) -> Sequence[int]:
    return ROWS[offset:offset + limit]


def test_a_counted_page_selects_its_rows_and_stays_in_range() -> None:
    first, last = counted(7, 1, 3, fetch), counted(7, 3, 3, fetch)
    assert (first.rows, first.pages, first.has_previous, first.has_next) == ([1, 2, 3], 3,
                                                                             False, True)
    assert (last.rows, last.has_previous, last.has_next) == ([7], True, False)
    assert counted(7, 99, 3, fetch).page == 3 and counted(7, 0, 3, fetch).page == 1
    assert counted(0, 1, 3, fetch).pages == 1 and not counted(0, 1, 3, fetch).shown


def test_a_page_past_the_end_can_stay_there_and_link_back_to_the_last() -> None:
    past = counted(7, 9, 3, fetch, clamp=False)
    assert (past.rows, past.page, past.previous, past.has_next, past.shown) == (
        [], 9, 3, False, True)


def test_an_uncounted_page_reads_one_row_more_to_know_if_more_follow() -> None:
    seen: List[int] = []

    def counting(offset: int, limit: int) -> Sequence[int]:
        seen.append(limit)
        return fetch(offset, limit)

    middle, last = uncounted(2, 3, counting), uncounted(3, 3, counting)
    assert seen == [4, 4] and middle.rows == [4, 5, 6] and last.rows == [7]
    assert (middle.total, middle.has_next, last.has_next) == (None, True, False)
    assert uncounted(1, 3, fetch).shown  # the page number is all it can say


def pager(page: Page[int], newer: str = "Newer", older: str = "Older") -> str:
    macro = templates().get_template("pager.html").module.pager  # type: ignore[attr-defined]
    return str(macro(page, link("/list", {"q": "a b&c"}), newer, older))


def test_the_pager_links_pages_and_says_where_it_is() -> None:
    html = pager(counted(7, 2, 3, fetch), "← Newer", "Older →")
    assert '<a href="/list?q=a+b%26c&amp;page=1" rel="prev">← Newer</a>' in html
    assert "<span>Page 2 of 3</span>" in html
    assert '<a href="/list?q=a+b%26c&amp;page=3" rel="next">Older →</a>' in html
    assert "<span>Page 4</span>" in pager(uncounted(4, 3, lambda offset, limit: [1]))
    assert pager(counted(2, 1, 3, fetch)).strip() == ""  # one page: no pager


def test_every_list_uses_the_one_pager() -> None:
    pagers = {path.relative_to(TEMPLATES).as_posix() for path in TEMPLATES.rglob("*.html")
              if 'class="pager"' in path.read_text(encoding="utf-8")}
    callers = {path.relative_to(TEMPLATES).as_posix() for path in TEMPLATES.rglob("*.html")
               if re.search(r"\{\{ pager\(", path.read_text(encoding="utf-8"))}
    assert pagers == {"pager.html"}
    assert callers == {"admin/audit.html", "annotations/list.html", "conversations/list.html",
                       "queues/list.html"}


@pytest.mark.parametrize("group", ["admin", "annotations", "answers", "auth", "conversations",
                                   "dashboard", "queues"])
def test_templates_are_grouped_like_the_pages(group: str) -> None:
    assert (TEMPLATES / group).is_dir()
    assert (Path(__file__).resolve().parents[2] / "console" / "pages" / f"{group}.py").is_file()


async def test_queue_pages_link_to_each_other(console) -> None:
    from clinic.db import session_scope
    from tests.console.test_console_queues import alert

    with session_scope() as session:
        session.add_all(alert("urgent", minutes) for minutes in range(1, 53))
    await console.login("rita")
    first = await console.page("/queues?tab=alerts&status=all")
    assert "<span>Page 1 of 2</span>" in first
    assert '<a href="/queues?tab=alerts&amp;status=all&amp;page=2" rel="next">Older</a>' in first
    second = await console.page("/queues?tab=alerts&status=all&page=2")
    assert '<a href="/queues?tab=alerts&amp;status=all&amp;page=1" rel="prev">Newer</a>' in second
    assert "Page 2 of 2" in second and 'rel="next"' not in second
    assert "Page 2 of 2" in await console.page("/queues?tab=alerts&status=all&page=9")
