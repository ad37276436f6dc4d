"""Model choice by rolling-origin backtest: a baseline where it wins (a purely weekly
series), a regression model where it wins (an auto-regressive process); never worse than
the best naive on the backtest; kept for a while, then made again."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from flexmeasures.forecasting.baselines import LAST_WEEK, NAIVE_MODELS
from flexmeasures.forecasting.selection import (
    NO_BACKTEST_MODEL,
    Selection,
    backtest_forecasts,
    choose,
    fitting_fold_length,
    known_at,
    select_model,
    selection_periods,
)
from tests.forecasting.conftest import hourly_index
from tests.forecasting.test_models import simulate_ar

H = pd.Timedelta(hours=1)
DAY = pd.Timedelta(days=1)
FITTED = ("profile", "ols", "hgb")
COMBINED = ("ols+hgb", "profile+ols", "profile+ols+hgb")


def weekly_series(weeks: int = 4) -> pd.Series:
    """Hourly values repeating a random week exactly."""
    week = np.random.default_rng(11).uniform(1, 10, 7 * 24)
    return pd.Series(np.tile(week, weeks), index=hourly_index(7 * weeks))


@pytest.fixture(scope="module")
def weekly_choice() -> Selection:
    """The choice at 6 hours ahead for a purely weekly series."""
    return select_model(weekly_series(), 6 * H)


@pytest.fixture(scope="module")
def ar_choice() -> Selection:
    """The choice at 1 hour ahead for an auto-regressive process."""
    return select_model(simulate_ar(days=30), H)


def test_a_purely_weekly_series_chooses_same_time_last_week(weekly_choice):
    assert weekly_choice.model == LAST_WEEK
    assert weekly_choice.wape == 0 and weekly_choice.best_naive == LAST_WEEK
    assert set(weekly_choice.scores) == {*NAIVE_MODELS, *FITTED, *COMBINED}


def test_an_auto_regressive_process_chooses_a_regression_model(ar_choice):
    assert ar_choice.model in ("ols", "hgb", *COMBINED)
    assert ar_choice.wape < ar_choice.best_naive_wape
    assert ar_choice.skill > 0.05
    assert ar_choice.best_naive in NAIVE_MODELS


def test_a_clear_winner_has_the_lowest_backtest_error(ar_choice, weekly_choice):
    for selection in (ar_choice, weekly_choice):
        naive_scores = [selection.scores[name] for name in NAIVE_MODELS]
        assert selection.wape <= min(naive_scores) == selection.best_naive_wape
        assert selection.scores[selection.model] == selection.wape == min(selection.scores.values())


def test_too_little_history_chooses_the_default_and_says_why():
    short = weekly_series().iloc[: 3 * 24]

    selection = select_model(short, 24 * H)

    assert selection.model == NO_BACKTEST_MODEL and selection.data_until is None
    assert "too little history for a backtest" in selection.reason
    assert not selection.valid_for(short.index[-1])


def test_short_history_gets_shorter_folds():
    assert fitting_fold_length(pd.Timedelta(days=60), 2) == 7 * DAY
    assert fitting_fold_length(pd.Timedelta(days=8), 2) == 3 * DAY
    assert fitting_fold_length(pd.Timedelta(days=3), 2) is None


def test_a_choice_is_valid_from_the_data_it_was_made_on_until_it_is_too_old(weekly_choice):
    series = weekly_series()
    start = series.index[-1] + 6 * H  # the first event whose belief time knows all the series

    assert weekly_choice.data_until == series.index[-1]
    assert known_at(series, start, 6 * H).index[-1] == series.index[-1]
    assert weekly_choice.valid_for(start, max_age=7 * DAY)
    assert weekly_choice.valid_for(start + 6 * DAY, max_age=7 * DAY)
    assert not weekly_choice.valid_for(start + 7 * DAY, max_age=7 * DAY)  # too old
    assert not weekly_choice.valid_for(start - H, max_age=7 * DAY)  # made on later data


def test_a_choice_survives_its_json_form(weekly_choice):
    again = Selection.from_dict(weekly_choice.to_dict())

    assert again == weekly_choice
    assert weekly_choice.to_dict()["horizon"] == "P0DT6H0M0S"
    assert "backtest accuracy 100.0%" in weekly_choice.describe()


def test_selection_periods_cut_a_window_into_weeks():
    start = pd.Timestamp("2024-01-01", tz="UTC")

    periods = selection_periods(start, start + 10 * DAY, 7 * DAY)

    assert periods == [(start, start + 7 * DAY), (start + 7 * DAY, start + 10 * DAY)]


@pytest.mark.parametrize("combination", COMBINED)
def test_a_combination_is_scored_as_the_mean_model_would_forecast(combination):
    series = simulate_ar(days=20)
    start, end = series.index[-48], series.index[-1] + H
    parts = tuple(combination.split("+"))
    shared = backtest_forecasts(series, H, start, end, (*parts, combination), fold_length=DAY)
    alone = backtest_forecasts(series, H, start, end, (combination,), fold_length=DAY)

    mean = sum(shared[part] for part in parts) / len(parts)
    np.testing.assert_allclose(shared[combination], mean)
    np.testing.assert_allclose(shared[combination], alone[combination])


NOISY_DAYS = [0.5, 1.4, 0.6, 1.3, 0.7, 1.2, 0.8]  # mean 0.93: a little better than 1.0
STEADY_DAYS = [0.8, 0.75, 0.85, 0.8, 0.78, 0.82, 0.8]  # clearly better than 1.0, every day


@pytest.mark.parametrize(
    "naive_daily_errors, chosen",
    [
        (NOISY_DAYS, "ols"),  # naive lower on the backtest, but by chance: the model is kept
        (STEADY_DAYS, LAST_WEEK),  # naive lower day after day: it wins
        ([1.0] * 7, "ols"),  # a tie goes to the model
    ],
)
def test_a_naive_forecast_is_chosen_only_when_it_wins_clearly(naive_daily_errors, chosen):
    series = pd.Series(10.0, index=hourly_index(7))
    naive_errors = np.repeat(naive_daily_errors, 24)
    forecasts = {LAST_WEEK: series + naive_errors, "ols": series - 1.0}

    selection = choose(series, forecasts, H, series.index[-1], series.index[0])

    assert selection.model == chosen
    assert selection.best_naive == LAST_WEEK
    assert selection.best_naive_wape == pytest.approx(np.mean(naive_daily_errors) / 10)
    assert selection.scores["ols"] == pytest.approx(0.1)
    assert selection.wape == selection.scores[chosen]
