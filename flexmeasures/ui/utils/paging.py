"""Paging and filtering of list pages (query parameters ``page``, ``per_page`` and ``q``)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

PAGE_SIZES = (10, 25, 50, 100)


@dataclass(frozen=True)
class PageRequest:
    """The page asked for (1-based), its size and the filter text ("" for none)."""

    number: int
    per_page: int
    filter_text: str


def page_request(args: Mapping[str, str]) -> PageRequest:
    """Read ``page``, ``per_page`` and ``q``; a page or size that is no number or out of
    range falls back to the first page and the smallest size (never an error)."""
    per_page = _positive_int(args.get("per_page"), PAGE_SIZES[0])
    if per_page not in PAGE_SIZES:
        per_page = PAGE_SIZES[0]
    number = _positive_int(args.get("page"), 1)
    return PageRequest(number, per_page, (args.get("q") or "").strip()[:100])


def _positive_int(text: str | None, default: int) -> int:
    """The number in ``text`` if it is a positive integer, else ``default``."""
    try:
        value = int(text or "")
    except ValueError:
        return default
    return value if value > 0 else default


class Page:
    """One page of ``total`` items: which items it shows and links to its neighbours."""

    def __init__(self, request: PageRequest, total: int) -> None:
        self.request = request
        self.total = total
        self.count = max(1, math.ceil(total / request.per_page))
        self.number = min(request.number, self.count)
        self.offset = (self.number - 1) * request.per_page

    @property
    def first_item(self) -> int:
        """The 1-based position of the first item shown (0 when there are none)."""
        return self.offset + 1 if self.total else 0

    @property
    def last_item(self) -> int:
        """The 1-based position of the last item shown."""
        return min(self.offset + self.request.per_page, self.total)

    def query_string(self, number: int) -> str:
        """The query string of another page number, keeping size and filter."""
        arguments = {"page": number, "per_page": self.request.per_page}
        if self.request.filter_text:
            arguments["q"] = self.request.filter_text
        return "?" + urlencode(arguments)

    @property
    def previous(self) -> str | None:
        """The query string of the previous page, if there is one."""
        return self.query_string(self.number - 1) if self.number > 1 else None

    @property
    def next(self) -> str | None:
        """The query string of the next page, if there is one."""
        return self.query_string(self.number + 1) if self.number < self.count else None
