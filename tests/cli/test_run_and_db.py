"""``flexmeasures run`` checks its port and its database before it serves; ``flexmeasures db``
ends a database error with one line, as the other commands do."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import text

from flexmeasures.cli import cli
from flexmeasures.data import db
from tests.cli.conftest import assert_one_line_error
from tests.test_migrations import MIGRATIONS_DATABASE_URI, app_for

MISSING_DATABASE = "postgresql://flexmeasures_test:flexmeasures_test@127.0.0.1/flexmeasures_nope"


@pytest.fixture
def empty_postgres_app(tmp_path) -> Iterator[Flask]:
    """An app on a PostgreSQL database without any tables (never migrated)."""
    app = app_for(MIGRATIONS_DATABASE_URI, tmp_path)
    with app.app_context(), db.engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize("port", ["99999", "65536", "0", "-1"])
def test_run_refuses_a_port_no_server_can_use(port, served):
    result = CliRunner().invoke(cli, ["run", "--port", port])
    assert result.exit_code == 2
    assert "is not in the range 1<=x<=65535" in result.output
    assert served == []


def test_run_refuses_a_database_that_does_not_exist(tmp_path, served):
    app = app_for(MISSING_DATABASE, tmp_path)
    result = app.test_cli_runner().invoke(cli, ["run", "--port", "5104"])
    assert_one_line_error(result, 'database "flexmeasures_nope" does not exist', "db upgrade")
    assert served == []


def test_run_warns_about_an_unmigrated_database_and_starts(empty_postgres_app, served):
    result = empty_postgres_app.test_cli_runner().invoke(cli, ["run", "--port", "5104"])
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.output.splitlines() if line.startswith("Warning:")]
    assert warnings == [
        "Warning: The database has no FlexMeasures tables yet; run `flexmeasures db upgrade`."
    ]
    assert [started["port"] for started in served] == [5104]


def test_run_starts_silently_on_an_up_to_date_database(app, db, served):
    result = app.test_cli_runner().invoke(cli, ["run", "--port", "5104"])
    assert result.exit_code == 0, result.output
    assert result.output == ""
    assert [started["port"] for started in served] == [5104]


@pytest.mark.parametrize("command", [["db", "upgrade"], ["db", "current"]])
def test_db_commands_on_a_missing_database_end_with_one_line(tmp_path, command):
    app = app_for(MISSING_DATABASE, tmp_path)
    result = app.test_cli_runner().invoke(cli, command)
    assert_one_line_error(result, "Cannot use the database", "does not exist")
    assert len(result.output.splitlines()) == 1


def test_db_upgrade_still_migrates(empty_postgres_app):
    result = empty_postgres_app.test_cli_runner().invoke(cli, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with empty_postgres_app.app_context():
        tables = db.session.scalars(
            text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        ).all()
        db.session.remove()
    assert "alembic_version" in tables and "asset" in tables


@pytest.mark.parametrize("database", ["missing", "unmigrated"])
def test_api_answers_503_without_a_usable_database(database, tmp_path, request):
    """A WSGI server started before the database exists (or is migrated) answers the API
    with 503 SERVICE_UNAVAILABLE naming the fix, not a 500."""
    if database == "missing":
        app = app_for(MISSING_DATABASE, tmp_path)
    else:
        app = request.getfixturevalue("empty_postgres_app")
    response = app.test_client().post(
        "/api/requestAuthToken", json={"email": "a@b.org", "password": "whatever"}
    )
    assert response.status_code == 503
    assert response.json["status"] == "SERVICE_UNAVAILABLE"
    assert "flexmeasures db upgrade" in response.json["message"]
