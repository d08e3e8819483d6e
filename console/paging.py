"""Pages of a list: which rows a page number selects, and what the pager shows.

Every list in the console (conversations, queues, annotations, the audit log) is read a page
at a time through :func:`counted` or :func:`uncounted` and shown with the one pager macro
(``templates/pager.html``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Generic, List, Mapping, Optional, Sequence, TypeVar
from urllib.parse import urlencode

T = TypeVar("T")
Fetch = Callable[[int, int], Sequence[T]]  # (offset, limit) -> rows


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: its rows, its number (from 1) and where it sits among the others.

    ``total`` is None for a list that is not counted (the audit log): ``more`` then says
    whether a later page exists.
    """

    rows: List[T]
    page: int
    size: int
    total: Optional[int] = None
    more: bool = False

    @property
    def pages(self) -> int:
        """How many pages there are (at least 1); uncounted, as many as are known."""
        if self.total is None:
            return self.page + int(self.more)
        return max(1, -(-self.total // self.size))

    @property
    def has_previous(self) -> bool:
        """Whether a newer page comes before this one."""
        return self.page > 1

    @property
    def has_next(self) -> bool:
        """Whether an older page follows."""
        return self.more if self.total is None else self.page < self.pages

    @property
    def previous(self) -> int:
        """The page the "Newer" link goes to (the last page if this one is past the end)."""
        return min(self.page - 1, self.pages)

    @property
    def next(self) -> int:
        """The page the "Older" link goes to."""
        return self.page + 1

    @property
    def shown(self) -> bool:
        """Whether the pager is shown: more than one page, or an uncounted list."""
        return self.total is None or self.has_previous or self.has_next


def counted(total: int, page: int, size: int, fetch: Fetch[T], clamp: bool = True) -> Page[T]:
    """Page ``page`` of ``total`` rows; past the end, the last page (or none if not ``clamp``)."""
    pages = max(1, -(-total // size))
    if clamp:
        page = min(max(page, 1), pages)
    return Page(list(fetch((page - 1) * size, size)), page, size, total)


def uncounted(page: int, size: int, fetch: Fetch[T]) -> Page[T]:
    """Page ``page`` without counting the rows: one row more than a page says if more follow."""
    found = list(fetch((page - 1) * size, size + 1))
    return Page(found[:size], page, size, more=len(found) > size)


def link(path: str, params: Mapping[str, Any]) -> Callable[[int], str]:
    """``link(n)``: the URL of page ``n`` (``path`` with ``params`` and ``page=n``)."""
    return lambda number: f"{path}?{urlencode({**params, 'page': number})}"
