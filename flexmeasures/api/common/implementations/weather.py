"""Weather data: temperature (°C), wind speed (m/s) and radiation (kW/m²) at locations.

Sensors are addressed by type, latitude and longitude. Data for a location without a
sensor of that type is refused (UNRECOGNIZED_SENSOR, naming the nearest sensor of the type,
and nothing of the request is stored); in play mode, a new sensor is created at the
location instead.
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
from flexmeasures.data.physical_limits import weather_below_minimum
from flexmeasures.data.services.structure import WEATHER_SENSOR_TYPES
from flexmeasures.data.services.weather_sensors import distance_km, find_weather_sensor
from flexmeasures.modes import creates_weather_sensor_on_post


def check_weather_unit(type_name: str, unit: Any) -> None:
    """Raise INVALID_UNIT unless the unit is the one of the weather sensor type."""
    expected = WEATHER_SENSOR_TYPES.get(type_name, (None, None))[1]
    if expected is not None and unit != expected:
        readable = type_name.replace("_", " ")
        raise MessageError("INVALID_UNIT", f"Data for {readable} should be given in {expected}.")


def check_weather_values(type_name: str, group: SeriesGroup) -> None:
    """Raise INVALID_REQUEST for physically impossible values (temperatures below absolute
    zero, negative wind speeds), naming the limit."""
    problem = weather_below_minimum(type_name, group.values, str(group.unit))
    if problem is not None:
        raise MessageError("INVALID_REQUEST", problem)


def resolve_weather_sensor(address: str, group: SeriesGroup) -> WeatherSensor:
    """The sensor of the addressed type at the addressed location (see the module doc).

    UNRECOGNIZED_SENSOR if there is none there (outside play mode), naming the nearest
    sensor of the type, whose address the client may use instead.
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
    check_weather_values(type_name, group)
    sensor = find_weather_sensor(type_name, lat, lng)
    if sensor is not None and (sensor.latitude, sensor.longitude) == (lat, lng):
        return sensor
    if creates_weather_sensor_on_post(current_app.config):
        return _create_sensor(type_name, lat, lng, group)
    raise MessageError("UNRECOGNIZED_SENSOR", _no_sensor_here(address, parsed, sensor))


def _no_sensor_here(address: str, parsed: dict[str, Any], nearest: WeatherSensor | None) -> str:
    """Why no sensor takes data at the addressed location, naming the nearest one (if any)
    with the address to use for it (the client's own notation, with its location)."""
    type_name, lat, lng = (
        parsed["weather_sensor_type_name"],
        parsed["latitude"],
        parsed["longitude"],
    )
    if nearest is None:
        return (
            f"No {type_name} sensor is known at this location. In fact, we can't find any "
            f"{type_name} sensors."
        )
    here = f"No {type_name} sensor is known at latitude {lat} and longitude {lng}"
    distance = distance_km(lat, lng, nearest.latitude, nearest.longitude)
    parts = address.strip().rsplit(":", 3)
    prefix = f"{parts[0]}:" if len(parts) == 4 else ""
    return (
        f"{here}; nothing was stored. The nearest one is {nearest.name}, {distance:,.0f} km "
        f"away: to post data there, address it as "
        f"{prefix}{type_name}:{nearest.latitude}:{nearest.longitude}."
    )


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
    """Store weather observations or forecasts for one or more sensors."""
    return post_time_series(version, message, "sensor", resolve_weather_sensor)
