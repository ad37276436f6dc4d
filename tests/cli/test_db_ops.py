"""`flexmeasures db-ops`: save/load round trips keep every row (users with password hashes and
roles, assets, markets, weather sensors, data sources, beliefs) on SQLite and PostgreSQL;
reset rebuilds the schema; dump/restore say clearly what they need; errors are one line."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import Result
from flask import Flask
from flask_security.utils import verify_password
from sqlalchemy import create_engine, inspect, select, text

from flexmeasures.app import create_app
from flexmeasures.cli import cli
from flexmeasures.data import db as _db
from flexmeasures.data.models import Asset, Market, TimedBelief, User, WeatherSensor
from flexmeasures.data.services.structure import add_default_structure
from flexmeasures.data.services.users import create_user

PASSWORD = "backup-password"
START = datetime(2021, 4, 2, 10, tzinfo=UTC)


def run_cli(app: Flask, *args: str, **kwargs) -> Result:
    """Invoke `flexmeasures <args>` on the app (inside the current app context, if any)."""
    return app.test_cli_runner().invoke(cli, list(args), **kwargs)


def populate() -> None:
    """Add users with roles, the structure, an asset, a weather sensor and beliefs; commit."""
    add_default_structure()
    owner = create_user("owner@example.com", PASSWORD, "owner", roles=["Prosumer", "admin"])
    create_user("mdc@example.com", PASSWORD, "mdc", roles=["MDC"])
    epex = _db.session.scalar(select(Market).filter_by(name="epex_da"))
    battery = Asset(
        name='battery, "quoted"\nand multi-line',
        display_name="Zon & wind — Δ",
        asset_type_name="battery",
        capacity_in_mw=2.5,
        min_soc_in_mwh=0,
        max_soc_in_mwh=5,
        soc_in_mwh=1 / 3,
        soc_datetime=START,
        latitude=52.1,
        longitude=4.3,
        owner=owner,
        market=epex,
        unit="MW",
        event_resolution=timedelta(minutes=15),
    )
    sensor = WeatherSensor(
        name="temperature 1",
        display_name="",
        weather_sensor_type_name="temperature",
        latitude=52,
        longitude=4,
        unit="°C",
        event_resolution=timedelta(hours=1),
    )
    _db.session.add_all([battery, sensor])
    _db.session.flush()
    _db.session.add_all(
        TimedBelief(
            sensor_id=sensor_id,
            event_start=START + i * timedelta(minutes=15),
            source_id=owner.data_source.id,
            belief_horizon=timedelta(hours=6) if i % 2 else timedelta(minutes=-15),
            cumulative_probability=0.5,
            event_value=i / 3,
        )
        for sensor_id in (battery.id, sensor.id, epex.id)
        for i in range(8)
    )
    _db.session.commit()


def snapshot() -> dict[str, list[tuple]]:
    """All rows of every table of the data model, ordered by primary key."""
    return {
        table.name: [
            tuple(row)
            for row in _db.session.execute(select(table).order_by(*table.primary_key.columns))
        ]
        for table in _db.metadata.sorted_tables
    }


@pytest.fixture
def sqlite_app(tmp_path: Path) -> Iterator[Flask]:
    """A development app on a fresh, migrated SQLite file, with backups under tmp_path."""
    from flask_migrate import upgrade

    app = create_app(
        "development",
        settings={
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'fm.db'}",
            "SQLALCHEMY_ENGINE_OPTIONS": {},
            "FLEXMEASURES_REDIS_URL": None,
            "FLEXMEASURES_DB_BACKUP_PATH": str(tmp_path / "backups"),
            "SECURITY_PASSWORD_HASH_OPTIONS": {"bcrypt": {"rounds": 4}},
            "LOGGING_LEVEL": "WARNING",
        },
        instance_path=tmp_path / "instance",
    )
    with app.app_context():
        upgrade()
        yield app
        _db.session.remove()
        _db.engine.dispose()


def test_save_reset_load_round_trip_on_sqlite(sqlite_app):
    populate()
    before = snapshot()

    saved = run_cli(sqlite_app, "db-ops", "save", "--name", "demo_v0")
    assert saved.exit_code == 0, saved.output
    reset = run_cli(sqlite_app, "db-ops", "reset", "--force")
    assert reset.exit_code == 0, reset.output
    assert all(rows == [] for rows in snapshot().values())
    loaded = run_cli(sqlite_app, "db-ops", "load", "--name", "demo_v0")

    assert loaded.exit_code == 0, loaded.output
    assert "Loaded backup 'demo_v0': " in loaded.output
    assert snapshot() == before
    owner = _db.session.scalar(select(User).filter_by(email="owner@example.com"))
    assert verify_password(PASSWORD, owner.password)
    assert {role.name for role in owner.roles} == {"Prosumer", "admin"}
    assert len(before["timed_belief"]) == 24


def test_save_chooses_structure_or_data(sqlite_app, tmp_path):
    populate()
    backups = tmp_path / "backups"

    assert run_cli(sqlite_app, "db-ops", "save", "--name", "s", "--no-data").exit_code == 0
    assert run_cli(sqlite_app, "db-ops", "save", "--name", "d", "--no-structure").exit_code == 0

    assert {p.name for p in (backups / "d").iterdir()} == {"timed_belief.csv"}
    structure_files = {p.stem for p in (backups / "s").iterdir()}
    assert "timed_belief" not in structure_files
    assert {"fm_user", "role", "roles_users", "asset", "sensor", "data_source"} <= structure_files


def test_save_into_another_folder_with_default_name(sqlite_app, tmp_path):
    result = run_cli(sqlite_app, "db-ops", "save", "--dir", str(tmp_path / "elsewhere"))

    assert result.exit_code == 0, result.output
    (folder,) = (tmp_path / "elsewhere").iterdir()
    assert folder.name.startswith(str(datetime.now(UTC).year))
    assert (folder / "fm_user.csv").read_text().startswith("id,email,username,password,")


def test_save_refuses_to_overwrite_a_backup(sqlite_app):
    assert run_cli(sqlite_app, "db-ops", "save", "--name", "b").exit_code == 0

    result = run_cli(sqlite_app, "db-ops", "save", "--name", "b")

    assert result.exit_code != 0
    assert "Error: A backup named 'b' already exists" in result.output


def test_load_refuses_filled_tables_unless_replacing(sqlite_app):
    populate()
    before = snapshot()
    assert run_cli(sqlite_app, "db-ops", "save", "--name", "b").exit_code == 0

    refused = run_cli(sqlite_app, "db-ops", "load", "--name", "b")
    assert refused.exit_code != 0
    assert "are not empty: run `flexmeasures db-ops reset` first" in refused.output
    assert "(or load with --replace)" in refused.output
    assert snapshot() == before

    replaced = run_cli(sqlite_app, "db-ops", "load", "--name", "b", "--replace")
    assert replaced.exit_code == 0, replaced.output
    assert snapshot() == before


def test_a_bad_backup_loads_nothing(sqlite_app, tmp_path):
    populate()
    assert run_cli(sqlite_app, "db-ops", "save", "--name", "b").exit_code == 0
    beliefs_file = tmp_path / "backups" / "b" / "timed_belief.csv"
    lines = beliefs_file.read_text().splitlines()
    lines[5] = lines[5].rsplit(",", 1)[0] + ",not-a-number"
    beliefs_file.write_text("\n".join(lines) + "\n")
    assert run_cli(sqlite_app, "db-ops", "reset", "--force").exit_code == 0

    result = run_cli(sqlite_app, "db-ops", "load", "--name", "b")

    assert result.exit_code != 0
    assert "timed_belief.csv, line 6: could not convert string to float" in result.output
    assert "Traceback" not in result.output
    assert all(rows == [] for rows in snapshot().values())


@pytest.mark.parametrize(
    "name, message",
    [
        ("missing", "Error: No backup named 'missing' in"),
        ("../etc", "Error: Invalid backup name '../etc'"),
    ],
)
def test_load_unknown_or_invalid_name(sqlite_app, name, message):
    result = run_cli(sqlite_app, "db-ops", "load", "--name", name)

    assert result.exit_code != 0
    assert message in result.output


def test_reset_on_sqlite_leaves_empty_tables_at_the_latest_migration(sqlite_app):
    populate()
    tables_before = set(inspect(_db.engine).get_table_names())
    revision = _db.session.scalar(text("SELECT version_num FROM alembic_version"))
    _db.session.remove()

    result = run_cli(sqlite_app, "db-ops", "reset", "--force")

    assert result.exit_code == 0, result.output
    assert set(inspect(_db.engine).get_table_names()) == tables_before
    assert _db.session.scalar(text("SELECT version_num FROM alembic_version")) == revision
    assert all(rows == [] for rows in snapshot().values())


def test_reset_asks_first(sqlite_app):
    populate()

    result = run_cli(sqlite_app, "db-ops", "reset", input="n\n")

    assert result.exit_code != 0
    assert "Delete ALL data in sqlite:///" in result.output
    assert _db.session.scalar(select(User).filter_by(username="owner")) is not None


def test_reset_refuses_production_without_force(sqlite_app, monkeypatch):
    monkeypatch.setitem(sqlite_app.config, "FLEXMEASURES_ENV", "production")

    result = run_cli(sqlite_app, "db-ops", "reset", input="y\n")

    assert result.exit_code != 0
    assert "Error: Refusing to reset a production database without --force." in result.output


def test_save_load_round_trip_on_postgres(app, db, tmp_path):
    """In the test's transaction: save, replace everything by the backup, compare."""
    populate()
    before = snapshot()

    saved = run_cli(app, "db-ops", "save", "--name", "pg", "--dir", str(tmp_path))
    assert saved.exit_code == 0, saved.output
    loaded = run_cli(app, "db-ops", "load", "--name", "pg", "--dir", str(tmp_path), "--replace")
    assert loaded.exit_code == 0, loaded.output

    assert snapshot() == before
    newcomer = create_user("newcomer@example.com", PASSWORD, "newcomer")  # ids continue
    assert newcomer.id > max(row[0] for row in before["fm_user"])


