"""Benchmark: the platform's orders for 100 assets' next day, computed and submitted.

Sets up (untimed) 100 batteries (10 kW, 50 kWh, full) on the day-ahead market with hourly
prices peaking in the evening, each with a forecast of 0 MW (its baseline) and a schedule
for tomorrow (UTC), then serves the marketplace with gunicorn (2 workers x 4 threads,
production settings, PostgreSQL from SQLALCHEMY_TEST_DATABASE_URI, which is wiped; no rate
limit). Timed: for every asset, ``place_orders`` (read forecast, schedule and prices, run
the offer strategy, record the orders, submit each through the connector with its
idempotency key), with WORKERS assets at a time. Target: within 10 s. Prints a Markdown
table (``--write-readme`` records it in benchmarks/README.md).
"""

from __future__ import annotations

import os
import socket
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

ASSETS = 100
WORKERS = 8
TARGET_SECONDS = 10.0
PASSWORD = "benchmark-password"
SECTION = "Trading: 100 assets' next day of orders"
# EUR/MWh per hour of the day: cheap at night, dear in the evening
HOURLY_PRICES = [30.0] * 7 + [60.0] * 10 + [150.0] * 4 + [60.0] * 3


def tomorrow() -> datetime:
    """Tomorrow 00:00 UTC."""
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return today + timedelta(days=1)


def set_up(app) -> list[int]:
    """The trader, the batteries with prices, forecasts and schedules; the asset ids."""
    from flexmeasures.data import db
    from flexmeasures.data.services.users import create_user
    from tests.market.trading_setup import (
        add_forecast,
        add_prices,
        add_trading_battery,
        schedule,
    )

    start = tomorrow()
    end = start + timedelta(days=1)
    now = datetime.now(UTC)
    with app.app_context():
        owner = create_user("owner@example.com", PASSWORD, "owner", ["Prosumer"])
        create_user("platform@example.com", PASSWORD, "platform", ["trader"])
        market = add_prices(start, HOURLY_PRICES, known_at=now - timedelta(hours=1))
        assets = [add_trading_battery(owner, f"battery {i}", market) for i in range(ASSETS)]
        for asset in assets:
            add_forecast(asset, start, end, 0.0, made_at=now - timedelta(hours=1))
        db.session.commit()
        for asset in assets:
            schedule(asset, start, end, soc_at_start=0.05)
        return [asset.id for asset in assets]


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def compute(app, asset_ids: list[int]) -> float:
    """Seconds to compute every asset's orders for tomorrow (read and strategy, no submit)."""
    from flexmeasures.market.trading import plan_orders

    start = tomorrow()
    with app.app_context():
        started = time.perf_counter()
        for asset_id in asset_ids:
            plan_orders(asset_id, start, start + timedelta(days=1), datetime.now(UTC))
        return time.perf_counter() - started


def trade(app, port: int, asset_ids: list[int]) -> tuple[float, int, int]:
    """Place every asset's orders for tomorrow; seconds taken, orders submitted, failed."""
    from flexmeasures.data import db
    from flexmeasures.market.connector import ConnectorSettings, MarketConnector
    from flexmeasures.market.trading import place_orders

    start = tomorrow()
    settings = ConnectorSettings(f"http://127.0.0.1:{port}", "platform", PASSWORD)

    def one_asset(asset_id: int) -> dict[str, int]:
        with app.app_context():
            connector = MarketConnector(settings)
            _, counts = place_orders(
                connector, asset_id, start, start + timedelta(days=1), datetime.now(UTC)
            )
            db.session.remove()
            return counts

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        results = list(pool.map(one_asset, asset_ids))
    elapsed = time.perf_counter() - started
    return elapsed, sum(r["submitted"] for r in results), sum(r["failed"] for r in results)


def run() -> str:
    """Set up, serve the marketplace, place the orders; the results table."""
    import benchmarks.bench_api_concurrency as concurrency
    from benchmarks.bench_api_timeseries import make_app
    from flexmeasures.config import DEFAULT_TEST_DATABASE_URI

    uri = os.environ.get("SQLALCHEMY_TEST_DATABASE_URI", DEFAULT_TEST_DATABASE_URI)
    app = make_app()
    asset_ids = set_up(app)
    computed = compute(app, asset_ids)
    os.environ["FLEXMEASURES_MARKET_RATE_LIMIT"] = "0"  # the server (gunicorn) inherits it
    concurrency.PORT = free_port()  # not the fixed port other benchmarks use
    server = concurrency.start_server(uri)
    try:
        elapsed, submitted, failed = trade(app, concurrency.PORT, asset_ids)
    finally:
        server.terminate()
        server.wait(timeout=60)
    verdict = "yes" if elapsed <= TARGET_SECONDS and not failed else "no"
    return (
        "| assets | computed (s) | orders submitted | failed | computed + submitted (s) "
        "| orders/s | within 10 s |\n"
        "|---|---|---|---|---|---|---|\n"
        f"| {ASSETS} | {computed:.2f} | {submitted} | {failed} | {elapsed:.2f} "
        f"| {submitted / elapsed:,.1f} | {verdict} |"
    )


def main() -> None:
    """Run the benchmark and print the table; ``--write-readme`` records it."""
    from benchmarks.readme import replace_section

    if set(sys.argv[1:]) - {"--write-readme"}:
        sys.exit(f"usage: {sys.argv[0]} [--write-readme]")
    table = run()
    print(table)
    if "--write-readme" in sys.argv[1:]:
        replace_section(SECTION, "\n\n".join([README_TEXT, table, README_NOTES]))


README_TEXT = (
    "`python benchmarks/bench_trading.py --write-readme` (run by `make bench`) on PostgreSQL "
    "15, 2 cores shared with other work: 100 batteries (10 kW, 50 kWh, full), each with a "
    "forecast and a schedule for tomorrow; for each, `place_orders` reads its forecast, "
    "schedule and prices, runs the offer strategy (one sell per quarter hour worth offering), "
    "records the orders and submits them one by one through the connector to the "
    f"marketplace under gunicorn (2 workers x 4 threads), {WORKERS} assets at a time."
)
README_NOTES = (
    "Each submit is one HTTP request and one marketplace transaction under its advisory "
    "lock, and one commit on the platform's side (so a crash never loses which orders were "
    "sent: the idempotency key makes a resubmit harmless). The marketplace's serialised "
    "submits bound the throughput."
)


if __name__ == "__main__":
    main()
