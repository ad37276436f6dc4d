"""The order book as an orderbook_update shows it, written as JSON text (the data of the
WebSocket seed's orderbook_update: {"bids": {price: [orders]}, "asks": {...}}, bids by price
descending, asks ascending, then by time).

An orderbook_update repeats every resting order at the shown price levels, so with many
orders per level each update is large, and it is recorded on every change of the shown
book. Its entries hardly change between updates: an entry depends only on what the book
shows of its order (``shapes.book_entry``), which is fixed when the order is stored except
for what is left to trade (``remaining_w``, after a partial fill of a buy). So each process
keeps the JSON text of the entries of the last book it wrote, keyed by the shown columns
themselves (the JSON columns read as text, no parsing): an entry seen before costs a
dictionary look-up, and the update is joined from those texts. The key is the content, not
the order id, so a cached text can never be stale (ids may be reused after a database is
recreated, e.g. in tests). The text equals ``json.dumps`` of the same book as dicts.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import lru_cache
from types import SimpleNamespace
from typing import Any, Protocol

from flexmeasures.market import shapes


class BookRow(Protocol):
    """A row of ``queries.BOOK_COLUMNS`` (a SQLAlchemy ``Row``, or a named tuple in tests)."""

    side: str
    price_eur_per_kwh: float

    def __iter__(self) -> Any:
        """The row's values, in the order of ``queries.BOOK_COLUMNS``."""

    def _asdict(self) -> dict[str, Any]:
        """The row's values by column name."""


class _Remembered:
    """The entry texts of the latest book this process wrote, by row (replaced whole: a
    reader sees either the old or the new dictionary)."""

    def __init__(self) -> None:
        self.entries: dict[tuple, str] = {}


_remembered = _Remembered()


def _json_value(text: str | None) -> Any:
    """A JSON column read as text (None for SQL NULL) as its Python value."""
    return None if text is None else json.loads(text)


def entry_text(row: BookRow) -> str:
    """The JSON text of a book entry (``shapes.book_entry``) of a row of
    ``queries.BOOK_COLUMNS`` (``location_ids`` and ``remaining_w`` as JSON text)."""
    text = _remembered.entries.get(tuple(row))
    if text is None:
        order = SimpleNamespace(**row._asdict())
        order.location_ids = _json_value(order.location_ids)
        order.remaining_w = _json_value(order.remaining_w)
        text = json.dumps(shapes.book_entry(order))
    return text


@lru_cache(maxsize=4096)
def _level_key(price: float) -> str:
    """A price level's object key as JSON text (``shapes.price_key``, quoted)."""
    return json.dumps(shapes.price_key(price))


def side_text(rows: Iterable[BookRow], seen: dict[tuple, str]) -> str:
    """The JSON text of one side of the book: its rows (already in priority order) grouped
    by price level, keeping that order. Adds each row's entry text to ``seen``."""
    levels: dict[str, list[str]] = {}
    for row in rows:
        text = seen[tuple(row)] = entry_text(row)
        levels.setdefault(_level_key(row.price_eur_per_kwh), []).append(text)
    members = (f"{key}: [{', '.join(entries)}]" for key, entries in levels.items())
    return "{" + ", ".join(members) + "}"


def book_text(rows: Iterable[BookRow]) -> str:
    """The JSON text of the order book from the rows of its resting orders (by id, see
    ``queries.book``): {"bids": ..., "asks": ...}. Remembers the entries of this book (and
    forgets those of orders no longer in it)."""
    rows = list(rows)
    bids = sorted((r for r in rows if r.side == "buy"), key=lambda r: -r.price_eur_per_kwh)
    asks = sorted((r for r in rows if r.side == "sell"), key=lambda r: r.price_eur_per_kwh)
    seen: dict[tuple, str] = {}
    text = f'{{"bids": {side_text(bids, seen)}, "asks": {side_text(asks, seen)}}}'
    _remembered.entries = seen
    return text
