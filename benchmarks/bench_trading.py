"""Benchmark: the platform's orders for 100 assets' next day, computed and submitted.

Sets up (untimed) 100 batteries (10 kW, 50 kWh, full) on the day-ahead market with hourly
prices peaking in the evening, each with a forecast of 0 MW (its baseline) and a schedule
for tomorrow (UTC), then serves the marketplace with gunicorn (2 workers x 4 threads,
production settings, PostgreSQL from SQLALCHEMY_TEST_DATABASE_URI, which is wiped; no rate
limit). Timed: computing every asset's orders one asset at a time (``plan_orders``, for
comparison) and all together (``plan_many``: every asset's forecasts, schedules and prices
read in one query each); then ``place_many`` for all assets (plan together, record every
order in one commit, submit them through the connector with their idempotency keys,
SUBMIT_WORKERS at a time). Wall-clock and CPU seconds (this process; the server's worker
processes; the PostgreSQL backends of the database) and the load average are reported.
Target: within 10 s. Prints a Markdown table (``--write-readme`` records it in
benchmarks/README.md).
"""

from __future__ import annotations

import os
import socket
import sys
import time
from datetime import UTC, datetime, timedelta

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

ASSETS = 100
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


def compute(app, asset_ids: list[int]) -> dict[str, float]:
    """Seconds to compute every asset's orders for tomorrow (reads and strategy, no submit):
    one asset at a time ("alone") and all together ("together", also its CPU seconds and
    the number of orders)."""
    from flexmeasures.market.trading import plan_many, plan_orders

    start = tomorrow()
    end = start + timedelta(days=1)
    with app.app_context():
        started = time.perf_counter()
        for asset_id in asset_ids:
            plan_orders(asset_id, start, end, datetime.now(UTC))
        alone = time.perf_counter() - started
        started, cpu = time.perf_counter(), time.process_time()
        plans = plan_many(asset_ids, start, end, datetime.now(UTC))
        together = time.perf_counter() - started
        together_cpu = time.process_time() - cpu
    orders = sum(len(plan.orders) for plan in plans.values() if not isinstance(plan, Exception))
    return {"alone": alone, "together": together, "cpu": together_cpu, "orders": orders}


def server_cpu(server) -> float:
    """CPU seconds (user + system) used so far by the server and its worker processes."""
    import psutil

    parent = psutil.Process(server.pid)
    processes = [parent, *parent.children(recursive=True)]
    return sum(sum(p.cpu_times()[:2]) for p in processes)


def database_cpu(app) -> dict[int, float]:
    """CPU seconds used so far by each PostgreSQL backend serving the benchmark database
    (Linux; the server's and this process's connections)."""
    from benchmarks.bench_market_api import cpu_seconds, database_pids

    return {pid: cpu_seconds([pid]) for pid in database_pids(app)}


def trade(app, port: int, asset_ids: list[int], server) -> dict[str, float]:
    """Place every asset's orders for tomorrow with ``place_many``: seconds taken, CPU
    seconds of this process, of the server and of the database backends, orders submitted
    and failed."""
    from flexmeasures.market.connector import ConnectorSettings, MarketConnector
    from flexmeasures.market.trading import place_many

    start = tomorrow()
    settings = ConnectorSettings(f"http://127.0.0.1:{port}", "platform", PASSWORD)
    with app.app_context():
        connector = MarketConnector(settings)
        connector.access_token()  # log in first (not timed)
        database_before = database_cpu(app)
        server_before, cpu = server_cpu(server), time.process_time()
        started = time.perf_counter()
        _, counts = place_many(
            connector, asset_ids, start, start + timedelta(days=1), datetime.now(UTC)
        )
        elapsed = time.perf_counter() - started
        cpu, server_used = time.process_time() - cpu, server_cpu(server) - server_before
        database_after = database_cpu(app)
    database_used = sum(s - database_before.get(pid, 0.0) for pid, s in database_after.items())
    return {
        "seconds": elapsed,
        "cpu": cpu,
        "server_cpu": server_used,
        "database_cpu": database_used,
        **counts,
    }


def run() -> str:
    """Set up, serve the marketplace, place the orders; the results table."""
    import benchmarks.bench_api_concurrency as concurrency
    from benchmarks.bench_api_timeseries import make_app
    from flexmeasures.config import DEFAULT_TEST_DATABASE_URI

    uri = os.environ.get("SQLALCHEMY_TEST_DATABASE_URI", DEFAULT_TEST_DATABASE_URI)
    app = make_app()
    asset_ids = set_up(app)
    load = os.getloadavg()[0]
    computed = compute(app, asset_ids)
    os.environ["FLEXMEASURES_MARKET_RATE_LIMIT"] = "0"  # the server (gunicorn) inherits it
    port = free_port()  # not the fixed port other benchmarks use
    server = concurrency.start_server(uri, port)
    try:
        traded = trade(app, port, asset_ids, server)
    finally:
        server.terminate()
        server.wait(timeout=60)
    load = max(load, os.getloadavg()[0])
    elapsed = traded["seconds"]
    verdict = "yes" if elapsed <= TARGET_SECONDS and not traded["failed"] else "no"
    return (
        "| assets | orders | computed one by one (s) | computed together (s, CPU s) "
        "| computed + recorded + submitted (s) | CPU s platform / marketplace / database "
        "| failed | orders/s | load average | within 10 s |\n"
        "|---|---|---|---|---|---|---|---|---|---|\n"
        f"| {ASSETS} | {traded['submitted']} | {computed['alone']:.2f} "
        f"| {computed['together']:.2f} ({computed['cpu']:.2f}) | {elapsed:.2f} "
        f"| {traded['cpu']:.2f} / {traded['server_cpu']:.2f} / {traded['database_cpu']:.2f} "
        f"| {traded['failed']} "
        f"| {traded['submitted'] / elapsed:,.1f} | {load:.1f} | {verdict} |"
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
    "forecast and a schedule for tomorrow on hourly day-ahead prices. Computed one by one: "
    "`plan_orders` per asset; together: `plan_many` (every asset's forecasts, schedules and "
    "prices in one query each, then the offer strategy per asset, blocks of at most one hour "
    "of equal power). Then `place_many` plans again, records every order in one commit and "
    "submits them through the connector (idempotency key each), "
    "8 at a time, to the marketplace under gunicorn (2 workers x 4 threads)."
)
README_NOTES = (
    "Each submit is one HTTP request and one marketplace transaction under its advisory "
    "lock; the platform commits every order's key before sending and the answers 50 at a "
    "time (a crash in between only makes the next run resubmit, and the idempotency key "
    "makes the marketplace answer the first order). The CPU columns are the CPU seconds "
    "during `place_many` of this process (planning, recording, sending), of the "
    "marketplace's gunicorn processes and of the database's PostgreSQL backends; the load "
    "average is the machine's 1-minute load (2 cores; above 2, other work competed)."
)


if __name__ == "__main__":
    main()
