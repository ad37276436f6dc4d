"""Small factories for test data, with sensible defaults (through the data services, so
tests build data the way the CLI and API do)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flexmeasures.data.models import Asset, User, WeatherSensor
from flexmeasures.data.services.assets import create_asset, create_weather_sensor

QUARTER_HOUR = timedelta(minutes=15)


def make_asset(
    owner: User, name: str = "battery", asset_type_name: str = "battery", **fields: Any
) -> Asset:
    """An asset of ``owner`` (2 MW at 52°N 4°E, 15-minute resolution unless given)."""
    defaults: dict[str, Any] = dict(
        capacity_in_mw=2, latitude=52, longitude=4, event_resolution=QUARTER_HOUR
    )
    if asset_type_name == "battery":
        defaults.update(min_soc_in_mwh=0, max_soc_in_mwh=5)
    return create_asset(
        name=name, asset_type_name=asset_type_name, owner_id=owner.id, **{**defaults, **fields}
    )


def make_temperature_sensor(
    latitude: float = 33.4843866, longitude: float = 126.477859, name: str = "temperature Jeju"
) -> WeatherSensor:
    """A temperature sensor (°C, 15-minute resolution) at a location (default: Jeju)."""
    return create_weather_sensor(
        name=name,
        weather_sensor_type_name="temperature",
        event_resolution=QUARTER_HOUR,
        latitude=latitude,
        longitude=longitude,
    )
