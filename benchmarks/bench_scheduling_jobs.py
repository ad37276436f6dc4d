"""Benchmark: scheduling jobs end to end, on PostgreSQL and Redis.

Run with ``make bench`` (or ``python benchmarks/bench_scheduling_jobs.py``; ``--write``
also replaces the "Scheduling jobs" section of benchmarks/README.md) against the
PostgreSQL database in SQLALCHEMY_TEST_DATABASE_URI and the Redis database in
FLEXMEASURES_TEST_REDIS_URL (defaults: the test database and redis://127.0.0.1:6379/15;
both are wiped). Measures:

- the whole job (``make_schedule``: read the asset and its market's prices, build and
  solve the problem, save the power schedule as beliefs and commit) for one battery at
  15-minute resolution over 96, 192 and 672 steps, split into read, build, solve and save
  (targets for the whole job with HiGHS: 100, 150 and 300 ms); the Pyomo backends (CBC,
  GLPK, HiGHS through Pyomo) beside it;
- a portfolio of 50 batteries, one job each (192 steps), queued on Redis and run by two
  ``flexmeasures jobs run-worker --burst`` processes: schedules per second.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from benchmarks.bench_api_timeseries import make_app
from benchmarks.readme import replace_section
from flexmeasures.app import create_app
from flexmeasures.config import DEFAULT_TEST_DATABASE_URI
from flexmeasures.data import db
from flexmeasures.scheduling import available_solvers

HORIZONS = {96: 100.0, 192: 150.0, 672: 300.0}  # steps → target for the whole job (ms)
QUARTER = timedelta(minutes=15)
START = datetime(2021, 3, 1, tzinfo=UTC)
PRICE_DAYS = 10
PORTFOLIO_SIZE = 50
WORKERS = 2
WORKER_TIMEOUT_SECONDS = 300
SECTION = "## Scheduling jobs"
PHASES = ("read", "build", "solve", "save")


def redis_url() -> str:
    """The Redis database the benchmark may wipe."""
    return os.environ.get("FLEXMEASURES_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def database_uri() -> str:
    """The PostgreSQL database the benchmark may wipe."""
    return os.environ.get("SQLALCHEMY_TEST_DATABASE_URI", DEFAULT_TEST_DATABASE_URI)


def hourly_prices(hours: int) -> np.ndarray:
    """Synthetic day-ahead prices (EUR/MWh): morning and evening peaks, noise; fixed seed."""
    hour = np.arange(hours)
    daily = 45 + 25 * np.sin((hour - 8) / 24 * 2 * np.pi) + 15 * np.cos(hour / 12 * 2 * np.pi)
    return np.round(daily + np.random.default_rng(2021).normal(0, 4, hours), 2)


def set_up_batteries(app, number: int) -> list[int]:
    """The standard structure, a Prosumer with ``number`` batteries (2 MW, 0.4-4 MWh, 15
    minutes) on epex_da, and PRICE_DAYS of hourly prices there; returns the asset ids."""
    from flexmeasures.data.ingest import save_beliefs
    from flexmeasures.data.models import Asset, DataSource, Market
    from flexmeasures.data.services.structure import add_default_structure
    from flexmeasures.data.services.users import create_user

    with app.app_context():
        add_default_structure()
        owner = create_user("prosumer@example.com", "benchmark-password", "p", ["Prosumer"])
        market = db.session.scalar(db.select(Market).filter_by(name="epex_da"))
        assets = [
            Asset(
                name=f"battery {index}",
                asset_type_name="battery",
                capacity_in_mw=2,
                min_soc_in_mwh=0.4,
                max_soc_in_mwh=4,
                soc_in_mwh=2,
                latitude=52,
                longitude=4,
                owner=owner,
                market_id=market.id,
                unit="MW",
                event_resolution=QUARTER,
            )
            for index in range(number)
        ]
        source = DataSource(name="price feed", type="script")
        db.session.add_all([*assets, source])
        db.session.flush()
        hours = pd.date_range(START, periods=24 * PRICE_DAYS, freq="1h")
        prices = pd.DataFrame(
            {
                "sensor_id": market.id,
                "event_start": hours,
                "belief_horizon": timedelta(hours=24),
                "source_id": source.id,
                "event_value": hourly_prices(len(hours)),
            }
        )
        save_beliefs(prices)
        db.session.commit()
        return [asset.id for asset in assets]


def time_jobs(app, asset_id: int, steps: int, solver: str, repeat: int) -> dict[str, float]:
    """Median milliseconds of the whole job and of its phases, over ``repeat`` jobs (after a
    warm-up); each job starts one step later than the one before, as new events do. The
    cost (EUR) is that of the first measured job, the same window for every solver."""
    from flexmeasures.scheduling.jobs import make_schedule

    wholes: list[float] = []
    phases: dict[str, list[float]] = {phase: [] for phase in PHASES}
    costs: list[float] = []
    with app.app_context():
        for run in range(repeat + 1):
            start = START + run * QUARTER
            started = time.perf_counter()
            summary = make_schedule(asset_id, start, start + steps * QUARTER, 2.0, solver=solver)
            whole = time.perf_counter() - started
            db.session.remove()  # a worker's next job gets a fresh session
            assert summary["status"] == "optimal", summary
            if run == 0:
                continue  # warm-up: imports, solver start-up, first statements
            wholes.append(whole)
            costs.append(summary["expected_cost"])
            for phase in PHASES:
                phases[phase].append(summary[f"{phase}_seconds"])
    medians = {phase: 1e3 * statistics.median(values) for phase, values in phases.items()}
    return {"whole": 1e3 * statistics.median(wholes), **medians, "cost": costs[0]}


def job_table(app, asset_id: int) -> str:
    """A Markdown table of the job's median timings per horizon and solver."""
    lines = [
        "| steps | solver | read (ms) | build (ms) | solve (ms) | save (ms) | whole job (ms) "
        "| target (ms) | cost (EUR) |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for steps, target in HORIZONS.items():
        for solver in available_solvers():
            repeat = 30 if solver == "highs" else 5
            timing = time_jobs(app, asset_id, steps, solver, repeat)
            verdict = ""
            if solver == "highs":
                verdict = f"{target:g} {'✓' if timing['whole'] < target else '✗'}"
            lines.append(
                f"| {steps} | {solver} | {timing['read']:.1f} | {timing['build']:.1f} "
                f"| {timing['solve']:.1f} | {timing['save']:.1f} | {timing['whole']:.1f} "
                f"| {verdict} | {timing['cost']:.2f} |"
            )
    return "\n".join(lines)


def worker_command() -> list[str]:
    """``flexmeasures jobs run-worker --queue scheduling --burst`` with this Python."""
    return [
        sys.executable,
        "-c",
        "from flexmeasures.cli import main; main()",
        "jobs",
        "run-worker",
        "--queue",
        "scheduling",
        "--burst",
    ]


def run_workers(number: int) -> float:
    """Start ``number`` burst workers on the benchmark's database and Redis and wait until
    they are done (at most WORKER_TIMEOUT_SECONDS); returns the wall-clock seconds."""
    environment = {
        **os.environ,
        "FLEXMEASURES_ENV": "testing",
        "SQLALCHEMY_TEST_DATABASE_URI": database_uri(),
        "FLEXMEASURES_REDIS_URL": redis_url(),
    }
    started = time.perf_counter()
    workers = [
        subprocess.Popen(
            worker_command(),
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(number)
    ]
    try:
        for worker in workers:
            worker.wait(timeout=max(1.0, WORKER_TIMEOUT_SECONDS - (time.perf_counter() - started)))
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
    return time.perf_counter() - started


def portfolio_run(asset_ids: list[int], steps: int = 192) -> dict[str, float]:
    """Queue one job per battery on Redis, run them with WORKERS burst workers, and measure
    schedules per second (over the workers' whole life, and while jobs were running)."""
    from rq.job import JobStatus

    from flexmeasures.scheduling.jobs import enqueue_schedule

    app = create_app(
        "testing",
        settings={"SQLALCHEMY_DATABASE_URI": database_uri(), "FLEXMEASURES_REDIS_URL": redis_url()},
    )
    with app.app_context():
        app.redis_connection.flushdb()
        start = START + timedelta(days=1)
        jobs = [
            enqueue_schedule(asset_id, start, start + steps * QUARTER, 2.0)
            for asset_id in asset_ids
        ]
        wall_seconds = run_workers(WORKERS)
        for job in jobs:
            job.refresh()
        finished = [job for job in jobs if job.get_status() == JobStatus.FINISHED]
        assert len(finished) == len(jobs), f"only {len(finished)} of {len(jobs)} jobs finished"
        busy = max(job.ended_at for job in jobs) - min(job.started_at for job in jobs)
        app.redis_connection.flushdb()
    return {
        "jobs": len(jobs),
        "wall": wall_seconds,
        "wall_rate": len(jobs) / wall_seconds,
        "busy": busy.total_seconds(),
        "busy_rate": len(jobs) / busy.total_seconds(),
    }


def portfolio_table(result: dict[str, float]) -> str:
    """A Markdown table of the portfolio run."""
    return "\n".join(
        [
            "| jobs | workers | measured over | seconds | schedules per second |",
            "|---:|---:|---|---:|---:|",
            f"| {result['jobs']} | {WORKERS} | the workers' whole life (start-up included) "
            f"| {result['wall']:.2f} | {result['wall_rate']:.1f} |",
            f"| {result['jobs']} | {WORKERS} | first job start to last job end "
            f"| {result['busy']:.2f} | {result['busy_rate']:.1f} |",
        ]
    )


def section(jobs: str, portfolio: str) -> str:
    """The README section with both tables and how they were made."""
    return f"""{SECTION}

`python benchmarks/bench_scheduling_jobs.py --write` (PostgreSQL in
SQLALCHEMY_TEST_DATABASE_URI and Redis in FLEXMEASURES_TEST_REDIS_URL; both are wiped).
One battery (2 MW, 0.4-4 MWh, starting at 2 MWh) at 15-minute steps on a market with
hourly day-ahead prices; the whole job is `make_schedule` as a worker runs it: read the
asset and its market's prices (most recent beliefs), build and solve the problem, save
the power schedule as beliefs and commit. Each job starts one step after the previous one
(new beliefs each time); the cost is that of the first measured job (the same window for
each solver). Medians of 30 jobs (HiGHS) or 5 jobs (Pyomo backends), after a
warm-up job. Read = one query for the asset, its market and the scheduler's data source,
then the price query with resampling to the asset's steps; build and solve as in the
Scheduling section; save = building the beliefs, the bulk insert (`save_beliefs`) and the
commit.
Machine: {platform.machine()}, {os.cpu_count()} cores, Python
{platform.python_version()}, PostgreSQL on the same machine, shared with other work
while measured.

{jobs}

Portfolio: {PORTFOLIO_SIZE} batteries, one job each over 192 steps (HiGHS), queued on
Redis and run by {WORKERS} `flexmeasures jobs run-worker --queue scheduling --burst`
processes started at once.

{portfolio}

What profiling (cProfile, and the phases above) showed, and what was done:

- Reading the asset took three ORM lookups (asset, market, the scheduler's data source),
  and building a query with an alias of the sensor table cost more than running it. A
  job now reads the asset, its market's resolution and price unit and the data source's
  id in one statement, built once per process: about 0.9 ms instead of 2.2 ms.
- Schedules starting within a price event (e.g. at 10:15 with hourly prices) failed with
  UNKNOWN_PRICES, because the price read started at the schedule's start; it now starts at
  the price event that holds then.
- What remains of a job, when profiled: the price query (about 2.5 ms, a few dozen rows
  streamed with COPY and parsed by pandas), the bulk save (about 7 ms: checking the frame
  in pandas, then on PostgreSQL a temporary table created per transaction, COPY and
  INSERT) and the commit (about 1 ms). Those are the shared data layer's `search_beliefs`
  and `save_beliefs`, left as they are; the solve is a few milliseconds.
- In the portfolio run, a worker spends about twice a job's own time per job (RQ's
  bookkeeping on Redis, a fresh app context and database session per job), and starting a
  worker process (imports, the app) takes about 3 seconds: keep workers running.
"""


def main() -> None:
    """Run both benchmarks and print the section; with --write, put it into the README."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="update benchmarks/README.md")
    arguments = parser.parse_args()
    app = make_app()
    asset_ids = set_up_batteries(app, PORTFOLIO_SIZE)
    jobs = job_table(app, asset_ids[0])
    text = section(jobs, portfolio_table(portfolio_run(asset_ids)))
    print(text)
    if arguments.write:
        replace_section("Scheduling jobs", text)


if __name__ == "__main__":
    main()
