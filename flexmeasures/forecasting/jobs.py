"""Forecasting jobs: read a sensor's history, make rolling forecasts, save them as beliefs.

``make_rolling_forecasts`` is what the "forecasting" queue runs (see
``flexmeasures.data.services.forecast_triggers``) and what ``flexmeasures add forecasts``
calls per day (through ``compute_rolling_forecasts``, which does not commit). It reads:

- the sensor's measurements (most recent belief per event, horizon ≤ 0) from
  FORECAST_HISTORY before the window on, as a series on the sensor's resolution grid;
- for assets, weather forecasts (temperature, wind speed, radiation) of the nearest
  weather sensor of each type within MAX_WEATHER_DISTANCE_KM, as regressors: per event,
  the most recent forecast known at that event's belief time for this horizon;

and hands them to the pure core (``rolling_forecasts``), which uses only the data known at
each forecast's belief time. Solar assets are forecast as a clear-sky index at their
location, wind assets with hour-of-day and season terms (``forecasting.physics``).

Each forecast is saved as one belief per probability of DEFAULT_PROBABILITIES (the 10 %,
50 % and 90 % quantiles, ``forecasting.quantiles``), with its cumulative_probability; the
50 % belief is the point forecast. The forecasts are saved with belief horizon = the forecast
horizon, by a data source of type "forecasting script" named FORECASTER_NAME whose model and
version are those of the model that made them: e.g. "ols" 1.0, or "naive (fallback from
ols)" 1.0 when the regression model fell back to the last known value. Saving overwrites
the same beliefs, so a re-run job does not duplicate them.

The model comes from the job's arguments, else from FLEXMEASURES_FORECASTING_MODELS
(sensor id → model name), else DEFAULT_MODEL: "auto", the model that a rolling-origin
backtest chooses per sensor and horizon among the naive baselines, OLS and gradient
boosting (``flexmeasures.forecasting.selection``); the choice and its backtest scores are
kept with the data source of the forecasts (``flexmeasures.forecasting.selection_store``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
from flask import current_app
from sqlalchemy import select

from flexmeasures.data import db
from flexmeasures.data.ingest import save_beliefs
from flexmeasures.data.models import Asset, DataSource, Sensor, WeatherSensor
from flexmeasures.data.queries import resample_events, search_beliefs
from flexmeasures.data.services.data_sources import METER_DATA, source_ids_of_kind
from flexmeasures.data.services.forecast_triggers import FORECAST_HISTORY
from flexmeasures.data.services.weather_sensors import find_weather_sensor
from flexmeasures.forecasting.models import MODELS
from flexmeasures.forecasting.quantiles import DEFAULT_PROBABILITIES, MEDIAN, quantile_column
from flexmeasures.forecasting.rolling import rolling_forecasts
from flexmeasures.forecasting.selection import AUTO, Selection
from flexmeasures.forecasting.selection_store import model_choice, remember_selection

FORECASTER_NAME = "FlexMeasures"
FORECASTER_TYPE = "forecasting script"
DEFAULT_MODEL = AUTO
WEATHER_REGRESSORS = ("temperature", "wind_speed", "radiation")
MAX_WEATHER_DISTANCE_KM = 100.0
# ModelSource.label: "<name> <version>", then optionally " (<specification>)" or
# " (fallback: <reason>)".
_LABEL = re.compile(r"^(?P<name>\S+) (?P<version>\S+)(?: \((?P<details>.*)\))?$")


class ForecastingError(ValueError):
    """A forecasting job cannot run as asked; the message says why."""


@dataclass(frozen=True)
class ForecastRun:
    """Forecasts made (and saved, not yet committed) for one sensor and horizon.

    ``forecasts`` has the core's columns (event_start, belief_time, belief_horizon, value
    in the sensor's unit, source: the label of the model that made each forecast).
    """

    sensor_id: int
    horizon: pd.Timedelta
    start: pd.Timestamp
    end: pd.Timestamp
    model_name: str
    forecasts: pd.DataFrame
    regressors: tuple[str, ...]
    saved: int
    selection: Selection | None = None

    def summary(self) -> dict[str, Any]:
        """What a job returns: the request, how many forecasts were saved, and how many
        each model made (by model label, e.g. "ols 1.0 (lags 1h,1d,7d; dummies)")."""
        return {
            "sensor_id": self.sensor_id,
            "horizon": self.horizon.isoformat(),
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "model": self.model_name,
            "regressors": list(self.regressors),
            "forecasts": len(self.forecasts),
            "saved": self.saved,
            "sources": self.forecasts["source"].value_counts().to_dict()
            if len(self.forecasts)
            else {},
            "selection": self.selection.to_dict() if self.selection else None,
        }


def make_rolling_forecasts(
    sensor_id: int,
    horizon: timedelta,
    start: datetime,
    end: datetime,
    model_name: str | None = None,
) -> dict[str, Any]:
    """Make, save and commit forecasts of a sensor at a horizon for every step of events
    starting in [start, end) (aware datetimes), each from the data known at its belief time.

    ``model_name``: a name in MODELS (e.g. "ols", "hgb", "naive-yesterday") or "auto"
    (None: the sensor's configured model, else "auto"). Returns ``ForecastRun.summary()``.
    Raises ForecastingError for bad arguments; then nothing is saved.
    """
    try:
        run = compute_rolling_forecasts(sensor_id, horizon, start, end, model_name)
    except BaseException:
        db.session.rollback()  # in-process jobs share the caller's session
        raise
    db.session.commit()
    return run.summary()


def compute_rolling_forecasts(
    sensor_id: int,
    horizon: timedelta,
    start: datetime,
    end: datetime,
    model_name: str | None = None,
) -> ForecastRun:
    """Like ``make_rolling_forecasts``, but without committing; returns the run.

    The window is moved onto the sensor's resolution grid (start and end rounded up).
    """
    sensor = forecastable_sensor(sensor_id)
    model_name = model_for_sensor(sensor.id, model_name)
    horizon, start, end = checked_window(sensor, horizon, start, end)
    history_start = start - FORECAST_HISTORY
    history = measured_series(sensor, history_start, end)
    regressors = weather_regressors(sensor, horizon, history_start, end)
    options = model_options(sensor)
    selection = None
    if model_name == AUTO:
        selection, is_new = model_choice(sensor.id, horizon, start, history, regressors, options)
        model_name = selection.model
    forecasts = rolling_forecasts(
        history,
        horizon,
        start,
        end,
        model_name=model_name,
        regressors=regressors,
        model_options=options,
        quantiles=DEFAULT_PROBABILITIES,
    )
    saved = save_forecasts(sensor, forecasts, model_name)
    if selection is not None and is_new:
        version = MODELS[model_name].version
        remember_selection(
            forecaster_source(f"{model_name} {version}", model_name), sensor.id, selection
        )
    return ForecastRun(
        sensor_id=sensor.id,
        horizon=horizon,
        start=start,
        end=end,
        model_name=model_name,
        forecasts=forecasts,
        regressors=tuple(regressors.columns) if regressors is not None else (),
        saved=saved,
        selection=selection,
    )


def model_options(sensor: Sensor) -> dict[str, Any]:
    """Options of the core's models for a sensor: its time zone, and for assets their type
    and location (so solar and wind assets are forecast with their physics)."""
    options: dict[str, Any] = {"timezone": sensor.timezone or "UTC"}
    if isinstance(sensor, Asset):
        options.update(
            asset_type=sensor.asset_type_name,
            latitude=sensor.latitude,
            longitude=sensor.longitude,
        )
    return options


def forecastable_sensor(sensor_id: int) -> Sensor:
    """The sensor with this id, if it has an event resolution to forecast at."""
    sensor = db.session.get(Sensor, sensor_id)
    if sensor is None:
        raise ForecastingError(
            f"There is no sensor (asset, market or weather sensor) with id {sensor_id}."
        )
    if not sensor.event_resolution:
        raise ForecastingError(f"Sensor {sensor_id} has no event resolution to forecast at.")
    return sensor


def model_for_sensor(sensor_id: int, model_name: str | None = None) -> str:
    """The model to forecast a sensor with: the given one, else the one configured in
    FLEXMEASURES_FORECASTING_MODELS for the sensor (keyed by id, as number or text), else
    DEFAULT_MODEL ("auto": chosen by backtest). Raises ForecastingError for an unknown
    model name."""
    configured = current_app.config.get("FLEXMEASURES_FORECASTING_MODELS") or {}
    name = (
        model_name or configured.get(sensor_id) or configured.get(str(sensor_id)) or DEFAULT_MODEL
    )
    if name not in MODELS and name != AUTO:
        raise ForecastingError(
            f"Unknown forecasting model '{name}'; choose from {', '.join(model_names())}."
        )
    return name


def model_names() -> list[str]:
    """The names a model can be asked for by: "auto" and those of MODELS."""
    return [AUTO, *sorted(MODELS)]


def checked_window(
    sensor: Sensor, horizon: timedelta, start: datetime, end: datetime
) -> tuple[pd.Timedelta, pd.Timestamp, pd.Timestamp]:
    """The horizon and the window [start, end) in UTC on the sensor's resolution grid."""
    horizon = pd.Timedelta(horizon)
    if horizon <= pd.Timedelta(0):
        raise ForecastingError(f"The forecast horizon must be positive, not {horizon}.")
    moments = [pd.Timestamp(moment) for moment in (start, end)]
    if any(moment.tzinfo is None for moment in moments):
        raise ForecastingError("Start and end of the forecasts need a time zone.")
    resolution = pd.Timedelta(sensor.event_resolution)
    start, end = (moment.tz_convert("UTC").ceil(resolution) for moment in moments)
    if start >= end:
        raise ForecastingError(f"The window is empty: {start} is not before {end}.")
    return horizon, start, end


def measured_series(sensor: Sensor, start: datetime, end: datetime) -> pd.Series:
    """The sensor's measurements (most recent per event; sensor's unit) for events starting
    in [start, end), on the sensor's resolution grid (UTC), NaN where none is known.

    Measurements are beliefs formed at or after the fact from sources of meter data: a
    user's prognosis recorded after the fact is no measurement to learn from."""
    meter_sources = source_ids_of_kind(METER_DATA)
    found = search_beliefs([sensor.id], start, end, source_ids=meter_sources, kind="measurements")
    return _on_grid(found, sensor.event_resolution, start, end)


def _on_grid(found: pd.DataFrame, resolution: timedelta, start, end) -> pd.Series:
    """Belief values by event start, on the resolution's grid over [start, end)."""
    grid = pd.date_range(
        pd.Timestamp(start).tz_convert("UTC"),
        pd.Timestamp(end).tz_convert("UTC"),
        freq=pd.Timedelta(resolution),
        inclusive="left",
    )
    values = pd.Series(found["event_value"].to_numpy(float), index=found["event_start"])
    return values.reindex(grid)


def weather_regressors(
    sensor: Sensor, horizon: timedelta, start: datetime, end: datetime
) -> pd.DataFrame | None:
    """For an asset: per event start in [start, end) on its grid, the weather forecasts
    (°C, m/s, kW/m²) of the nearest weather sensors as known at the event's belief time
    for this horizon; a column per weather sensor type that has a sensor within
    MAX_WEATHER_DISTANCE_KM. None for other sensors, or when no weather sensor is near."""
    if not isinstance(sensor, Asset):
        return None
    columns = {}
    for type_name in WEATHER_REGRESSORS:
        weather = find_weather_sensor(
            type_name, sensor.latitude, sensor.longitude, MAX_WEATHER_DISTANCE_KM
        )
        if weather is not None and weather.event_resolution:
            columns[type_name] = weather_forecasts(weather, horizon, sensor, start, end)
    return pd.DataFrame(columns) if columns else None


def weather_forecasts(
    weather: WeatherSensor, horizon: timedelta, sensor: Sensor, start: datetime, end: datetime
) -> pd.Series:
    """The weather sensor's most recent forecasts known at each of the sensor's belief
    times for this horizon, at the sensor's resolution, for events in [start, end).

    A weather event covering a coarser span than the sensor's event ends up to the
    difference in resolutions later, so its forecast must be that much older.
    """
    weather_resolution = pd.Timedelta(weather.event_resolution)
    resolution = pd.Timedelta(sensor.event_resolution)
    known_by = pd.Timedelta(horizon) + max(weather_resolution - resolution, pd.Timedelta(0))
    found = search_beliefs(
        [weather.id], start - weather_resolution, end, horizon=known_by.to_pytimedelta()
    )
    values = pd.Series(found["event_value"].to_numpy(float), index=found["event_start"])
    return resample_events(values, weather_resolution, resolution, start, end)


def save_forecasts(sensor: Sensor, forecasts: pd.DataFrame, model_name: str) -> int:
    """Save the core's forecasts as beliefs of the forecaster sources that made them: the
    point forecast at probability 0.5 and each quantile column at its probability, where
    known; replacing the same beliefs of an earlier run. Returns how many forecasts (events)
    were saved. Does not commit."""
    if forecasts.empty:
        return 0
    source_ids = {
        label: forecaster_source(label, model_name).id for label in forecasts["source"].unique()
    }
    base = pd.DataFrame(
        {
            "sensor_id": sensor.id,
            "event_start": pd.DatetimeIndex(forecasts["event_start"]),
            "belief_horizon": pd.to_timedelta(forecasts["belief_horizon"]).to_numpy(),
            "source_id": forecasts["source"].map(source_ids).to_numpy(),
        }
    )
    parts = []
    for probability in DEFAULT_PROBABILITIES:
        column = "value" if probability == MEDIAN else quantile_column(probability)
        if column in forecasts:
            values = forecasts[column].to_numpy(float)
            parts.append(base.assign(cumulative_probability=probability, event_value=values))
    beliefs = pd.concat(parts, ignore_index=True).dropna(subset=["event_value"])
    saved = save_beliefs(beliefs, on_conflict="overwrite")
    return len(forecasts) if saved else 0


def source_model(label: str, requested_model: str) -> tuple[str, str]:
    """The model and version naming the data source of forecasts labelled by the core:
    "ols 1.0 (lags 1h,1d; dummies)" → ("ols", "1.0"); a fall-back such as "naive 1.0
    (fallback: constant series)" of a requested "ols" → ("naive (fallback from ols)", "1.0")."""
    match = _LABEL.match(label)
    if match is None:
        raise ForecastingError(f"Cannot tell which model made forecasts labelled '{label}'.")
    model = match["name"]
    if (match["details"] or "").startswith("fallback:"):
        model = f"{model} (fallback from {requested_model})"
    return model, match["version"]


def forecaster_source(label: str, requested_model: str) -> DataSource:
    """The data source (created on first use) of forecasts labelled by the core (see
    ``source_model``)."""
    model, version = source_model(label, requested_model)
    fields = dict(name=FORECASTER_NAME, type=FORECASTER_TYPE, model=model, version=version)
    source = db.session.scalars(
        select(DataSource).filter_by(user_id=None, **fields).order_by(DataSource.id)
    ).first()
    if source is None:
        source = DataSource(**fields)
        db.session.add(source)
        db.session.flush()
    return source
