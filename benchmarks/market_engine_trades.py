"""Correctness guard for speed work on the matching engine: dump what the engine does.

Prints, one line each, every trade (buy id, sell id, power, price, the buy's remaining power
per quarter hour) in the order the engine made them, then the resting bids and asks (best
first) with their remaining powers. Two flows:

1. ``bench``: the 100,000 random orders of ``bench_market_engine.py``, submitted in turn (no
   ``now``, as the benchmark does);
2. ``clock``: 30,000 random orders submitted with an advancing clock and random expiry times,
   with cancels, ``expire(now)`` every 500 orders and the book dumped and rebuilt with
   ``restore`` every 5,000 orders (so deadlines, cancels, expiry and restore are exercised too).

Two engines make the same trades when their dumps are byte-identical: run it before and after
a change, ``python benchmarks/market_engine_trades.py > before.txt`` (``--engine path.py`` loads
the engine module from another file, e.g. a copy of the old one) and compare with ``cmp``.
"""

from __future__ import annotations

import argparse
import importlib.util
import random
import sys
from collections.abc import Iterable
from datetime import timedelta
from types import ModuleType

from benchmarks.bench_market_engine import START, OrderMix, _engine, random_orders


def load_engine(path: str | None) -> ModuleType:
    """The engine module of this checkout, or the one in the file at ``path``."""
    if path is None:
        return _engine()
    spec = importlib.util.spec_from_file_location("engine_under_test", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def trade_line(trade) -> str:
    """One trade as a line: ids, power (W), price (EUR/kWh), the buy's remaining power."""
    remaining = ",".join(f"{r:g}" for r in trade.buy_remaining_w)
    return (
        f"T {trade.buy_order_id} {trade.sell_order_id} {trade.power_w:g} "
        f"{trade.price_eur_per_kwh:g} {trade.aggressor_side} {remaining}"
    )


def book_lines(book) -> Iterable[str]:
    """The resting bids, then asks, best first, with their remaining power per quarter hour."""
    for name, orders in (("B", book.bids()), ("A", book.asks())):
        for o in orders:
            yield f"{name} {o.order_id} " + ",".join(f"{r:g}" for r in o.remaining_w)


def bench_flow(engine: ModuleType, count: int) -> Iterable[str]:
    """The benchmark's orders, submitted in turn; the trades, then the book."""
    book = engine.OrderBook()
    for order in random_orders(engine, count):
        yield from map(trade_line, book.submit(order))
    yield from book_lines(book)


# The clock flow's orders: any pair of prices may cross, fewer places, expiry over the day.
CLOCK_MIX = OrderMix(
    buy_slots=(1, 8),
    places_per_country=6,
    buy_prices=(0.05, 0.35),
    sell_prices=(0.05, 0.35),
    price_digits=2,
    expiry_quarters=(0, 90),
)


def clock_flow(engine: ModuleType, count: int) -> Iterable[str]:
    """Orders submitted with an advancing clock, with cancels, expiry and restores."""
    rng = random.Random(5)
    book = engine.OrderBook()
    for i, order in enumerate(random_orders(engine, count, seed=11, mix=CLOCK_MIX), 1):
        now = START + timedelta(seconds=i * 90 * 900 // count)
        yield from map(trade_line, book.submit(order, now=now))
        if i % 7 == 0:
            cancelled = book.cancel(rng.randint(1, i))
            yield f"C {cancelled.order_id if cancelled else '-'}"
        if i % 500 == 0:
            yield "E " + " ".join(str(o.order_id) for o in book.expire(now))
        if i % 5000 == 0:
            yield from book_lines(book)
            book = engine.OrderBook.restore([*book.asks(), *book.bids()])
    yield from book_lines(book)


def main() -> None:
    """Print the dump of both flows."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", help="load the engine module from this file")
    parser.add_argument("--orders", type=int, default=100_000)
    args = parser.parse_args()
    engine = load_engine(args.engine)
    out = sys.stdout
    for line in bench_flow(engine, args.orders):
        out.write(line + "\n")
    out.write("--- clock\n")
    for line in clock_flow(engine, min(args.orders, 30_000)):
        out.write(line + "\n")


if __name__ == "__main__":
    main()
