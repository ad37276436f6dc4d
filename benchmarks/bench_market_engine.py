"""Benchmark: the marketplace's matching engine alone, 100k random orders (target > 50k orders/s).

The orders (seeded, so every run sees the same ones) are built before timing; the timed part
is ``OrderBook.submit`` for every order in turn, matching included, as the service calls it.
Random orders: half buys, half sells; delivery in the next 24 hours (sells 1-4 quarter hours
long, buys 2-8); prices uniform in 0.05-0.30 EUR/kWh (buys) and 0.10-0.35 (sells), so about half
the pairs cross; powers 100-2,000 W (sells) and 500-5,000 W (buys); six countries plus 10% "any";
location ids from 20 per country, half the orders "any". It reports the median of 5 runs.

Run as a script: ``python benchmarks/bench_market_engine.py`` (``--write`` also replaces the
"Market: matching engine" section of benchmarks/README.md; ``--orders N`` changes the count).
It needs no database.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import ModuleType

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
SECTION = "Market: matching engine"
TARGET_ORDERS_PER_S = 50_000
COUNTRIES = ["CZ", "CH", "ES", "DE", "FI", "FR"]
START = datetime(2026, 8, 1, 0, 0, tzinfo=UTC)
QUARTER = timedelta(minutes=15)


def _engine() -> ModuleType:
    """The engine module of this checkout (not of whatever flexmeasures is installed)."""
    sys.path.insert(0, ROOT)
    from flexmeasures.market import engine

    return engine


@dataclass(frozen=True)
class OrderMix:
    """How random orders are drawn: quarter hours per buy (sells: 1-4), location ids per
    country, price ranges (EUR/kWh) and their decimals, and the expiry (None: all at
    START; else a random number of quarter hours after START in this range)."""

    buy_slots: tuple[int, int] = (2, 8)
    places_per_country: int = 20
    buy_prices: tuple[float, float] = (0.05, 0.30)
    sell_prices: tuple[float, float] = (0.10, 0.35)
    price_digits: int = 3
    expiry_quarters: tuple[int, int] | None = None


def random_orders(engine: ModuleType, count: int, seed: int = 9, mix: OrderMix = OrderMix()):
    """``count`` random BookOrders as described in the module docstring (fixed seed), or
    drawn as ``mix`` says."""
    rng = random.Random(seed)
    return [_random_order(engine, rng, order_id, mix) for order_id in range(1, count + 1)]


def _random_order(engine: ModuleType, rng: random.Random, order_id: int, mix: OrderMix):
    """One random BookOrder (the draws in a fixed order, so a seed gives the same orders)."""
    side = rng.choice(("buy", "sell"))
    slots = rng.randint(1, 4) if side == "sell" else rng.randint(*mix.buy_slots)
    start = START + QUARTER * rng.randint(8, 96)
    country = rng.choice(COUNTRIES) if rng.random() > 0.1 else None
    places = None
    if rng.random() < 0.5:
        count = mix.places_per_country
        places = frozenset(f"{country or 'XX'}_{rng.randint(1, count)}" for _ in range(2))
    power = 100.0 * (rng.randint(1, 20) if side == "sell" else rng.randint(5, 50))
    prices = mix.buy_prices if side == "buy" else mix.sell_prices
    price = round(rng.uniform(*prices), mix.price_digits)
    expiry = START
    if mix.expiry_quarters is not None:
        expiry = START + QUARTER * rng.randint(*mix.expiry_quarters)
    return engine.BookOrder(
        order_id=order_id,
        side=side,
        power_w=power,
        price_eur_per_kwh=price,
        delivery_start=start,
        delivery_end=start + QUARTER * slots,
        expiry_time=expiry,
        country_code=country,
        location_ids=places,
        sequence=order_id,
    )


def run_once(engine: ModuleType, count: int) -> dict:
    """Submit ``count`` fresh random orders into an empty book; time the submits (CPU time of
    this process, so that other work on a shared machine does not count; wall time too)."""
    orders = random_orders(engine, count)
    book = engine.OrderBook()
    began, began_cpu = time.perf_counter(), time.process_time()
    trades = 0
    for order in orders:
        trades += len(book.submit(order))
    seconds = time.process_time() - began_cpu
    wall = time.perf_counter() - began
    return {"seconds": seconds, "wall": wall, "trades": trades, "resting": len(book)}


def main() -> None:
    """Run the benchmark 5 times, print the median (and write it into the README if asked)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--write", action="store_true", help="update benchmarks/README.md")
    args = parser.parse_args()
    engine = _engine()
    load_before = os.getloadavg()[0]
    runs = [run_once(engine, args.orders) for _ in range(5)]
    load = max(load_before, os.getloadavg()[0])
    seconds = statistics.median(r["seconds"] for r in runs)
    result = dict(runs[0], wall=statistics.median(r["wall"] for r in runs))
    rate = args.orders / seconds
    print(
        f"{args.orders} orders in {seconds:.3f} s = {rate:,.0f} orders/s "
        f"(target {TARGET_ORDERS_PER_S:,}); {result['trades']} trades, "
        f"{result['resting']} orders resting at the end; load average {load:.1f}, "
        f"wall {result['wall']:.3f} s"
    )
    if args.write:
        _write(args.orders, seconds, rate, result, load)
    if rate < TARGET_ORDERS_PER_S:
        print(f"below the target of {TARGET_ORDERS_PER_S:,} orders/s")


def _write(count: int, seconds: float, rate: float, result: dict, load: float) -> None:
    """Replace this benchmark's section of benchmarks/README.md with the figures."""
    sys.path.insert(0, ROOT)
    from benchmarks.readme import replace_section

    text = f"""
`python benchmarks/bench_market_engine.py` (run by `make bench`): `OrderBook.submit` for
{count:,} random orders into an empty book, matching included, median of 5 runs, in CPU
seconds of the benchmark's process (wall-clock seconds beside them); Python
{platform.python_version()}, {os.cpu_count()} cores, load average {load:.1f} while it ran. The
orders are described in the script's docstring (seeded; about half the buy/sell pairs cross in
price).

| orders | CPU seconds | orders/s | target | wall seconds | trades | resting at the end |
|---|---|---|---|---|---|---|
| {count:,} | {seconds:.2f} | {rate:,.0f} | > {TARGET_ORDERS_PER_S:,} | {result["wall"]:.2f} | \
{result["trades"]:,} | {result["resting"]:,} |

How it works (see the engine's module docstring): resting buys are filed by country under
every quarter hour of their window in which they still have power left, as compact columns
in priority order (prices and the power left in that quarter hour in `array`s of doubles,
beside the orders: no object per filing); an incoming sell reads the list of its first
quarter hour for its country, then the "any" list down to the match found, looking at an
order only when the power column says it could take the sell (about 20 bids read, 6 orders
looked at per sell). A used-up quarter hour leaves its list at once. Resting sells are filed
under their start quarter hour, with the cheapest price per quarter hour beside the lists: an
incoming buy checks its whole window in one `min` and reads a list only if its cheapest ask
crosses. The indexes give Python's garbage collector next to nothing to track (ask entries
are tuples of numbers), so its full collections stay rare. Expiry is a heap of deadlines. On
this shared machine the engine's time goes mostly to reading memory (a bisection over a list
that is not in the cache costs several times one that is), so the figure moves with the
machine's load (2 cores shared by several people here).
"""
    replace_section(SECTION, text)


if __name__ == "__main__":
    main()
