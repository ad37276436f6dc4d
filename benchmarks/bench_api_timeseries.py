"""Benchmark: posting and getting a year of 15-minute meter data through the API.

Run with ``make bench`` (or ``python benchmarks/bench_api_timeseries.py``) against the
PostgreSQL database in SQLALCHEMY_TEST_DATABASE_URI (default: the test database, which
is wiped). Prints a Markdown table of median server times (seconds) per scenario:

- postMeterData with 35,040 values (one year at 15 minutes) for one connection;
- getMeterData for that year at 15 minutes and at PT1H;
- the same post done through the ORM, one object per value (for comparison);
- a one-day read with ten years of history in the table, and its query plan.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import text

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from flexmeasures.app import create_app
from flexmeasures.config import DEFAULT_TEST_DATABASE_URI
from flexmeasures.data import db

YEAR_START = datetime(2020, 1, 1, tzinfo=UTC)
QUARTERS_PER_YEAR = 366 * 96  # 2020 is a leap year: 35,136 values
PASSWORD = "benchmark-password"


def median_seconds(action: Callable[[], object], repeat: int = 5) -> float:
    """Median wall-clock time of an action in seconds."""
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def make_app():
    """The app on the benchmark database, with a fresh schema."""
    from flask_migrate import upgrade

    uri = os.environ.get("SQLALCHEMY_TEST_DATABASE_URI", DEFAULT_TEST_DATABASE_URI)
    app = create_app(
        "testing",
        settings={"SQLALCHEMY_DATABASE_URI": uri, "FLEXMEASURES_REDIS_URL": None},
    )
    with app.app_context():
        with db.engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade()
    return app


def set_up_structure(app):
    """An MDC user, a charging station and a token; returns (asset id, token)."""
    from flexmeasures.data.models import Asset
    from flexmeasures.data.services.structure import add_default_structure
    from flexmeasures.data.services.users import create_user

    with app.app_context():
        add_default_structure()
        user = create_user("mdc@example.com", PASSWORD, "mdc", roles=["MDC", "admin"])
        asset = Asset(
            name="CS 1",
            asset_type_name="charging_station",
            capacity_in_mw=1,
            latitude=52,
            longitude=4,
            owner=user,
            unit="MW",
            event_resolution=timedelta(minutes=15),
        )
        db.session.add(asset)
        db.session.commit()
        return asset.id, user.get_auth_token()


def year_message(asset_id: int, year_offset: int) -> dict:
    """A postMeterData message with one year of 15-minute values."""
    start = YEAR_START.replace(year=YEAR_START.year - year_offset)
    values = np.round(np.random.default_rng(year_offset).random(QUARTERS_PER_YEAR), 3)
    return {
        "type": "PostMeterDataRequest",
        "connection": f"ea1.2018-06.localhost:{asset_id}",
        "values": values.tolist(),
        "start": start.isoformat(),
        "duration": f"PT{QUARTERS_PER_YEAR * 15}M",
        "unit": "MW",
    }


def bench_post(client, headers, asset_id) -> float:
    """Median server time to post one year of values (each run a different year).

    The request bodies are encoded beforehand, so only the server's work is timed.
    """
    bodies = iter([json.dumps(year_message(asset_id, offset)) for offset in range(1, 6)])

    def post():
        response = client.post(
            "/api/v2_0/postMeterData",
            data=next(bodies),
            content_type="application/json",
            headers=headers,
        )
        assert response.status_code == 200, response.json

    return median_seconds(post)


def bench_get(client, headers, asset_id, resolution: str | None, days: int = 366) -> float:
    """Median time to get the most recent beliefs of 2020 (or its first days)."""
    query = {
        "connection": f"ea1.2018-06.localhost:{asset_id}",
        "start": YEAR_START.isoformat(),
        "duration": f"P{days}D",
        "unit": "MW",
    }
    if resolution:
        query["resolution"] = resolution

    def get():
        response = client.get("/api/v2_0/getMeterData", query_string=query, headers=headers)
        assert response.status_code == 200, response.json

    return median_seconds(get)


def bench_orm_row_by_row(app, asset_id) -> float:
    """Posting a year the naive way: one ORM object per value, one flush."""
    from flexmeasures.data.models import DataSource, TimedBelief

    with app.app_context():
        source = db.session.scalars(db.select(DataSource).filter_by(type="user")).first()
        starts = pd.date_range("2030-01-01", periods=QUARTERS_PER_YEAR, freq="15min", tz="UTC")

        def insert():
            for index, start in enumerate(starts):
                db.session.add(
                    TimedBelief(
                        sensor_id=asset_id,
                        event_start=start.to_pydatetime(),
                        belief_horizon=timedelta(0),
                        source_id=source.id,
                        event_value=float(index),
                    )
                )
            db.session.flush()
            db.session.rollback()

        return median_seconds(insert, repeat=1)


def query_plan(app, asset_id) -> str:
    """The PostgreSQL plan of a one-day most-recent-belief read."""
    with app.app_context():
        rows = db.session.execute(
            text(
                "EXPLAIN ANALYZE SELECT DISTINCT ON (tb.sensor_id, tb.event_start) tb.* "
                "FROM timed_belief tb JOIN sensor s ON s.id = tb.sensor_id "
                "WHERE tb.sensor_id IN (:id) "
                "AND tb.event_start >= :start AND tb.event_start < :end "
                "ORDER BY tb.sensor_id, tb.event_start, tb.belief_horizon, tb.source_id"
            ),
            {"id": asset_id, "start": YEAR_START, "end": YEAR_START + timedelta(days=1)},
        ).all()
        return "\n".join(row[0] for row in rows)


def main() -> None:
    """Run every scenario and print the results as a Markdown table."""
    app = make_app()
    asset_id, token = set_up_structure(app)
    headers = {"Authorization": token}
    client = app.test_client()
    with app.app_context():
        db.session.commit()
    results = {}
    results["postMeterData, 1 year at PT15M (35,136 values)"] = bench_post(
        client, headers, asset_id
    )
    client.post("/api/v2_0/postMeterData", json=year_message(asset_id, 0), headers=headers)
    results["getMeterData, 1 year at PT15M"] = bench_get(client, headers, asset_id, None)
    results["getMeterData, 1 year at PT1H"] = bench_get(client, headers, asset_id, "PT1H")
    results["getMeterData, 1 day (6 years in the table)"] = bench_get(
        client, headers, asset_id, None, 1
    )
    results["ORM row by row, 1 year (comparison)"] = bench_orm_row_by_row(app, asset_id)
    print("| scenario | median seconds |\n|---|---|")
    for name, seconds in results.items():
        print(f"| {name} | {seconds:.3f} |")
    print("\nQuery plan of a one-day read:\n```\n" + query_plan(app, asset_id) + "\n```")


if __name__ == "__main__":
    main()
