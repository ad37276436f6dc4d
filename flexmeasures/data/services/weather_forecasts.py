"""Weather forecasts from Open-Meteo (no key needed): temperature, wind speed, radiation.

``fetch_weather_forecasts`` asks the forecast API (FLEXMEASURES_WEATHER_FORECAST_URL, by
default https://api.open-meteo.com/v1/forecast) for hourly forecasts at a location and
returns its JSON answer. ``save_raw_response`` writes that answer to a JSON file;
``store_weather_forecasts`` saves it as beliefs of the weather sensors at the location:

- per weather sensor type (temperature in °C, wind_speed in m/s, radiation in kW/m²), the
  nearest sensor of that type within NEARBY_KM, else a new hourly sensor at the location;
- Open-Meteo's ``temperature_2m`` and ``wind_speed_10m`` hold the value at the start of
  each hour (the hour's event); ``shortwave_radiation`` is the mean over the preceding hour
  (the previous hour's event), in W/m², converted to kW/m²;
- every value is a forecast made at the time of the request (its belief time), so its
  horizon is the event's end minus that time; events that had ended by then (the API also
  returns the past hours of the current day) are left out: they are no forecasts;
- the data source is FORECAST_PROVIDER ("Open-Meteo", a forecasting script).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import select

from flexmeasures.data import db
from flexmeasures.data.ingest import save_beliefs
from flexmeasures.data.models import DataSource, WeatherSensor
from flexmeasures.data.queries import resample_events
from flexmeasures.data.services.assets import create_weather_sensor
from flexmeasures.data.services.weather_sensors import find_weather_sensor

HOUR = timedelta(hours=1)
NEARBY_KM = 5.0
"""Existing weather sensors this close to the location (km) take its forecasts."""
REQUEST_TIMEOUT_SECONDS = 30
FORECAST_PROVIDER = {"name": "Open-Meteo", "type": "forecasting script"}


@dataclass(frozen=True)
class Variable:
    """An Open-Meteo hourly variable for a weather sensor type, with unit conversions to
    the type's unit and the offset from the variable's time to its event's start."""

    name: str
    conversions: dict[str, float]
    event_offset: timedelta = timedelta(0)


VARIABLES = {
    "temperature": Variable("temperature_2m", {"°C": 1.0}),
    "wind_speed": Variable("wind_speed_10m", {"m/s": 1.0, "km/h": 1 / 3.6}),
    "radiation": Variable("shortwave_radiation", {"W/m²": 0.001, "kW/m²": 1.0}, -HOUR),
}


class WeatherForecastError(ValueError):
    """The forecasts could not be fetched or read; the message says why."""


def request_time() -> datetime:
    """The moment of a request to the provider (aware UTC): the belief time of its answer."""
    return datetime.now(UTC)


def fetch_weather_forecasts(url: str, latitude: float, longitude: float) -> dict[str, Any]:
    """The forecast API's JSON answer with hourly forecasts of the VARIABLES at a location
    (decimal degrees). Raises WeatherForecastError if the provider cannot be reached or
    answers with an error or something other than JSON."""
    query = urllib.parse.urlencode(
        {
            "latitude": latitude,
            "longitude": longitude,
            "hourly": ",".join(variable.name for variable in VARIABLES.values()),
            "wind_speed_unit": "ms",
            "timezone": "UTC",
        }
    )
    address = f"{url}{'&' if '?' in url else '?'}{query}"
    try:
        with urllib.request.urlopen(address, timeout=REQUEST_TIMEOUT_SECONDS) as answer:
            return json.loads(answer.read().decode("utf-8"))
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode("utf-8", "replace").strip()[:200]
        raise WeatherForecastError(f"{url} answered {exc.code} {exc.reason}: {detail}") from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise WeatherForecastError(f"Cannot get weather forecasts from {url}: {reason}") from exc
    except ValueError as exc:
        raise WeatherForecastError(f"{url} did not answer with JSON: {exc}") from exc


def forecast_series(response: dict[str, Any]) -> dict[str, pd.Series]:
    """Per weather sensor type, the hourly forecasts in the type's unit, indexed by event
    start (UTC). Raises WeatherForecastError for an answer without the expected data."""
    try:
        hourly, units = response["hourly"], response.get("hourly_units", {})
        offset = timedelta(seconds=response.get("utc_offset_seconds", 0))
        local_times = pd.DatetimeIndex(pd.to_datetime(hourly["time"]))
        if local_times.tz is None:
            local_times = (local_times - offset).tz_localize("UTC")
        series = {}
        for type_name, variable in VARIABLES.items():
            factor = _conversion(variable, units.get(variable.name))
            values = pd.to_numeric(pd.Series(hourly[variable.name], dtype=object), "coerce")
            index = local_times.tz_convert("UTC") + variable.event_offset
            series[type_name] = pd.Series(values.to_numpy(float) * factor, index=index).dropna()
    except WeatherForecastError:
        raise
    except (KeyError, TypeError, ValueError) as exc:
        raise WeatherForecastError(f"Unexpected forecast data (missing or bad {exc}).") from exc
    return series


