"""Forecasting jobs with physics and uncertainty, end to end: a solar asset's forecasts are
saved as 10 %, 50 % and 90 % beliefs (monotone, no power at night); getPrognosis,
getMeterData and the power chart still give one value per event (the 50 % one), and the
chart shows the band. Weather forecasts are regressors only as known at the horizon:
never observed weather, never a forecast made too late."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from flexmeasures.charts import ChartWindow, chart_json, power_chart
from flexmeasures.data.models import Asset, WeatherSensor
from flexmeasures.data.queries import BeliefFilter, _filter_in_pandas
from flexmeasures.data.services.charts import ChartGrid, power_data
from flexmeasures.forecasting.jobs import make_rolling_forecasts, weather_forecasts
from flexmeasures.forecasting.solar import clear_sky_irradiance
from tests.api.auth_routes import get_token
from tests.charts.helpers import bands
from tests.forecasting.test_jobs import (
    DAY,
    HISTORY_START,
    HOUR,
    NEXT_DAY,
    add_asset,
    add_beliefs,
    forecasts_of,
)

LOCATION = (52.0, 4.0)  # add_asset's place, in Europe/Amsterdam


def solar_power(days: int = 16) -> pd.Series:
    """Hourly PV power (MW, production negative) from HISTORY_START: clear-sky irradiance
    times a clearness that changes from day to day."""
    index = pd.date_range(HISTORY_START, periods=24 * days, freq="1h")
    clearness = np.random.default_rng(8).uniform(0.4, 1.0, days).repeat(24)
    sun = clear_sky_irradiance(index, pd.Timedelta(HOUR), *LOCATION).to_numpy()
    return pd.Series(-0.001 * sun * clearness, index=index)


@pytest.fixture
def solar_panel(db, structure, users) -> Asset:
    """A solar asset with 16 days of hourly measurements (committed)."""
    asset = add_asset(db, users["prosumer"], name="panel")
    asset.asset_type_name = "solar"
    add_beliefs(db, asset, HISTORY_START, solar_power().to_numpy())
    db.session.commit()
    return asset


@pytest.fixture
def forecasts(db, solar_panel) -> pd.DataFrame:
    """The panel's 6-hour-ahead forecasts of DAY: a row per event, a column per probability."""
    summary = make_rolling_forecasts(solar_panel.id, 6 * HOUR, DAY, NEXT_DAY)
    assert summary["saved"] == 24 and "clear-sky index" in next(iter(summary["sources"]))
    saved = forecasts_of(db, solar_panel, probability=None)
    return saved.pivot(index="event_start", columns="cumulative_probability", values="event_value")


def test_solar_forecasts_are_saved_with_their_quantiles(db, solar_panel, forecasts):
    assert list(forecasts.columns) == [0.1, 0.5, 0.9] and len(forecasts) == 24
    assert (forecasts[0.1] <= forecasts[0.5]).all() and (forecasts[0.5] <= forecasts[0.9]).all()
    assert (forecasts[0.9] - forecasts[0.1]).max() > 0.05  # MW: a band by day
    sun = clear_sky_irradiance(forecasts.index, pd.Timedelta(HOUR), *LOCATION)
    assert (forecasts[sun == 0] == 0).all().all()  # no power, and no doubt, at night


def test_api_and_charts_give_one_value_per_event(client, db, solar_panel, users, forecasts):
    token = get_token(client, users["prosumer"].email)
    query = {
        "connection": f"ea1.2018-06.localhost:{solar_panel.owner_id}:{solar_panel.id}",
        "start": "2015-01-15T00:00:00Z",
        "duration": "PT24H",
    }

    def values(endpoint: str, **extra) -> list:
        response = client.get(
            f"/api/v2_0/{endpoint}",
            query_string={**query, **extra},
            headers={"Authorization": token},
        )
        assert response.status_code == 200, response.json
        return response.json["values"]

    prognosis = values("getPrognosis", horizon="PT6H", source="forecasting script")
    assert prognosis == pytest.approx(forecasts[0.5].tolist())  # the expected values
    measured = values("getMeterData", unit="MW")
    assert measured == pytest.approx(solar_power().loc[DAY:].iloc[:24].tolist())

    grid = ChartGrid(DAY, NEXT_DAY, pd.Timedelta(HOUR), horizon=timedelta(hours=6))
    data = power_data([solar_panel], grid)
    np.testing.assert_allclose(data.forecasts["panel"], forecasts[0.5])
    np.testing.assert_allclose(data.forecast_lower["panel"], forecasts[0.1])
    item = chart_json(power_chart(data, ChartWindow(DAY, NEXT_DAY), "panel"))
    [(lower, upper)] = bands(item)
    assert max(np.subtract(upper, lower)) > 0.05


def test_weather_regressors_are_forecasts_known_at_the_horizon(db, structure, users):
    asset = add_asset(db, users["prosumer"], name="office", resolution=timedelta(minutes=15))
    sky = WeatherSensor(
        name="radiation near the office",
        weather_sensor_type_name="radiation",
        latitude=52.01,
        longitude=4.01,
        unit="kW/m²",
        event_resolution=HOUR,
    )
    db.session.add(sky)
    db.session.flush()
    hours = 16 * 24
    add_beliefs(db, sky, HISTORY_START, np.full(hours, 9.0), horizon=timedelta(0))  # observed
    add_beliefs(db, sky, HISTORY_START, np.full(hours, 9.0), horizon=-HOUR)  # recorded later
    add_beliefs(db, sky, HISTORY_START, np.full(hours, 2.0), horizon=HOUR)  # made 1 h ahead
    add_beliefs(db, sky, HISTORY_START, np.full(hours, 3.0), horizon=2 * HOUR)  # 2 h ahead
    add_beliefs(db, sky, HISTORY_START, np.full(hours, 4.0), horizon=3 * HOUR)  # 3 h ahead

    known = {
        hours_ahead: weather_forecasts(sky, hours_ahead * HOUR, asset, DAY, NEXT_DAY)
        for hours_ahead in (1, 2)
    }

    assert len(known[1]) == 96  # the quarter-hours of the asset
    # an hourly forecast must be known before the first quarter-hour's belief time, so
    # 1 hour ahead for a quarter-hour means 1 h 45 min ahead for the hour: the 2-hour one
    assert (known[1] == 3.0).all()
    assert (known[2] == 4.0).all()  # 2 h 45 min ahead for the hour: the 3-hour forecast
    assert weather_forecasts(sky, 3 * HOUR, asset, DAY, NEXT_DAY).isna().all()  # none in time


def test_the_most_recent_belief_of_a_forecast_with_quantiles_is_its_median_on_sqlite_too():
    """SQLite's belief search (pandas) keeps the 0.5 belief per event, as PostgreSQL's does;
    every belief comes median first, like PostgreSQL's."""
    frame = pd.DataFrame(
        {
            "sensor_id": 1,
            "event_start": [DAY] * 3,
            "belief_horizon": [6 * HOUR] * 3,
            "source_id": 1,
            "cumulative_probability": [0.1, 0.9, 0.5],
            "event_value": [1.0, 3.0, 2.0],
        }
    )
    query = BeliefFilter(sensor_ids=(1,), start=DAY, end=NEXT_DAY)

    assert _filter_in_pandas(frame, query)["event_value"].tolist() == [2.0]
    every = _filter_in_pandas(frame, replace(query, most_recent=False))
    assert every["cumulative_probability"].tolist() == [0.5, 0.1, 0.9]
