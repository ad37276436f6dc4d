"""Migrations own the schema: they go up and down on PostgreSQL and SQLite, and the models
agree with them (a model change without a migration fails here).

PostgreSQL runs on its own database, flexmeasures_test_migrations (``ci/start-services.sh``
creates it; override with SQLALCHEMY_TEST_MIGRATIONS_DATABASE_URI), so that dropping its
schema does not disturb the other tests.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import Column, Integer, MetaData, inspect, text

from flexmeasures.app import create_app
from flexmeasures.data import db
from flexmeasures.data.services.users import create_user
from tests.worker_resources import database_for_worker

MIGRATIONS_DATABASE_URI = database_for_worker(
    os.environ.get(
        "SQLALCHEMY_TEST_MIGRATIONS_DATABASE_URI",
        "postgresql://flexmeasures_test:flexmeasures_test@127.0.0.1/flexmeasures_test_migrations",
    )
)


def app_for(uri: str, instance_path: Path) -> Flask:
    """An app whose database is ``uri``, with jobs in-process."""
    return create_app(
        "testing",
        settings={"SQLALCHEMY_DATABASE_URI": uri, "FLEXMEASURES_REDIS_URL": None},
        instance_path=instance_path,
    )


@pytest.fixture
def postgres_app(tmp_path) -> Iterator[Flask]:
    """An app on the (emptied) migrations database."""
    app = app_for(MIGRATIONS_DATABASE_URI, tmp_path)
    with app.app_context():
        with db.engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def sqlite_app(tmp_path) -> Iterator[Flask]:
    """An app on a new SQLite file."""
    app = app_for(f"sqlite:///{tmp_path / 'fm.db'}", tmp_path)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def table_names() -> set[str]:
    """The tables in the current app's database."""
    return set(inspect(db.engine).get_table_names())


def model_tables() -> set[str]:
    """The tables the models define."""
    return set(db.metadata.tables)


def differences_from_database(metadata: MetaData) -> list:
    """What Alembic's autogenerate would put in a new migration (empty if nothing)."""
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, metadata)


def migrate_up_down_up() -> None:
    """Upgrade to head, downgrade to base, upgrade again, checking the tables each time."""
    upgrade()
    assert table_names() == model_tables() | {"alembic_version"}
    downgrade(revision="base")
    assert table_names() == {"alembic_version"}
    upgrade()
    assert table_names() == model_tables() | {"alembic_version"}


def test_migrations_go_up_and_down_on_postgres(postgres_app):
    assert table_names() == set()
    migrate_up_down_up()


# Migration 3f6a2c9e1d47 (prognosis sources): a user's beliefs about assets with a positive
# horizon move to the user's new prognosis source, and back on downgrade.
PROGNOSIS_SOURCES_PARENT = "3a1c0e7d9b42"
BELIEF = (
    "INSERT INTO timed_belief (sensor_id, event_start, source_id, belief_horizon, "
    "cumulative_probability, event_value) SELECT :sensor, '2015-01-01T00:00:00+00', id, "
    ":horizon, 0.5, :value FROM data_source WHERE type = 'user'"
)


def run_sql(sql: str, **params) -> list:
    """Run one SQL statement in its own transaction; return its rows (if any)."""
    with db.engine.begin() as connection:
        result = connection.execute(text(sql), params)
        return result.all() if result.returns_rows else []


def sources_of_beliefs() -> list[tuple]:
    """(sensor id, horizon in seconds, source type) of every belief."""
    return run_sql(
        "SELECT tb.sensor_id, EXTRACT(EPOCH FROM tb.belief_horizon)::int, ds.type "
        "FROM timed_belief tb JOIN data_source ds ON ds.id = tb.source_id ORDER BY 1, 2"
    )


