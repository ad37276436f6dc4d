"""Naive baselines: persistence, same time yesterday (two days back beyond 24 hours) and same
time last week, each from the data known at the belief time; the best naive is the one
with the lowest error."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from flexmeasures.forecasting import get_model
from flexmeasures.forecasting.baselines import (
    LAST_WEEK,
    PERSISTENCE,
    YESTERDAY,
    baseline_forecasts,
    best_naive,
)
from tests.forecasting.conftest import hourly_index

H = pd.Timedelta(hours=1)


@pytest.fixture
def counting() -> pd.Series:
    """Hourly values counting the hours since the start (so a value tells its time)."""
    index = hourly_index(21)
    return pd.Series(np.arange(len(index), dtype=float), index=index)


@pytest.mark.parametrize(
    "horizon_hours, hours_back",
    [(1, 24), (6, 24), (24, 24), (25, 48), (48, 48), (49, 72)],
)
def test_yesterday_is_one_day_back_up_to_24_hours_and_two_days_beyond(
    counting, horizon_hours, hours_back
):
    events = counting.index[-48:]
    forecast = get_model(YESTERDAY).fit(counting, horizon_hours * H).predict(events)

    np.testing.assert_array_equal(forecast.to_numpy(), counting.loc[events].to_numpy() - hours_back)


@pytest.mark.parametrize("horizon_hours", [1, 24, 48])
def test_last_week_is_seven_days_back(counting, horizon_hours):
    events = counting.index[-48:]
    forecast = get_model(LAST_WEEK).fit(counting, horizon_hours * H).predict(events)

    np.testing.assert_array_equal(forecast.to_numpy(), counting.loc[events].to_numpy() - 7 * 24)


@pytest.mark.parametrize("name", [PERSISTENCE, "naive"])
def test_persistence_is_the_last_value_known_at_the_belief_time(counting, name):
    events = counting.index[-48:]
    forecast = get_model(name).fit(counting, 6 * H).predict(events)

    np.testing.assert_array_equal(forecast.to_numpy(), counting.loc[events].to_numpy() - 6)


def test_a_missing_seasonal_value_gets_the_persistence_forecast(counting):
    events = counting.index[-24:]
    gappy = counting.copy()
    gappy.loc[events[0] - pd.Timedelta(days=1)] = np.nan

    forecast = get_model(YESTERDAY).fit(gappy, H).predict(events)

    assert forecast.iloc[0] == counting.loc[events[0]] - 1  # the hour before: persistence
    assert forecast.iloc[1] == counting.loc[events[1]] - 24


def test_the_best_naive_has_the_lowest_error():
    index = hourly_index(28)
    week = np.random.default_rng(5).uniform(1, 10, 7 * 24)
    weekly = pd.Series(np.tile(week, 4), index=index)
    events = index[-48:]

    forecasts = baseline_forecasts(weekly, events, 6 * H)
    name, score = best_naive(weekly, forecasts)

    assert name == LAST_WEEK and score == 0
    assert set(forecasts) == {PERSISTENCE, YESTERDAY, LAST_WEEK}
    shifted = {PERSISTENCE: weekly.shift(6).loc[events], YESTERDAY: weekly.loc[events] + 1}
    assert best_naive(weekly, shifted) == (YESTERDAY, pytest.approx(1 / weekly[events].mean()))
