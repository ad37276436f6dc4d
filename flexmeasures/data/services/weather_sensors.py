"""Finding weather sensors by location: the sensor of a type nearest to a point.

Used by the API (to name the nearest sensor when data for a location without one is
refused), by forecasting jobs
(weather forecasts near an asset are its regressors) and by the weather forecast import.
"""

from __future__ import annotations

from math import asin, cos, radians, sin, sqrt

from sqlalchemy import select

from flexmeasures.data import db
from flexmeasures.data.models import WeatherSensor

EARTH_RADIUS_KM = 6371.0


def find_weather_sensor(
    type_name: str, latitude: float, longitude: float, max_distance_km: float | None = None
) -> WeatherSensor | None:
    """The sensor of this type at, or else nearest to, a location (decimal degrees).

    None if the type has no sensors, or none within ``max_distance_km`` (km) when given.
    Distance is the great-circle distance, computed for the type's sensors in Python:
    weather sensors are few, and this works on every database.
    """
    sensors = db.session.scalars(
        select(WeatherSensor).filter_by(weather_sensor_type_name=type_name)
    ).all()
    if not sensors:
        return None
    nearest = min(sensors, key=lambda s: distance_km(latitude, longitude, s.latitude, s.longitude))
    if max_distance_km is not None:
        if distance_km(latitude, longitude, nearest.latitude, nearest.longitude) > max_distance_km:
            return None
    return nearest


def distance_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance between two points (decimal degrees) in km (haversine)."""
    d_lat, d_lng = radians(lat2 - lat1), radians(lng2 - lng1)
    a = sin(d_lat / 2) ** 2 + cos(radians(lat1)) * cos(radians(lat2)) * sin(d_lng / 2) ** 2
    return 2 * EARTH_RADIUS_KM * asin(sqrt(a))
