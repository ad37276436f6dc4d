"""Solar and wind physics: pvlib's clear-sky irradiance lines up with the place, the time
zone and the sensor's resolution (averaged over each event), the clear-sky index goes both
ways, solar forecasts follow the sun, wind gets hour-of-day and season terms."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from flexmeasures.forecasting.models import NaiveForecaster, OLSForecaster
from flexmeasures.forecasting.physics import (
    ClearSkyIndexForecaster,
    SeasonalTermsForecaster,
    physical_model,
    seasonal_terms,
)
from flexmeasures.forecasting.solar import (
    FLOOR_IRRADIANCE,
    ClearSkyIndex,
    clear_sky_irradiance,
)

QUARTER = pd.Timedelta(minutes=15)
HOUR = pd.Timedelta(hours=1)
AMSTERDAM = (52.37, 4.90)  # solar noon on 21 June 2024: about 11:42 UTC (13:42 local)
GOLDEN = (39.74, -105.18)  # solar noon on 21 June 2024: about 19:03 UTC (13:03 local)


def day_of(resolution: pd.Timedelta, day: str = "2024-06-21") -> pd.DatetimeIndex:
    """The UTC event starts of one UTC day at a resolution."""
    return pd.date_range(
        day, periods=int(pd.Timedelta(days=1) / resolution), freq=resolution, tz="UTC"
    )


@pytest.mark.parametrize(
    "location, timezone, solar_noon_utc",
    [(AMSTERDAM, "Europe/Amsterdam", "11:42"), (GOLDEN, "America/Denver", "19:03")],
)
def test_clear_sky_is_zero_at_local_night_and_peaks_at_local_solar_noon(
    location, timezone, solar_noon_utc
):
    irradiance = clear_sky_irradiance(day_of(QUARTER), QUARTER, *location)
    local = irradiance.tz_convert(timezone)

    assert (local.between_time("00:00", "03:00") == 0).all()  # local night
    assert (local.between_time("23:00", "23:59") == 0).all()
    peak_middle = irradiance.idxmax() + QUARTER / 2
    noon = pd.Timestamp(f"2024-06-21 {solar_noon_utc}", tz="UTC")
    assert abs(peak_middle - noon) <= pd.Timedelta(minutes=20)
    assert 800 < irradiance.max() < 1100  # W/m², a clear midsummer noon


def test_clear_sky_is_averaged_over_each_event_not_taken_at_its_start():
    quarters = clear_sky_irradiance(day_of(QUARTER), QUARTER, *AMSTERDAM)
    hours = clear_sky_irradiance(day_of(HOUR), HOUR, *AMSTERDAM)

    # an hour's irradiance is the mean of its four quarter-hours
    np.testing.assert_allclose(hours.to_numpy(), quarters.resample("1h").mean().to_numpy())
    # the hour of sunrise (about 03:20 UTC) has light on average, though none at its start
    sunrise_hour = pd.Timestamp("2024-06-21 03:00", tz="UTC")
    assert quarters.loc[sunrise_hour] == 0 and hours.loc[sunrise_hour] > 0
    # and in the morning, the event's mean lies above the irradiance at its start
    morning = pd.Timestamp("2024-06-21 06:00", tz="UTC")
    assert hours.loc[morning] > quarters.loc[morning]


def test_bad_locations_are_refused():
    with pytest.raises(ValueError, match="Latitude 95"):
        clear_sky_irradiance(day_of(HOUR), HOUR, 95, 4)
    with pytest.raises(ValueError, match="Longitude"):
        physical_model("ols", asset_type="solar", latitude=52, longitude=200)


def test_clear_sky_index_round_trip_and_finite_at_night():
    irradiance = clear_sky_irradiance(day_of(QUARTER), QUARTER, *AMSTERDAM)
    power = -0.004 * irradiance * 0.7  # production (USEF: negative), 70 % of clear sky
    power.iloc[:8] = 0.01  # a little consumption at night

    transform = ClearSkyIndex.fit(power, irradiance)
    index = transform.to_index(power, irradiance)

    assert transform.scale == pytest.approx(-0.004 * 0.7)  # clear moments: index 1
    assert np.isfinite(index).all()
    np.testing.assert_allclose(index[irradiance > 400], 1.0)
    back = transform.to_power(index, irradiance)
    sun = irradiance > 0
    np.testing.assert_allclose(back[sun], power[sun])
    assert (back[~sun] == 0).all()  # no sun, no power


@pytest.fixture(scope="module")
def cloudy_solar() -> pd.Series:
    """Three weeks of 15-minute PV power (kW) in Amsterdam: the clear-sky profile times a
    clearness that changes from day to day (in June 2024)."""
    index = pd.date_range("2024-06-01", periods=21 * 96, freq=QUARTER, tz="UTC")
    irradiance = clear_sky_irradiance(index, QUARTER, *AMSTERDAM)
    clearness = np.random.default_rng(5).uniform(0.3, 1.0, 21).repeat(96)
    return pd.Series(0.005 * irradiance.to_numpy() * clearness, index=index)


def test_solar_forecasts_follow_the_sun(cloudy_solar):
    history, test = cloudy_solar.iloc[: 20 * 96], cloudy_solar.iloc[20 * 96 :]
    plain = NaiveForecaster().fit(history, HOUR).predict(test.index, history=cloudy_solar)
    solar = ClearSkyIndexForecaster(NaiveForecaster(), *AMSTERDAM).fit(history, HOUR)
    forecast = solar.predict(test.index, history=cloudy_solar)

    sun = clear_sky_irradiance(cloudy_solar.index, QUARTER, *AMSTERDAM)
    assert (forecast[sun.reindex(test.index) == 0] == 0).all()  # night
    # the clear-sky index an hour ago times the sun now: exact on a day of one clearness,
    # where the sun is above the index's floor now and an hour ago
    high = sun >= FLOOR_IRRADIANCE
    known = high.reindex(test.index) & high.shift(freq=HOUR).reindex(test.index)
    np.testing.assert_allclose(forecast[known], test[known])
    assert (forecast - test).abs().mean() < 0.2 * (plain - test).abs().mean()
    assert "clear-sky index" in solar.source.label


def test_wind_terms_are_in_the_sensors_time_zone_and_season():
    index = pd.DatetimeIndex(["2024-01-15 23:00", "2024-07-15 22:00"], tz="UTC")
    terms = seasonal_terms(index, "Europe/Amsterdam")  # both local midnight

    np.testing.assert_allclose(terms["hour_sin_1"], 0, atol=1e-12)
    np.testing.assert_allclose(terms["hour_cos_1"], 1)
    assert terms["season_cos"].iloc[0] > 0.9 and terms["season_cos"].iloc[1] < -0.9


def test_wind_model_learns_a_daily_cycle_from_its_terms():
    index = pd.date_range("2024-03-01", periods=28 * 24, freq=HOUR, tz="UTC")
    hours = index.tz_convert("Europe/Amsterdam").hour
    noise = np.random.default_rng(2).normal(0, 0.05, len(index))
    wind = pd.Series(3 + np.sin(2 * np.pi * hours / 24) + noise, index=index)
    history, test = wind.iloc[: 27 * 24], wind.iloc[27 * 24 :]

    model = physical_model("ols", asset_type="wind", timezone="Europe/Amsterdam")
    forecast = model.fit(history, 24 * HOUR).predict(test.index, history=wind)

    assert isinstance(model, SeasonalTermsForecaster)
    assert isinstance(model.inner, OLSForecaster) and model.inner.calendar == "none"
    assert "x_hour_sin_1" in model.inner.coefficients().index
    assert (forecast - test).abs().mean() < 0.1