def test_positive_horizons_about_assets_become_prognoses_and_back(postgres_app):
    upgrade(revision=BEFORE_ACCOUNTS)  # the user below gets an account on the way up
    run_sql(
        "INSERT INTO fm_user (id, email, username, active, fs_uniquifier, timezone) "
        "VALUES (1, 'mdc@x.org', 'mdc', true, 'u1', 'UTC')"
    )
    run_sql("INSERT INTO data_source (name, type, user_id) VALUES ('mdc', 'user', 1)")
    for sensor_id, sensor_type in ((1, "asset"), (2, "market")):
        run_sql(
            "INSERT INTO sensor (id, name, unit, timezone, event_resolution, type) "
            "VALUES (:id, :type, 'MW', 'UTC', interval '15 minutes', :type)",
            id=sensor_id,
            type=sensor_type,
        )
    for sensor_id, horizon in ((1, "6 hours"), (1, "-10 minutes"), (2, "6 hours")):
        run_sql(BELIEF, sensor=sensor_id, horizon=horizon, value=1.0)
    upgrade()
    assert sources_of_beliefs() == [
        (1, -600, "user"),
        (1, 21600, "prognosis"),
        (2, 21600, "user"),  # prices are no prognoses of a user
    ]
    run_sql(BELIEF, sensor=1, horizon="6 hours", value=2.0)  # the same belief as meter data
    downgrade(revision=PROGNOSIS_SOURCES_PARENT)
    assert sources_of_beliefs() == [(1, -600, "user"), (1, 21600, "user"), (2, 21600, "user")]
    kept = "SELECT event_value FROM timed_belief WHERE sensor_id = 1 AND belief_horizon > '1 h'"
    assert run_sql(kept) == [(2.0,)]  # the meter data, not the prognosis it collided with
    assert run_sql("SELECT count(*) FROM data_source") == [(1,)]


def test_models_and_migrations_agree_on_postgres(postgres_app):
    upgrade()
    assert differences_from_database(db.metadata) == [], (
        "The models differ from the migrations; generate one with `flexmeasures db migrate`."
    )


def test_a_model_change_without_migration_is_found(postgres_app):
    upgrade()
    changed = MetaData(naming_convention=db.metadata.naming_convention)
    for table in db.metadata.tables.values():
        table.to_metadata(changed)
    changed.tables["market"].append_column(Column("new_column", Integer))
    differences = differences_from_database(changed)
    assert [(d[0], d[3].name) for d in differences] == [("add_column", "new_column")]


def test_migrations_go_up_and_down_on_sqlite(sqlite_app):
    migrate_up_down_up()


# The accounts migration gives every existing user an account of their own.
BEFORE_ACCOUNTS = "8e67f12b7738"


def _add_users_without_accounts() -> None:
    with db.engine.begin() as connection:
        for user_id, name in ((3, "ann"), (7, "bob")):
            connection.execute(
                text(
                    "INSERT INTO fm_user (id, email, username, active, fs_uniquifier, "
                    "login_count, timezone) VALUES (:id, :email, :name, true, :uniq, 0, 'UTC')"
                ),
                {"id": user_id, "email": f"{name}@example.com", "name": name, "uniq": name},
            )


def _check_accounts_after_upgrade() -> None:
    upgrade()
    with db.engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT u.username, a.id, a.name FROM fm_user u JOIN account a "
                "ON a.id = u.account_id ORDER BY u.id"
            )
        ).all()
    assert [tuple(row) for row in rows] == [("ann", 3, "ann"), ("bob", 7, "bob")]
    # new users get a new account, whose id does not collide with the migrated ones
    user = create_user("carl@example.com", "a-long-password", "carl")
    db.session.commit()
    assert user.account_id not in (3, 7) and user.account.name == "carl"


def test_migration_gives_each_user_an_account_on_postgres(postgres_app):
    upgrade(revision=BEFORE_ACCOUNTS)
    _add_users_without_accounts()
    _check_accounts_after_upgrade()


def test_migration_gives_each_user_an_account_on_sqlite(sqlite_app):
    upgrade(revision=BEFORE_ACCOUNTS)
    _add_users_without_accounts()
    _check_accounts_after_upgrade()


# Migration d4a8b2c6e913 (latest beliefs per day): filled from the stored beliefs on the way
# up, then kept by triggers on timed_belief; table and triggers gone on the way down.
LATEST_DAYS_PARENT = "a8c4e6f2b1d3"  # the migration before d4a8b2c6e913
ANY_BELIEF = (
    "INSERT INTO timed_belief (sensor_id, event_start, source_id, belief_horizon, "
    "cumulative_probability, event_value) VALUES (1, :start, 1, :horizon, :probability, :value)"
)


