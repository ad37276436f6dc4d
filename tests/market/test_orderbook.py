"""The orderbook_update's data written as JSON text from the book's rows (``orderbook``)."""

from __future__ import annotations

import json
from collections import namedtuple
from datetime import UTC, datetime, timedelta

from flexmeasures.market import orderbook, shapes
from flexmeasures.market.rules import format_time

Row = namedtuple(
    "Row",
    "side power_w price_eur_per_kwh delivery_start delivery_end "
    "location_ids country_code remaining_w",
)
START = datetime(2030, 1, 7, 10, 0, tzinfo=UTC)


def row(side: str, price: float, remaining: list[float], location: str | None = None) -> Row:
    """A book row as the database gives it (JSON columns as their text)."""
    return Row(
        side,
        1000.0,
        price,
        START,
        START + timedelta(hours=1),
        location,
        "DE",
        json.dumps(remaining),
    )


def entry(side: str, price: float, energy: float, location_ids: list) -> dict:
    """The book entry an orderbook_update shows."""
    return {
        "side": side,
        "power": 1000.0,
        "price": price,
        "delivery_start": format_time(START),
        "delivery_end": format_time(START + timedelta(hours=1)),
        "location": {"location_id": location_ids, "country_code": "DE"},
        "energy": energy,
    }


def test_the_text_is_the_seeds_book_bids_down_asks_up_then_by_time():
    rows = [
        row("buy", 0.1, [1000.0] * 4),
        row("sell", 0.5, [1000.0] * 4, '["a"]'),
        row("buy", 0.3, [1000.0] * 4, "null"),
        row("sell", 0.4, [1000.0] * 4),
        row("buy", 0.3, [500.0] * 4),
        row("sell", 0.4, [1000.0] * 4),  # alike in all it shows: listed too
    ]
    text = orderbook.book_text(rows)
    expected = {
        "bids": {
            "0.3": [entry("buy", 0.3, 1.0, []), entry("buy", 0.3, 0.5, [])],
            "0.1": [entry("buy", 0.1, 1.0, [])],
        },
        "asks": {
            "0.4": [entry("sell", 0.4, 1.0, [])] * 2,
            "0.5": [entry("sell", 0.5, 1.0, ["a"])],
        },
    }
    assert text == json.dumps(expected)
    assert orderbook.book_text(rows) == text  # written again from the remembered entries
    assert orderbook.book_text([]) == json.dumps({"bids": {}, "asks": {}})


def test_an_entry_shows_what_is_left_after_a_partial_fill():
    before = orderbook.book_text([row("buy", 0.3, [3000.0] * 4)])
    after = orderbook.book_text([row("buy", 0.3, [1000.0] * 4)])
    assert json.loads(before)["bids"]["0.3"][0]["energy"] == 3.0
    assert json.loads(after)["bids"]["0.3"][0]["energy"] == 1.0


def test_an_update_as_text_is_the_event_as_json():
    data = orderbook.book_text([row("sell", 0.2, [1000.0] * 4)])
    text = shapes.event_text("orderbook_update", START, data)
    assert text == json.dumps(shapes.event("orderbook_update", START, json.loads(data)))


def test_a_book_row_holds_what_the_book_query_reads():
    from flexmeasures.market.queries import BOOK_COLUMNS

    assert tuple(column.name for column in BOOK_COLUMNS) == orderbook.FIELDS


def test_naive_times_as_sqlite_gives_them_are_utc():
    aware = row("sell", 0.2, [1000.0] * 4)
    naive = aware._replace(
        delivery_start=START.replace(tzinfo=None),
        delivery_end=(START + timedelta(hours=1)).replace(tzinfo=None),
    )
    assert orderbook.book_text([naive]) == orderbook.book_text([aware])