def _conversion(variable: Variable, unit: str | None) -> float:
    """The factor from the given unit to the type's unit (the first known one if None)."""
    if unit is None:
        return next(iter(variable.conversions.values()))
    if unit not in variable.conversions:
        known = ", ".join(variable.conversions)
        raise WeatherForecastError(f"{variable.name} came in {unit}; expected one of: {known}.")
    return variable.conversions[unit]


def save_raw_response(
    response: dict[str, Any], folder: Path, latitude: float, longitude: float, moment: datetime
) -> Path:
    """Write the answer as a JSON file in the folder (created if missing); return its path,
    e.g. ``<folder>/weather-forecast_33.4366,126.5269_2021-01-01T12-00-00Z.json``."""
    folder.mkdir(parents=True, exist_ok=True)
    stamp = moment.astimezone(UTC).strftime("%Y-%m-%dT%H-%M-%SZ")
    path = folder / f"weather-forecast_{latitude},{longitude}_{stamp}.json"
    path.write_text(json.dumps(response, indent=2, ensure_ascii=False), encoding="utf-8")
    return path


def store_weather_forecasts(
    response: dict[str, Any],
    latitude: float,
    longitude: float,
    requested_at: datetime,
    region: str | None = None,
) -> dict[str, tuple[WeatherSensor, int]]:
    """Save the answer's forecasts as beliefs (see the module doc), overwriting those of the
    same request. Returns per weather sensor type the sensor and the number of beliefs
    saved. New sensors are named after the type and location (and the region, if given).
    Does not commit."""
    source_id = provider_source().id
    stored = {}
    for type_name, values in forecast_series(response).items():
        sensor = sensor_near(type_name, latitude, longitude, region)
        beliefs = forecast_beliefs(sensor, values, requested_at, source_id)
        saved = save_beliefs(beliefs, on_conflict="overwrite") if len(beliefs) else 0
        stored[type_name] = (sensor, saved)
    return stored


def forecast_beliefs(
    sensor: WeatherSensor, values: pd.Series, requested_at: datetime, source_id: int
) -> pd.DataFrame:
    """Hourly values as beliefs of a sensor (resampled to its resolution) made at
    ``requested_at``, without events that had ended by then."""
    resolution = pd.Timedelta(sensor.event_resolution)
    if values.empty:
        return pd.DataFrame()
    start, end = values.index[0].floor(resolution), values.index[-1] + HOUR
    resampled = resample_events(values, HOUR, resolution, start, end).dropna()
    horizons = resampled.index + resolution - pd.Timestamp(requested_at).tz_convert("UTC")
    ahead = horizons > pd.Timedelta(0)
    return pd.DataFrame(
        {
            "sensor_id": sensor.id,
            "event_start": resampled.index[ahead],
            "belief_horizon": horizons[ahead],
            "source_id": source_id,
            "event_value": resampled.to_numpy()[ahead],
        }
    )


def sensor_near(
    type_name: str, latitude: float, longitude: float, region: str | None = None
) -> WeatherSensor:
    """The sensor of this type within NEARBY_KM of the location, or a new hourly one there."""
    sensor = find_weather_sensor(type_name, latitude, longitude, NEARBY_KM)
    if sensor is not None:
        return sensor
    where = f"{region} ({latitude}, {longitude})" if region else f"{latitude}, {longitude}"
    return create_weather_sensor(
        name=f"{type_name} at {where}",
        display_name=f"{type_name.replace('_', ' ')} at {where}",
        weather_sensor_type_name=type_name,
        event_resolution=HOUR,
        latitude=latitude,
        longitude=longitude,
    )


def provider_source() -> DataSource:
    """The data source of the forecast provider (created on first use)."""
    query = select(DataSource).filter_by(user_id=None, **FORECAST_PROVIDER).order_by(DataSource.id)
    source = db.session.scalars(query).first()
    if source is None:
        source = DataSource(**FORECAST_PROVIDER)
        db.session.add(source)
        db.session.flush()
    return source
