"""Forecasting jobs: forecasts saved as beliefs with their horizon and the model that made
them (fall-backs recorded as such), re-runs overwrite, weather forecasts known in time are
regressors; new data enqueues one job per horizon, duplicates are merged, play mode skips
prices and weather; the forecasts come back through getPrognosis."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest
from redis.exceptions import RedisError
from rq.job import JobStatus
from sqlalchemy import select

from flexmeasures.app import create_app
from flexmeasures.data.ingest import save_beliefs
from flexmeasures.data.models import Asset, DataSource, Market, Sensor, TimedBelief, WeatherSensor
from flexmeasures.data.models.data_source import PROGNOSIS_SOURCE_TYPE
from flexmeasures.data.services import forecast_triggers
from flexmeasures.data.services.data_sources import user_source
from flexmeasures.data.services.forecast_triggers import (
    DEFAULT_HORIZONS,
    enqueue_forecasting_job,
    forecastable_window,
    request_forecasts,
)
from flexmeasures.forecasting import DEFAULT_HORIZONS as CORE_HORIZONS
from flexmeasures.forecasting.jobs import (
    ForecastingError,
    make_rolling_forecasts,
    measured_series,
    weather_forecasts,
)
from flexmeasures.jobs import make_worker
from tests.api.auth_routes import get_token

HOUR = timedelta(hours=1)
HISTORY_START = pd.Timestamp("2015-01-01T00:00:00Z")
DAY = pd.Timestamp("2015-01-15T00:00:00Z")  # the day to forecast; measured too
NEXT_DAY = DAY + pd.Timedelta(days=1)


def daily_cycle(days: int = 16, seed: int = 3) -> np.ndarray:
    """Hourly power (MW) with a daily cycle and a little noise."""
    hours = np.arange(24 * days)
    noise = np.random.default_rng(seed).normal(0, 0.01, len(hours))
    return 0.5 + 0.3 * np.sin(2 * np.pi * hours / 24) + noise


def add_beliefs(db, sensor: Sensor, start, values, horizon=timedelta(0), source=None) -> None:
    """Save values (one per step of the sensor's resolution from start) as beliefs."""
    if source is None:
        source = db.session.scalar(select(DataSource).filter_by(type="script"))
    starts = pd.date_range(
        pd.Timestamp(start), periods=len(values), freq=sensor.event_resolution, tz="UTC"
    )
    save_beliefs(
        pd.DataFrame(
            {
                "sensor_id": sensor.id,
                "event_start": starts,
                "belief_horizon": horizon,
                "source_id": source.id,
                "event_value": np.asarray(values, float),
            }
        )
    )
    db.session.flush()


def add_asset(db, owner, name: str = "office", resolution: timedelta = HOUR) -> Asset:
    """A building of the owner at 52 N, 4 E (Europe/Amsterdam)."""
    asset = Asset(
        name=name,
        asset_type_name="building",
        capacity_in_mw=1,
        latitude=52,
        longitude=4,
        owner=owner,
        unit="MW",
        event_resolution=resolution,
        timezone="Europe/Amsterdam",
    )
    db.session.add(asset)
    db.session.flush()
    return asset


@pytest.fixture
def building(db, structure, users) -> Asset:
    """A building with 16 days of hourly measurements from 2015-01-01 (committed)."""
    asset = add_asset(db, users["prosumer"])
    add_beliefs(db, asset, HISTORY_START, daily_cycle())
    db.session.commit()
    return asset


def forecasts_of(db, sensor: Sensor, probability: float | None = 0.5) -> pd.DataFrame:
    """Every forecast belief of the sensor at a cumulative probability (None: at any, with
    a column for it), with its source's model and version."""
    if probability is None:
        return pd.concat(
            [forecasts_of(db, sensor, p).assign(cumulative_probability=p) for p in (0.1, 0.5, 0.9)],
            ignore_index=True,
        )
    rows = db.session.execute(
        select(
            TimedBelief.event_start,
            TimedBelief.belief_horizon,
            TimedBelief.event_value,
            DataSource.type,
            DataSource.model,
            DataSource.version,
        )
        .join(DataSource, DataSource.id == TimedBelief.source_id)
        .where(
            TimedBelief.sensor_id == sensor.id,
            TimedBelief.belief_horizon > timedelta(0),
            TimedBelief.cumulative_probability == probability,
        )
        .order_by(TimedBelief.belief_horizon, TimedBelief.event_start)
    ).all()
    columns = ["event_start", "belief_horizon", "event_value", "type", "model", "version"]
    return pd.DataFrame(rows, columns=columns)


def test_job_saves_forecasts_with_their_horizon_and_model(db, building):
    summary = make_rolling_forecasts(building.id, 6 * HOUR, DAY, NEXT_DAY, model_name="ols")

    saved = forecasts_of(db, building)
    assert len(saved) == 24 == summary["saved"]
    assert (saved["belief_horizon"] == 6 * HOUR).all()
    assert set(zip(saved["type"], saved["model"], saved["version"], strict=True)) == {
        ("forecasting script", "ols", "1.0")
    }
    actual = daily_cycle()[14 * 24 : 15 * 24]
    assert np.abs(saved["event_value"].to_numpy() - actual).mean() < 0.05  # MW
    assert summary["model"] == "ols" and summary["horizon"] == "P0DT6H0M0S"
    assert next(iter(summary["sources"])).startswith("ols 1.0 (lags")


def test_rerunning_a_job_overwrites_instead_of_duplicating(db, building):
    make_rolling_forecasts(building.id, HOUR, DAY, NEXT_DAY)
    first = forecasts_of(db, building)
    make_rolling_forecasts(building.id, HOUR, DAY, NEXT_DAY)

    again = forecasts_of(db, building)
    assert len(again) == len(first) == 24
    pd.testing.assert_frame_equal(again, first)


def test_each_forecast_uses_only_data_known_at_its_belief_time(db, building):
    make_rolling_forecasts(building.id, 6 * HOUR, DAY, NEXT_DAY, model_name="naive")

    saved = forecasts_of(db, building).set_index("event_start")["event_value"]
    measured = pd.Series(
        daily_cycle(), index=pd.date_range(HISTORY_START, periods=16 * 24, freq="h")
    )
    # naive: the last value known 6 hours before each event's end (the event 6 hours earlier)
    expected = measured.shift(6).loc[DAY : NEXT_DAY - pd.Timedelta(hours=1)]
    np.testing.assert_allclose(saved.to_numpy(), expected.to_numpy())


def test_prognoses_recorded_after_the_fact_are_no_measurements(db, building, users):
    """A user's prognosis sent after the fact (a horizon <= 0 through postPrognosis) neither
    replaces nor adds to the measurements that forecasts learn from."""
    prognosis_source = user_source(users["prosumer"], PROGNOSIS_SOURCE_TYPE)
    after_the_fact = -timedelta(minutes=10)  # so these are the most recent beliefs
    values = np.full(16 * 24, 99.0)
    add_beliefs(db, building, HISTORY_START, values, after_the_fact, prognosis_source)

    measured = measured_series(building, HISTORY_START, HISTORY_START + pd.Timedelta(days=16))

    np.testing.assert_allclose(measured.to_numpy(), daily_cycle())


def test_fallback_to_naive_is_recorded_in_the_source(db, structure, users):
    flat = add_asset(db, users["prosumer"], name="flat")
    add_beliefs(db, flat, HISTORY_START, np.full(16 * 24, 0.2))

    summary = make_rolling_forecasts(flat.id, HOUR, DAY, NEXT_DAY, model_name="ols")

    saved = forecasts_of(db, flat)
    assert set(saved["model"]) == {"naive (fallback from ols)"}
    assert (saved["event_value"] == 0.2).all()
    assert list(summary["sources"]) == ["naive 1.0 (fallback: constant series)"]


def test_model_per_sensor_from_the_config(app, db, building, monkeypatch):
    monkeypatch.setitem(app.config, "FLEXMEASURES_FORECASTING_MODELS", {str(building.id): "hgb"})
    make_rolling_forecasts(building.id, 24 * HOUR, DAY, DAY + pd.Timedelta(hours=4))
    make_rolling_forecasts(building.id, HOUR, DAY, DAY + pd.Timedelta(hours=4), "naive")

    saved = forecasts_of(db, building)
    assert saved.groupby("belief_horizon")["model"].unique().map(list).to_dict() == {
        HOUR: ["naive"],
        24 * HOUR: ["hgb"],
    }


@pytest.mark.parametrize(
    "arguments, message",
    [
        (
            {"model_name": "arima"},
            "Unknown forecasting model 'arima'; choose from auto, hgb, naive, naive-persistence",
        ),
        ({"horizon": timedelta(0)}, "horizon must be positive"),
        ({"end": DAY}, "The window is empty"),
        ({"sensor_id": 999999}, "There is no sensor"),
    ],
)
def test_bad_arguments_are_refused_and_save_nothing(db, building, arguments, message):
    kwargs = {"sensor_id": building.id, "horizon": HOUR, "start": DAY, "end": NEXT_DAY, **arguments}
    with pytest.raises(ForecastingError, match=message):
        make_rolling_forecasts(**kwargs)
    assert forecasts_of(db, building).empty


def test_weather_forecasts_near_an_asset_are_regressors_when_known_in_time(db, building):
    thermometer = WeatherSensor(
        name="temperature near the office",
        weather_sensor_type_name="temperature",
        latitude=52.01,
        longitude=4.01,
        unit="°C",
        event_resolution=HOUR,
    )
    db.session.add(thermometer)
    db.session.flush()
    add_beliefs(db, thermometer, HISTORY_START, np.full(16 * 24, 5.0), horizon=6 * HOUR)
    add_beliefs(db, thermometer, HISTORY_START, np.full(16 * 24, 7.0), horizon=HOUR)

    known_6h_ahead = weather_forecasts(thermometer, 6 * HOUR, building, DAY, NEXT_DAY)
    known_1h_ahead = weather_forecasts(thermometer, HOUR, building, DAY, NEXT_DAY)
    summary = make_rolling_forecasts(building.id, 6 * HOUR, DAY, NEXT_DAY)

    assert (known_6h_ahead == 5.0).all() and len(known_6h_ahead) == 24
    assert (known_1h_ahead == 7.0).all()  # the most recent forecast known at that time
    assert summary["regressors"] == ["temperature"]


def test_default_horizons_are_the_cores():
    assert [pd.Timedelta(h) for h in DEFAULT_HORIZONS] == list(CORE_HORIZONS)


def test_forecastable_window_is_where_new_data_is_known_at_belief_time():
    start, end = pd.Timestamp("2015-01-02T10:00Z"), pd.Timestamp("2015-01-02T10:45Z")
    quarter = timedelta(minutes=15)

    window = forecastable_window(start, end, quarter, 6 * HOUR)

    # the first new value (event 10:00-10:15) is known at 10:15: the belief time of the event
    # 16:00-16:15 at 6 hours; the last (10:45-11:00) at 11:00, that of 16:45-17:00
    assert window == (pd.Timestamp("2015-01-02T16:00Z"), pd.Timestamp("2015-01-02T17:00Z"))
    # an hourly value for 10:00-11:00 is known at 11:00: the belief time of 11:00-12:00
    hourly = (pd.Timestamp("2015-01-02T11:00Z"), pd.Timestamp("2015-01-02T12:00Z"))
    assert forecastable_window(start, start, HOUR, HOUR) == hourly
    # after a year of new data, the last two days
    year_later = start + pd.Timedelta(days=365)
    last_days = (year_later - pd.Timedelta(hours=23), year_later + pd.Timedelta(days=1, hours=1))
    assert forecastable_window(start, year_later, HOUR, 24 * HOUR) == last_days


def test_new_data_enqueues_a_job_per_horizon_and_merges_duplicates(db, building, queues):
    start, end = DAY.to_pydatetime(), (DAY + pd.Timedelta(hours=2)).to_pydatetime()

    jobs = request_forecasts([building], start, end)
    again = request_forecasts([building], start, end)

    assert len(jobs) == 4 and queues["forecasting"].count == 4
    assert [job.id for job in again] == [job.id for job in jobs]
    assert {job.meta["horizon"] for job in jobs} == {
        "0 days 01:00:00",
        "0 days 06:00:00",
        "1 days 00:00:00",
        "2 days 00:00:00",
    }
    six_hours = next(job for job in jobs if job.meta["horizon"] == "0 days 06:00:00")
    assert six_hours.args[2:4] == (DAY + pd.Timedelta(hours=6), DAY + pd.Timedelta(hours=9))


def test_a_started_job_is_not_merged_with(db, building, queues):
    start, end = DAY.to_pydatetime(), NEXT_DAY.to_pydatetime()
    first = enqueue_forecasting_job(building.id, HOUR, start, end)
    make_worker(["forecasting"]).work(burst=True)

    second = enqueue_forecasting_job(building.id, HOUR, start, end)
    third = enqueue_forecasting_job(building.id, HOUR, start, end)

    assert first.get_status(refresh=True) == JobStatus.FINISHED
    assert second.id != first.id and third.id == second.id
    assert queues["forecasting"].count == 1


def test_a_worker_saves_the_forecasts_of_queued_jobs(db, building, queues):
    jobs = request_forecasts([building], DAY.to_pydatetime(), DAY.to_pydatetime())

    make_worker(["forecasting"]).work(burst=True)

    assert all(job.get_status(refresh=True) == JobStatus.FINISHED for job in jobs)
    saved = forecasts_of(db, building)
    assert sorted(saved["belief_horizon"].unique()) == [pd.Timedelta(h) for h in DEFAULT_HORIZONS]
    assert jobs[0].return_value()["saved"] == 1  # one new hour: one step per horizon


def test_a_failing_redis_is_logged_and_queues_nothing(db, building, queues, monkeypatch, caplog):
    def refuse(*args, **kwargs):
        raise RedisError("Connection refused")

    monkeypatch.setattr(forecast_triggers, "enqueue", refuse)

    assert request_forecasts([building], DAY.to_pydatetime(), DAY.to_pydatetime()) == []
    assert "Could not queue forecasting jobs" in caplog.text and "Connection refused" in caplog.text


def test_too_little_history_enqueues_nothing(db, structure, users, queues):
    new = add_asset(db, users["prosumer"], name="new")
    add_beliefs(db, new, DAY, np.ones(6))

    assert request_forecasts([new], DAY.to_pydatetime(), DAY.to_pydatetime()) == []
    assert queues["forecasting"].count == 0


def test_play_mode_enqueues_nothing_for_prices_and_weather(app, db, building, queues, monkeypatch):
    monkeypatch.setitem(app.config, "FLEXMEASURES_MODE", "play")
    market = db.session.scalar(select(Market).filter_by(name="epex_da"))
    add_beliefs(db, market, HISTORY_START, np.arange(16 * 24.0))
    wind = WeatherSensor(
        name="wind",
        weather_sensor_type_name="wind_speed",
        latitude=52,
        longitude=4,
        unit="m/s",
        event_resolution=HOUR,
    )
    db.session.add(wind)
    db.session.flush()
    add_beliefs(db, wind, HISTORY_START, np.arange(16 * 24.0))

    jobs = request_forecasts([market, wind, building], DAY.to_pydatetime(), DAY.to_pydatetime())

    assert {job.meta["sensor_id"] for job in jobs} == {building.id}
    monkeypatch.setitem(app.config, "FLEXMEASURES_MODE", "")
    jobs = request_forecasts([market, wind], DAY.to_pydatetime(), DAY.to_pydatetime())
    assert {job.meta["sensor_id"] for job in jobs} == {market.id, wind.id}


def test_without_redis_new_data_triggers_no_forecasts(app, db, building):
    """In-process jobs would fit models inside the posting request: none are triggered."""
    in_process = create_app(
        "testing",
        settings={
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "FLEXMEASURES_REDIS_URL": None,
        },
    )
    with in_process.app_context():
        asset = db.session.get(Asset, building.id)
        jobs = request_forecasts([asset], DAY.to_pydatetime(), DAY.to_pydatetime())

        assert jobs == []
        assert len(forecasts_of(db, asset)) == 0


def test_forecasts_of_a_job_come_back_through_get_prognosis(client, db, building, users, queues):
    # what the MDC sent through postPrognosis: beliefs of their prognosis source
    mdc_source = user_source(users["mdc"], PROGNOSIS_SOURCE_TYPE)
    add_beliefs(db, building, DAY, np.full(24, 9.0), horizon=6 * HOUR, source=mdc_source)
    make_rolling_forecasts(building.id, 6 * HOUR, DAY, NEXT_DAY)
    make_rolling_forecasts(building.id, HOUR, DAY, NEXT_DAY)
    token = get_token(client, users["prosumer"].email)

    def prognosis(**extra):
        response = client.get(
            "/api/v2_0/getPrognosis",
            query_string={
                "connection": f"ea1.2018-06.localhost:{building.owner_id}:{building.id}",
                "start": "2015-01-15T00:00:00Z",
                "duration": "PT6H",
                **extra,
            },
            headers={"Authorization": token},
        )
        assert response.status_code == 200, response.json
        return response.json["values"]

    saved = forecasts_of(db, building).query("type == 'forecasting script'")
    expected = saved[saved["belief_horizon"] == 6 * HOUR]
    by_forecaster = prognosis(horizon="PT6H", source="forecasting script")
    assert by_forecaster == pytest.approx(expected["event_value"].iloc[:6].tolist())
    assert prognosis(horizon="PT6H", source="MDC") == [9.0] * 6
    # without a horizon filter, the most recent forecasts (1 hour ahead) come first
    latest = saved[saved["belief_horizon"] == HOUR]
    assert prognosis(source="forecasting script") == pytest.approx(
        latest["event_value"].iloc[:6].tolist()
    )
