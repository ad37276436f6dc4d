"""The daily profile model: a quantile of the same time of day over recent days, which for
solar assets is a typical recent clearness times the clear sky of the forecast day."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from flexmeasures.forecasting import get_model
from flexmeasures.forecasting.physics import ClearSkyIndexForecaster, physical_model
from flexmeasures.forecasting.profile import (
    DailyProfileForecaster,
    choose_setting,
    profile_quantile,
)
from flexmeasures.forecasting.selection import CANDIDATES, select_model
from flexmeasures.forecasting.solar import clear_sky_irradiance

QUARTER = pd.Timedelta(minutes=15)
HOUR = pd.Timedelta(hours=1)
DAY = pd.Timedelta(days=1)
GOLDEN = {"latitude": 39.742, "longitude": -105.178}  # NREL SERF; local noon ~19:00 UTC
SOLAR = {"asset_type": "solar", "timezone": "America/Denver", **GOLDEN}


def solar_power(days: int, resolution: pd.Timedelta, seed: int = 3) -> pd.Series:
    """PV power (W, production positive) at Golden, CO from 1 Aug 2024: 5 W per W/m² of
    clear sky, on most days clear and on about one day in four cloudy (20 % of it)."""
    steps = int(DAY / resolution)
    index = pd.date_range("2024-08-01", periods=days * steps, freq=resolution, tz="UTC")
    sun = clear_sky_irradiance(index, resolution, GOLDEN["latitude"], GOLDEN["longitude"])
    cloudy = np.random.default_rng(seed).random(days) < 0.25
    clearness = np.where(cloudy, 0.2, 1.0).repeat(steps)
    return pd.Series(5 * sun.to_numpy() * clearness, index=index)


@pytest.mark.parametrize("resolution", [QUARTER, HOUR])
@pytest.mark.parametrize("horizon", [HOUR, 6 * HOUR, 24 * HOUR, 48 * HOUR])
def test_clear_days_are_forecast_as_the_clear_sky_of_the_forecast_day(resolution, horizon):
    power = solar_power(40, resolution)
    sun = clear_sky_irradiance(power.index, resolution, GOLDEN["latitude"], GOLDEN["longitude"])
    power.loc["2024-09-09"] = 5 * sun.loc["2024-09-09"]  # a clear day (in UTC) to forecast
    history, day = power.loc[:"2024-09-08"], power.loc["2024-09-09"]
    model = physical_model("profile", **SOLAR).fit(history.iloc[:-1], horizon)
    forecast = model.predict(day.index, history=power)
    sun = sun.loc[day.index]

    assert isinstance(model, ClearSkyIndexForecaster)
    assert isinstance(model.inner, DailyProfileForecaster)
    # most recent days were clear: the clear sky of this day (not of the days before), at
    # least where the sun is well up (within 15 %: at 6 h the last known value is at dawn,
    # where the index, taken against a floored irradiance, falls from day to day as the
    # sun rises later, and a share of that deviation is carried on to midday); the peak at
    # local solar noon (about 19:00 UTC)
    high = sun > 200
    np.testing.assert_allclose(forecast[high], 5 * sun[high], rtol=0.15)
    if horizon != 6 * HOUR:
        np.testing.assert_allclose(forecast[high], 5 * sun[high], rtol=0.02)
    noon = pd.Timestamp("2024-09-09 19:00", tz="UTC")
    assert abs(forecast.idxmax() + resolution / 2 - noon) <= pd.Timedelta(minutes=45)
    assert "clear-sky index" in model.source.label and "quantile of" in model.source.label


def test_nothing_at_night_and_never_negative():
    power = solar_power(40, QUARTER, seed=8)
    history, days = power.iloc[: 35 * 96], power.iloc[35 * 96 :]
    model = physical_model("profile", **SOLAR).fit(history, 6 * HOUR)
    forecast = model.predict(days.index, history=power)
    sun = clear_sky_irradiance(days.index, QUARTER, GOLDEN["latitude"], GOLDEN["longitude"])

    assert forecast.notna().all()
    assert (forecast[sun == 0] == 0).all()
    assert (forecast >= 0).all()
    assert forecast[sun > 500].min() > 0


def test_forecasts_use_only_what_is_known_at_their_belief_time():
    power = solar_power(40, QUARTER)
    horizon = 24 * HOUR
    model = physical_model("profile", **SOLAR).fit(power.iloc[: 38 * 96], horizon)
    event = pd.Timestamp("2024-09-08 19:00", tz="UTC")
    before = model.predict(pd.DatetimeIndex([event]), history=power)

    changed = power.copy()
    not_yet_known = (changed.index > event - horizon) & (changed.index <= event)
    changed[not_yet_known] = 0  # e.g. a storm after the belief time
    after = model.predict(pd.DatetimeIndex([event]), history=changed)

    assert not_yet_known.sum() == 96
    assert after.iloc[0] == before.iloc[0]
    same_time_before = changed.index.isin([event - day * DAY for day in range(1, 15)])
    changed[same_time_before] = 0  # what is known at the belief time does count
    assert model.predict(pd.DatetimeIndex([event]), history=changed).iloc[0] == 0
    assert before.iloc[0] > 0


def test_quantile_of_the_known_days_and_persistence_where_too_few():
    values = np.array([[1.0, 5.0, np.nan], [3.0, 6.0, np.nan], [2.0, 7.0, 4.0], [np.nan, 8, 1]])

    np.testing.assert_allclose(profile_quantile(values, 4, 0.5)[:2], [2.0, 6.5])
    np.testing.assert_allclose(profile_quantile(values, 3, 0.75)[:2], [2.5, 6.5])
    assert np.isnan(profile_quantile(values, 4, 0.5)[2])  # two known days of four

    index = pd.date_range("2024-01-01", periods=60, freq=HOUR, tz="UTC")  # 2.5 days
    short = pd.Series(np.arange(60, dtype=float), index=index)
    model = get_model("profile").fit(short, HOUR)
    forecast = model.predict(index[-2:])
    np.testing.assert_allclose(forecast, short.iloc[-3:-1])  # persistence: the last known


def test_the_backtest_carries_a_deviation_on_only_where_it_lasts():
    index = pd.date_range("2024-01-01", periods=40 * 24, freq=HOUR, tz="UTC")
    rng = np.random.default_rng(4)
    level = rng.normal(0, 5, 40).repeat(24)  # each day above or below the usual, at random
    noise = rng.normal(0, 0.1, len(index))
    series = pd.Series(100 + level + np.tile(np.arange(24.0), 40) + noise, index=index)

    # an hour ahead, the day's deviation so far lasts; a day ahead, it is gone
    assert choose_setting(series, HOUR, HOUR).weight == 1.0
    assert choose_setting(series, 24 * HOUR, HOUR).weight == 0.0
    assert choose_setting(series, 24 * HOUR, HOUR).days == 14  # the more days, the surer


def passing_clouds(days: int, seed: int) -> pd.Series:
    """PV power (W) at Golden, CO, 15-minute: a clear sky with passing clouds (a third
    of the quarter-hours, at random, let through 30 %)."""
    power = solar_power(days, QUARTER)
    sun = clear_sky_irradiance(power.index, QUARTER, GOLDEN["latitude"], GOLDEN["longitude"])
    clouds = np.random.default_rng(seed).random(len(power)) < 1 / 3
    return pd.Series(5 * sun.to_numpy() * np.where(clouds, 0.3, 1.0), index=power.index)


def test_model_choice_has_the_profile_and_picks_it_where_it_wins():
    power = passing_clouds(45, seed=11)

    selection = select_model(power, 24 * HOUR, model_options=SOLAR)

    assert "profile" in CANDIDATES and "profile" in selection.scores
    assert selection.model == "profile"
    assert selection.skill > 0.1
