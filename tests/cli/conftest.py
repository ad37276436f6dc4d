"""Running ``flexmeasures ...`` commands inside the test's database transaction."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import click
import pytest
from click.testing import Result
from sqlalchemy import func, select

from flexmeasures.cli import cli
from flexmeasures.data.models import DataSource, Market, TimedBelief

START = datetime(2021, 1, 1, tzinfo=UTC)


@pytest.fixture
def run_cli(app, db) -> Callable[..., Result]:
    """Run ``flexmeasures <args>`` with the test app; returns click's Result.

    What the test set up so far is committed first (into the test's outer transaction, which
    is still rolled back afterwards), as a command would find it in a real database; so a
    failing command's rollback undoes only what the command itself wrote.
    """
    runner = app.test_cli_runner()

    def run(*args: str, input: str | None = None) -> Result:
        db.session.commit()
        return runner.invoke(cli, list(args), input=input)

    return run


@pytest.fixture
def served(monkeypatch) -> list[dict]:
    """Stand in for Flask's development server: records the options it would start with."""
    started: list[dict] = []
    fake_server = click.Command("fake-run", callback=lambda **kwargs: started.append(kwargs))
    monkeypatch.setattr("flexmeasures.cli.commands.run.run_command", fake_server)
    return started


def assert_one_line_error(result: Result, *fragments: str) -> str:
    """The command failed with one ``Error: ...`` line (no traceback) containing fragments."""
    assert result.exit_code != 0, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.output
    for fragment in fragments:
        assert fragment in errors[0]
    return errors[0]


def count(db, model) -> int:
    """How many rows the model's table has."""
    return db.session.scalar(select(func.count()).select_from(model))


def add_beliefs(db, sensor_id: int, source_id: int, horizons: dict[timedelta, int]) -> None:
    """Add, per belief horizon, that many quarter-hourly beliefs from START on."""
    for horizon, number in horizons.items():
        for index in range(number):
            db.session.add(
                TimedBelief(
                    sensor_id=sensor_id,
                    event_start=START + index * timedelta(minutes=15),
                    source_id=source_id,
                    belief_horizon=horizon,
                    event_value=float(index),
                )
            )
    db.session.flush()


@pytest.fixture
def epex_da(db, structure) -> Market:
    """The dummy market of the standard structure."""
    return db.session.scalar(select(Market).filter_by(name="epex_da"))


@pytest.fixture
def script_source(db, structure) -> DataSource:
    """The data source for scripts, from the standard structure."""
    return db.session.scalar(select(DataSource).filter_by(type="script"))
