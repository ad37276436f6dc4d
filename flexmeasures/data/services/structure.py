"""The standard structure: asset types, market types, weather sensor types, a script data
source and the quickstart's dummy day-ahead market (``epex_da``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import Table, delete, select

from flexmeasures.data import db
from flexmeasures.data.models import (
    Asset,
    AssetType,
    DataSource,
    Market,
    MarketType,
    Role,
    Sensor,
    TimedBelief,
    User,
    WeatherSensor,
    WeatherSensorType,
)
from flexmeasures.data.models.user import roles_users

_DAILY_WEEKLY_YEARLY = dict(
    daily_seasonality=True, weekly_seasonality=True, yearly_seasonality=True
)
_DAILY_YEARLY = dict(daily_seasonality=True, weekly_seasonality=False, yearly_seasonality=True)

ASSET_TYPES: dict[str, dict[str, Any]] = {
    "solar": dict(display_name="solar panel", is_producer=True, can_curtail=True, **_DAILY_YEARLY),
    "wind": dict(display_name="wind turbine", is_producer=True, can_curtail=True, **_DAILY_YEARLY),
    "charging_station": dict(
        display_name="Charging station (uni-directional)",
        is_consumer=True,
        can_shift=True,
        **_DAILY_WEEKLY_YEARLY,
    ),
    "bidirectional_charging_station": dict(
        display_name="Charging station (bi-directional)",
        is_consumer=True,
        is_producer=True,
        can_shift=True,
        **_DAILY_WEEKLY_YEARLY,
    ),
    "battery": dict(
        display_name="stationary battery",
        is_consumer=True,
        is_producer=True,
        can_curtail=True,
        can_shift=True,
        **_DAILY_WEEKLY_YEARLY,
    ),
    "building": dict(
        display_name="building", is_consumer=True, can_shift=True, **_DAILY_WEEKLY_YEARLY
    ),
    "one-way_evse": dict(
        display_name="one-way EVSE",
        is_consumer=True,
        can_shift=True,
        **_DAILY_WEEKLY_YEARLY,
    ),
    "two-way_evse": dict(
        display_name="two-way EVSE",
        is_consumer=True,
        is_producer=True,
        can_shift=True,
        **_DAILY_WEEKLY_YEARLY,
    ),
}

MARKET_TYPES: dict[str, dict[str, Any]] = {
    "day_ahead": dict(display_name="day-ahead market", **_DAILY_WEEKLY_YEARLY),
    "tou_tariff": dict(display_name="time-of-use tariff", **_DAILY_WEEKLY_YEARLY),
}

# name → (display name, unit)
WEATHER_SENSOR_TYPES: dict[str, tuple[str, str]] = {
    "temperature": ("ambient temperature", "°C"),
    "wind_speed": ("wind speed", "m/s"),
    "radiation": ("solar irradiation", "kW/m²"),
}

SCRIPT_SOURCE_NAME = "Seita"
DUMMY_MARKET = dict(
    name="epex_da",
    display_name="EPEX SPOT day-ahead market",
    market_type_name="day_ahead",
    unit="EUR/MWh",
    event_resolution=timedelta(hours=1),
    timezone="Europe/Amsterdam",
)


def add_default_structure() -> dict[str, int]:
    """Add whatever of the standard structure is missing; return how many rows were added.

    Idempotent: running it twice adds nothing the second time. Does not commit.
    """
    added = {
        "asset types": _add_missing(AssetType, ASSET_TYPES),
        "market types": _add_missing(MarketType, MARKET_TYPES),
        "weather sensor types": _add_missing(
            WeatherSensorType,
            {n: dict(display_name=d) for n, (d, _) in WEATHER_SENSOR_TYPES.items()},
        ),
        "data sources": _add_script_source(),
    }
    db.session.flush()
    added["markets"] = _add_dummy_market()
    return added


def _add_missing(model: type, rows: dict[str, dict[str, Any]]) -> int:
    """Add rows (keyed by primary-key name) that are not in the table yet."""
    existing = set(db.session.scalars(select(model.name)))
    new = [model(name=name, **fields) for name, fields in rows.items() if name not in existing]
    db.session.add_all(new)
    return len(new)


def _add_script_source() -> int:
    """Add the data source for beliefs written by scripts (e.g. CLI imports)."""
    query = select(DataSource).filter_by(name=SCRIPT_SOURCE_NAME, type="script")
    if db.session.scalar(query) is not None:
        return 0
    db.session.add(DataSource(name=SCRIPT_SOURCE_NAME, type="script"))
    return 1


def _add_dummy_market() -> int:
    """Add the quickstart's day-ahead market ``epex_da`` (EUR/MWh) if there is none."""
    if db.session.scalar(select(Market).filter_by(name=DUMMY_MARKET["name"])) is not None:
        return 0
    db.session.add(Market(**DUMMY_MARKET))
    return 1


def weather_sensor_unit(type_name: str) -> str:
    """The unit of values of a weather sensor type (°C, m/s or kW/m²)."""
    return WEATHER_SENSOR_TYPES[type_name][1]


def _structural_tables() -> dict[str, Table]:
    """The tables ``delete_structure`` empties, children before their parents."""
    return {
        "beliefs": TimedBelief.__table__,
        "assets": Asset.__table__,
        "markets": Market.__table__,
        "weather sensors": WeatherSensor.__table__,
        "sensors": Sensor.__table__,
        "asset types": AssetType.__table__,
        "market types": MarketType.__table__,
        "weather sensor types": WeatherSensorType.__table__,
        "data sources": DataSource.__table__,
        "role assignments": roles_users,
        "users": User.__table__,
        "roles": Role.__table__,
    }


def delete_structure() -> dict[str, int]:
    """Delete all structural data (assets, markets, weather sensors and their types, data
    sources, users and roles) and thereby every belief; return how many rows per kind.

    "sensors" counts all sensors, including the assets, markets and weather sensors (they
    share the sensor table). One SQL DELETE per table, children first, so no database
    cascades are needed. Does not commit.
    """
    return {
        kind: db.session.execute(delete(table)).rowcount
        for kind, table in _structural_tables().items()
    }
