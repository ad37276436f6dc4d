"""``flexmeasures add forecasts``: rolling forecasts for every step of some local days, for
chosen or default horizons, directly (with a report of models and accuracy) or as queued
jobs; bad input gives one-line errors and writes nothing."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest
from rq.job import JobStatus
from sqlalchemy import select

from flexmeasures.app import create_app
from flexmeasures.cli import cli
from flexmeasures.data.models import Market
from tests.cli.conftest import assert_one_line_error
from tests.forecasting.test_jobs import (
    HISTORY_START,
    HOUR,
    add_asset,
    add_beliefs,
    daily_cycle,
    forecasts_of,
)

# 2015-01-15 in Amsterdam: 2015-01-14 23:00 until 2015-01-15 23:00 UTC
LOCAL_DAY_START = pd.Timestamp("2015-01-14T23:00:00Z")


@pytest.fixture
def solar(db, structure, users):
    """The quickstart's "my-solar-panel" (a building profile will do), with 16 days of
    hourly measurements from 2015-01-01."""
    asset = add_asset(db, users["prosumer"], name="my-solar-panel")
    add_beliefs(db, asset, HISTORY_START, daily_cycle())
    return asset


def test_forecasts_for_a_day_in_the_seeds_quickstart_form(run_cli, db, solar):
    result = run_cli(
        "add", "forecasts", "--asset-type", "Asset", "--asset", "my-solar-panel",
        "--from-date", "2015-01-15", "--to-date", "2015-01-15", "--horizon", "6",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    saved = forecasts_of(db, solar)
    assert len(saved) == 24 and (saved["belief_horizon"] == 6 * HOUR).all()
    assert saved["event_start"].iloc[0] == LOCAL_DAY_START
    (model,) = set(saved["model"])  # the one chosen by backtest (no --model: auto)
    assert f"6 hours ahead: 24 forecasts saved ({model}: 24); chosen by backtest: {model}" in (
        result.output
    )
    assert "); accuracy 9" in result.output
    assert "MW" in result.output and "× the MAE of seasonal naive" in result.output


def test_all_four_horizons_by_default_over_inclusive_dates(run_cli, db, solar):
    result = run_cli(
        "add", "forecasts", "--asset-id", str(solar.id), "--model", "naive",
        "--from-date", "2015-01-14", "--to-date", "2015-01-15",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    saved = forecasts_of(db, solar)
    counts = saved.groupby("belief_horizon").size().to_dict()
    assert counts == {HOUR: 48, 6 * HOUR: 48, 24 * HOUR: 48, 48 * HOUR: 48}
    assert set(saved["model"]) == {"naive"}
    assert "48 hours ahead: 48 forecasts saved (naive: 48)" in result.output


def test_as_job_queues_one_job_per_horizon_once(run_cli, db, solar, queues):
    arguments = (
        "add", "forecasts", "--asset-id", str(solar.id), "--from-date", "2015-01-15",
        "--to-date", "2015-01-15", "--horizon", "1", "--horizon", "24", "--as-job",
    )  # fmt: skip

    first = run_cli(*arguments)
    second = run_cli(*arguments)

    assert first.exit_code == 0, first.output
    assert "Queued forecasting jobs" in first.output and "(queued)" in first.output
    assert queues["forecasting"].count == 2
    job_ids = queues["forecasting"].job_ids
    assert all(job_id in second.output for job_id in job_ids)
    assert forecasts_of(db, solar).empty
    jobs = queues["forecasting"].get_jobs()
    assert all(job.get_status() == JobStatus.QUEUED for job in jobs)
    assert {job.meta["horizon"] for job in jobs} == {"0 days 01:00:00", "1 days 00:00:00"}


def test_as_job_without_redis_runs_the_jobs_at_once(app, db, solar):
    in_process = create_app(
        "testing",
        settings={
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "FLEXMEASURES_REDIS_URL": None,
        },
    )
    db.session.commit()
    with in_process.app_context():
        result = in_process.test_cli_runner().invoke(
            cli,
            ["add", "forecasts", "--asset-id", str(solar.id), "--horizon", "6", "--as-job",
             "--from-date", "2015-01-15", "--to-date", "2015-01-15"],
        )  # fmt: skip

        assert result.exit_code == 0, result.output
        assert "ran in-process" in result.output
        assert (
            "6 hours ahead: job" in result.output
            and "(finished, 24 forecasts saved)" in result.output
        )
        assert len(forecasts_of(db, solar)) == 24


@pytest.mark.parametrize(
    "arguments, fragment",
    [
        (("--asset-id", "999999"), "There is no asset, market or weather sensor with id 999999"),
        (("--asset-type", "Market", "--asset-id", "{solar}"), "There is no Market with id"),
        (("--asset", "no-such-panel"), "There is no asset, market or weather sensor named"),
        ((), "Say which sensor to forecast"),
        (("--asset-id", "{solar}", "--to-date", "2015-01-01"), "--to-date 2015-01-01 is before"),
        (("--asset-id", "{solar}", "--model", "arima"), "Unknown forecasting model 'arima'"),
        (("--asset-id", "{solar}", "--from-date", "15-01-2015"), "Invalid value for '--from-date'"),
        (("--asset-id", "{solar}", "--horizon", "0"), "Invalid value for '--horizon'"),
    ],
)
def test_bad_input_is_one_line_and_saves_nothing(run_cli, db, solar, arguments, fragment):
    defaults = {"--from-date": "2015-01-15", "--to-date": "2015-01-15"}
    given = [argument.format(solar=solar.id) for argument in arguments]
    for option, value in defaults.items():
        if option not in given:
            given += [option, value]

    result = run_cli("add", "forecasts", *given)

    assert_one_line_error(result, fragment)
    assert forecasts_of(db, solar).empty


def test_a_market_is_forecast_by_name(run_cli, db, structure):
    market = db.session.scalar(select(Market).filter_by(name="epex_da"))
    prices = 40 + 10 * np.sin(2 * np.pi * np.arange(16 * 24) / 24)
    add_beliefs(db, market, HISTORY_START, prices)

    result = run_cli(
        "add", "forecasts", "--asset-type", "market", "--asset", "epex_da",
        "--from-date", "2015-01-15", "--to-date", "2015-01-15", "--horizon", "24",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    saved = forecasts_of(db, market)
    assert len(saved) == 24 and (saved["belief_horizon"] == timedelta(hours=24)).all()
    assert "EUR/MWh" in result.output
