"""``flexmeasures add forecasts`` with the model chosen by backtest (the default) reports the
choice and why; ``--model`` overrides it; ``--help`` names the models."""

from __future__ import annotations

import pytest

from flexmeasures.data.models import Asset
from tests.forecasting.test_jobs import HISTORY_START, add_asset, add_beliefs, forecasts_of
from tests.forecasting.test_model_choice import weekly_values

DAY_ARGS = ("--from-date", "2015-01-15", "--to-date", "2015-01-15", "--horizon", "6")


@pytest.fixture
def weekly_asset(db, structure, users) -> Asset:
    """An asset whose 16 days of hourly measurements repeat one week."""
    asset = add_asset(db, users["prosumer"], name="weekly")
    add_beliefs(db, asset, HISTORY_START, weekly_values())
    return asset


def test_the_report_says_which_model_the_backtest_chose_and_why(run_cli, db, weekly_asset):
    result = run_cli("add", "forecasts", "--asset", "weekly", *DAY_ARGS)

    assert result.exit_code == 0, result.output
    assert set(forecasts_of(db, weekly_asset)["model"]) == {"naive-week"}
    assert "6 hours ahead: 24 forecasts saved (naive-week: 24)" in result.output
    assert "chosen by backtest: naive-week (backtest accuracy " in result.output
    assert "best naive naive-week" in result.output and "skill 0.0%" in result.output


def test_an_explicit_model_overrides_the_choice(run_cli, db, weekly_asset):
    result = run_cli(
        "add", "forecasts", "--asset", "weekly", "--model", "naive-yesterday", *DAY_ARGS
    )

    assert result.exit_code == 0, result.output
    assert set(forecasts_of(db, weekly_asset)["model"]) == {"naive-yesterday"}
    assert "chosen by backtest" not in result.output


def test_help_names_the_models(run_cli):
    result = run_cli("add", "forecasts", "--help")

    assert result.exit_code == 0
    text = "".join(result.output.split())  # the help is wrapped, also at hyphens
    for name in ("auto", "naive-persistence", "naive-yesterday", "naive-week", "ols", "hgb"):
        assert name in text