def latest_days() -> list[tuple]:
    """(kind, day, [(start, horizon, probability, value) per event]) of sensor 1, source 1."""
    rows = run_sql(
        "SELECT forecast, day::text, beliefs FROM latest_belief_day "
        "WHERE sensor_id = 1 AND source_id = 1 ORDER BY forecast, day"
    )
    packed = np.dtype([(name, ">f8") for name in ("start", "horizon", "probability", "value")])
    return [
        (forecast, day, [tuple(event) for event in np.frombuffer(beliefs, dtype=packed).tolist()])
        for forecast, day, beliefs in rows
    ]


def test_latest_belief_days_are_filled_kept_and_dropped(postgres_app):
    upgrade(revision=LATEST_DAYS_PARENT)
    run_sql("INSERT INTO data_source (id, name, type) VALUES (1, 'meter', 'script')")
    run_sql(
        "INSERT INTO sensor (id, name, unit, timezone, event_resolution, type, attributes) "
        "VALUES (1, 'meter', 'MW', 'UTC', interval '15 minutes', 'asset', '{}')"
    )
    day_one, day_two = "2015-01-01T23:45:00+00", "2015-01-02T00:00:00+00"
    for start, horizon, probability, value in [
        (day_one, "0", 0.5, 1.0),
        (day_one, "-1 hour", 0.5, 2.0),  # recorded later: the most recent
        (day_two, "6 hours", 0.1, 3.0),
        (day_two, "6 hours", 0.5, 4.0),  # the same horizon: the median wins
    ]:
        run_sql(ANY_BELIEF, start=start, horizon=horizon, probability=probability, value=value)
    upgrade()
    one, two = 1420155900.0, 1420156800.0  # the two event starts in epoch seconds
    assert latest_days() == [(False, "2015-01-01", [(one, -3600.0, 0.5, 2.0)])] + [
        (True, "2015-01-02", [(two, 21600.0, 0.5, 4.0)])
    ]
    assert run_sql("SELECT forecast, with_band FROM latest_belief_day ORDER BY 1") == [
        (False, False),
        (True, True),
    ]
    run_sql(ANY_BELIEF, start=day_two, horizon="1 hour", probability=0.5, value=5.0)
    assert latest_days()[1] == (True, "2015-01-02", [(two, 3600.0, 0.5, 5.0)])
    downgrade(revision=LATEST_DAYS_PARENT)
    assert "latest_belief_day" not in table_names()
    run_sql(ANY_BELIEF, start=day_two, horizon="2 hours", probability=0.5, value=6.0)
    assert run_sql("SELECT count(*) FROM timed_belief") == [(6,)]


def test_concurrent_writers_of_one_day_both_count(postgres_app):
    """Two transactions write beliefs about the same sensor, source and day at once: the
    second one's rebuild of that day waits for the first and includes its beliefs."""
    upgrade()
    run_sql("INSERT INTO data_source (id, name, type) VALUES (1, 'meter', 'script')")
    run_sql(
        "INSERT INTO sensor (id, name, unit, timezone, event_resolution, type, attributes) "
        "VALUES (1, 'meter', 'MW', 'UTC', interval '15 minutes', 'asset', '{}')"
    )
    first, second = db.engine.connect(), db.engine.connect()
    try:
        first.begin()
        first.execute(
            text(ANY_BELIEF), dict(start=START_ONE, horizon="0", probability=0.5, value=1)
        )
        writer = threading.Thread(target=_write_and_commit, args=(second,))
        writer.start()
        writer.join(timeout=1)
        assert writer.is_alive()  # waiting for the first writer
        first.commit()
        writer.join(timeout=10)
    finally:
        first.close()
        second.close()
    (forecast, day, events) = latest_days()[0]
    assert [event[3] for event in events] == [1.0, 2.0]


START_ONE, START_TWO = "2015-01-01T10:00:00+00", "2015-01-01T10:15:00+00"


def _write_and_commit(connection) -> None:
    with connection.begin():
        values = dict(start=START_TWO, horizon="0", probability=0.5, value=2)
        connection.execute(text(ANY_BELIEF), values)
