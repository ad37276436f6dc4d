"""Weather data: temperature (°C), wind speed (m/s) and radiation (kW/m²) at locations.

Sensors are addressed by type, latitude and longitude. Data for a location without a
sensor of that type goes to the nearest sensor of the type (the response says which); in
play mode, a new sensor is created at the location instead.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app

from flexmeasures.api.common.entities import parse_weather_sensor_address
from flexmeasures.api.common.implementations.timeseries import post_time_series
from flexmeasures.api.common.messages import MessageError, SeriesGroup
from flexmeasures.api.common.responses import ResponseTuple
from flexmeasures.data import db
from flexmeasures.data.models import WeatherSensor, WeatherSensorType
from flexmeasures.data.services.structure import WEATHER_SENSOR_TYPES
from flexmeasures.data.services.weather_sensors import find_weather_sensor
from flexmeasures.modes import creates_weather_sensor_on_post


def check_weather_unit(type_name: str, unit: Any) -> None:
    """Raise INVALID_UNIT unless the unit is the one of the weather sensor type."""
    expected = WEATHER_SENSOR_TYPES.get(type_name, (None, None))[1]
    if expected is not None and unit != expected:
        readable = type_name.replace("_", " ")
        raise MessageError("INVALID_UNIT", f"Data for {readable} should be given in {expected}.")


def resolve_weather_sensor(
    address: str, group: SeriesGroup, notes: list[str] | None = None
) -> WeatherSensor:
    """The sensor at the addressed location (see the module doc for other locations).

    When the data goes to the nearest sensor elsewhere, a sentence saying so is added to
    ``notes``.
    """
    parsed = parse_weather_sensor_address(address)
    type_name, lat, lng = (
        parsed["weather_sensor_type_name"],
        parsed["latitude"],
        parsed["longitude"],
    )
    if db.session.get(WeatherSensorType, type_name) is None:
        known = ", ".join(WEATHER_SENSOR_TYPES)
        raise MessageError(
            "UNRECOGNIZED_SENSOR", f"Unknown weather sensor type '{type_name}'; use: {known}."
        )
    check_weather_unit(type_name, group.unit)
    sensor = find_weather_sensor(type_name, lat, lng)
    at_location = sensor is not None and (sensor.latitude, sensor.longitude) == (lat, lng)
    if creates_weather_sensor_on_post(current_app.config) and not at_location:
        return _create_sensor(type_name, lat, lng, group)
    if sensor is None:
        raise MessageError(
            "UNRECOGNIZED_SENSOR",
            f"No {type_name} sensor is known at this location. In fact, we can't find any "
            f"{type_name} sensors.",
        )
    if not at_location and notes is not None:
        notes.append(
            f"No {type_name} sensor is known at latitude {lat} and longitude {lng}; the data "
            f"went to the nearest one, {sensor.name}, at latitude {sensor.latitude} and "
            f"longitude {sensor.longitude}."
        )
    return sensor


def _create_sensor(type_name: str, lat: float, lng: float, group: SeriesGroup) -> WeatherSensor:
    """Create a weather sensor at a location (play mode), at the posted resolution."""
    sensor = WeatherSensor(
        name=f"{type_name} at {lat}, {lng}",
        display_name=f"{type_name.replace('_', ' ')} at {lat}, {lng}",
        weather_sensor_type_name=type_name,
        latitude=lat,
        longitude=lng,
        unit=WEATHER_SENSOR_TYPES[type_name][1],
        event_resolution=min(group.resolution, timedelta(hours=1)),
    )
    db.session.add(sensor)
    db.session.flush()
    return sensor


def post_weather_data(version, message: dict[str, Any]) -> ResponseTuple:
    """Store weather observations or forecasts for one or more sensors.

    The response message names the sensor that took the data of a location without one.
    """
    notes: list[str] = []
    body, status = post_time_series(
        version,
        message,
        "sensor",
        lambda address, group: resolve_weather_sensor(address, group, notes),
    )
    if status == 200 and notes:
        body["message"] = " ".join([body["message"], *dict.fromkeys(notes)])
    return body, status
