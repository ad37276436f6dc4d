"""Migration 3f6a2c9e1d47 (prognosis sources): a user's beliefs about assets with a positive
horizon move to the user's new prognosis source, and back on downgrade."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from flexmeasures.data import db
from tests.test_migrations import MIGRATIONS_DATABASE_URI, app_for

BEFORE = "8e67f12b7738"
BELIEF = (
    "INSERT INTO timed_belief (sensor_id, event_start, source_id, belief_horizon, "
    "cumulative_probability, event_value) SELECT :sensor, '2015-01-01T00:00:00+00', id, "
    ":horizon, 0.5, :value FROM data_source WHERE type = 'user'"
)


@pytest.fixture
def empty_postgres_app(tmp_path) -> Iterator[Flask]:
    """An app on the emptied migrations database (as in test_migrations.py)."""
    app = app_for(MIGRATIONS_DATABASE_URI, tmp_path)
    with app.app_context():
        with db.engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        yield app
        db.session.remove()
        db.engine.dispose()


def run(sql: str, **params) -> list:
    with db.engine.begin() as connection:
        result = connection.execute(text(sql), params)
        return result.all() if result.returns_rows else []


def sources_of_beliefs() -> list[tuple]:
    return run(
        "SELECT tb.sensor_id, EXTRACT(EPOCH FROM tb.belief_horizon)::int, ds.type "
        "FROM timed_belief tb JOIN data_source ds ON ds.id = tb.source_id ORDER BY 1, 2"
    )


def test_positive_horizons_about_assets_become_prognoses_and_back(empty_postgres_app):
    upgrade(revision=BEFORE)
    run(
        "INSERT INTO fm_user (id, email, username, active, fs_uniquifier, timezone) "
        "VALUES (1, 'mdc@x.org', 'mdc', true, 'u1', 'UTC')"
    )
    run("INSERT INTO data_source (name, type, user_id) VALUES ('mdc', 'user', 1)")
    for sensor_id, sensor_type in ((1, "asset"), (2, "market")):
        run(
            "INSERT INTO sensor (id, name, unit, timezone, event_resolution, type) "
            "VALUES (:id, :type, 'MW', 'UTC', interval '15 minutes', :type)",
            id=sensor_id,
            type=sensor_type,
        )
    for sensor_id, horizon in ((1, "6 hours"), (1, "-10 minutes"), (2, "6 hours")):
        run(BELIEF, sensor=sensor_id, horizon=horizon, value=1.0)
    upgrade()
    assert sources_of_beliefs() == [
        (1, -600, "user"),
        (1, 21600, "prognosis"),
        (2, 21600, "user"),  # prices are no prognoses of a user
    ]
    run(BELIEF, sensor=1, horizon="6 hours", value=2.0)  # the same belief as meter data
    downgrade(revision=BEFORE)
    assert sources_of_beliefs() == [(1, -600, "user"), (1, 21600, "user"), (2, 21600, "user")]
    kept = "SELECT event_value FROM timed_belief WHERE sensor_id = 1 AND belief_horizon > '1 h'"
    assert run(kept) == [(2.0,)]  # the meter data, not the prognosis it collided with
    assert run("SELECT count(*) FROM data_source") == [(1,)]
