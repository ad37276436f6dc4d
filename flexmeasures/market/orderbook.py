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
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from types import SimpleNamespace
from typing import Any

from flexmeasures.market import shapes

FIELDS = (
    "side",
    "power_w",
    "price_eur_per_kwh",
    "delivery_start",
    "delivery_end",
    "location_ids",
    "country_code",
    "remaining_w",
)
"""What a book row holds, in order (``queries.BOOK_COLUMNS``): the JSON columns as text, the
times as the driver reads them (aware, or naive UTC on SQLite)."""
SIDE, PRICE = FIELDS.index("side"), FIELDS.index("price_eur_per_kwh")


class _Remembered:
    """The entry texts of the latest book this process wrote, by row (replaced whole: a
    reader sees either the old or the new dictionary)."""

    def __init__(self) -> None:
        self.entries: dict[tuple, str] = {}


_remembered = _Remembered()


def _json_value(text: str | None) -> Any:
    """A JSON column read as text (None for SQL NULL) as its Python value."""
    return None if text is None else json.loads(text)


def _utc(moment: datetime) -> datetime:
    """A time as the driver read it, aware (SQLite's naive times are UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _entry_text(row: tuple) -> str:
    """The JSON text of the book entry (``shapes.book_entry``) of a book row."""
    order = SimpleNamespace(**dict(zip(FIELDS, row, strict=True)))
    order.location_ids = _json_value(order.location_ids)
    order.remaining_w = _json_value(order.remaining_w)
    order.delivery_start, order.delivery_end = map(_utc, (order.delivery_start, order.delivery_end))
    return json.dumps(shapes.book_entry(order))


@lru_cache(maxsize=4096)
def _level_key(price: float) -> str:
    """A price level's object key as JSON text (``shapes.price_key``, quoted)."""
    return json.dumps(shapes.price_key(price))


def _side_text(entries: list[tuple[tuple, str]]) -> str:
    """The JSON text of one side of the book: its (row, entry text) pairs, already in
    priority order, grouped by price level, keeping that order."""
    levels: dict[str, list[str]] = {}
    for row, text in entries:
        levels.setdefault(_level_key(row[PRICE]), []).append(text)
    members = (f"{key}: [{', '.join(texts)}]" for key, texts in levels.items())
    return "{" + ", ".join(members) + "}"


def book_text(rows: Iterable[Sequence[Any]]) -> str:
    """The JSON text of the order book from the rows of its resting orders (``FIELDS``, by
    id, i.e. time priority): {"bids": ..., "asks": ...}, bids by price descending, asks
    ascending (orders alike in all they show are each listed). Remembers the entry texts
    of this book (and forgets those of orders no longer in it)."""
    remembered = _remembered.entries
    seen: dict[tuple, str] = {}
    entries = []
    for row in map(tuple, rows):
        text = seen.get(row) or remembered.get(row) or _entry_text(row)
        seen[row] = text
        entries.append((row, text))
    bids = sorted((e for e in entries if e[0][SIDE] == "buy"), key=lambda e: -e[0][PRICE])
    asks = sorted((e for e in entries if e[0][SIDE] == "sell"), key=lambda e: e[0][PRICE])
    _remembered.entries = seen
    return f'{{"bids": {_side_text(bids)}, "asks": {_side_text(asks)}}}'