@pytest.mark.parametrize("command", ["dump", "restore"])
def test_dump_and_restore_say_they_need_pg_tools(app, db, monkeypatch, tmp_path, command):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    dump_file = tmp_path / "x.dump"
    dump_file.write_bytes(b"")
    args = ["db-ops", command] + ([str(dump_file)] if command == "restore" else [])

    result = run_cli(app, *args)

    assert result.exit_code != 0
    tool = "pg_dump" if command == "dump" else "pg_restore"
    assert (
        f"Error: db-ops {command} needs {tool} (apt-get install postgresql-client) and a "
        f"PostgreSQL database; {tool} is not on PATH." in result.output
    )


def test_dump_refuses_sqlite(sqlite_app):
    result = run_cli(sqlite_app, "db-ops", "dump")

    assert result.exit_code != 0
    assert "Error: db-ops dump needs pg_dump" in result.output
    assert "the configured database is sqlite" in result.output


def test_restore_needs_an_existing_file(app, db):
    result = run_cli(app, "db-ops", "restore", "no-such-file.dump")

    assert result.exit_code != 0
    assert "does not exist" in result.output


@pytest.fixture
def scratch_postgres_app(app, tmp_path) -> Iterator[Flask]:
    """An app on a new, migrated PostgreSQL database of its own, dropped afterwards."""
    from flask_migrate import upgrade

    server_uri = app.config["SQLALCHEMY_DATABASE_URI"].rsplit("/", 1)[0]
    name = "flexmeasures_test_dbops"
    admin = create_engine(f"{server_uri}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        connection.execute(text(f"CREATE DATABASE {name}"))
    scratch = create_app(
        "testing",
        settings={
            "SQLALCHEMY_DATABASE_URI": f"{server_uri}/{name}",
            "FLEXMEASURES_REDIS_URL": None,
            "FLEXMEASURES_DB_BACKUP_PATH": str(tmp_path),
        },
    )
    try:
        with scratch.app_context():
            upgrade()
            yield scratch
            _db.session.remove()
            _db.engine.dispose()
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        admin.dispose()


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("pg_dump") is None, reason="pg_dump is not installed")
def test_dump_reset_restore_round_trip_on_postgres(scratch_postgres_app, tmp_path):
    populate()
    before = snapshot()
    _db.session.remove()

    dumped = run_cli(scratch_postgres_app, "db-ops", "dump")
    assert dumped.exit_code == 0, dumped.output
    (dump_file,) = tmp_path.glob("*.dump")
    assert dump_file.name.startswith("flexmeasures_test_dbops_")
    reset = run_cli(scratch_postgres_app, "db-ops", "reset", "--force")
    assert reset.exit_code == 0, reset.output
    restored = run_cli(scratch_postgres_app, "db-ops", "restore", str(dump_file))
    assert restored.exit_code == 0, restored.output
    assert snapshot() == before

    again = run_cli(scratch_postgres_app, "db-ops", "restore", str(dump_file))
    assert again.exit_code != 0
    assert "Error: pg_restore failed: " in again.output and "duplicate key" in again.output
    assert snapshot() == before


@pytest.mark.slow
def test_load_into_a_reset_postgres_database_continues_ids(scratch_postgres_app, tmp_path):
    populate()
    before = snapshot()
    _db.session.remove()

    assert run_cli(scratch_postgres_app, "db-ops", "save", "--name", "b").exit_code == 0
    reset = run_cli(scratch_postgres_app, "db-ops", "reset", "--force")
    assert reset.exit_code == 0, reset.output
    loaded = run_cli(scratch_postgres_app, "db-ops", "load", "--name", "b")

    assert loaded.exit_code == 0, loaded.output
    assert snapshot() == before
    newcomer = create_user("newcomer@example.com", PASSWORD, "newcomer")
    _db.session.commit()  # would be a duplicate id if the sequences had not been moved on
    assert newcomer.id == max(row[0] for row in before["fm_user"]) + 1
