"""Creating assets, weather sensors and markets from user input, with clear errors.

Shared by the CLI (``flexmeasures add ...``) and the API (``POST /api/v2_0/assets``). Each
function validates everything first and raises ``InvalidAssetError`` (a ValueError) with a
message saying what to change, naming the valid choices where there are any. Nothing is
committed: the caller commits once (or rolls back) for the whole command or request.
"""

from __future__ import annotations

import math
import re
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app
from sqlalchemy import select

from flexmeasures.data import db
from flexmeasures.data.models import (
    Asset,
    AssetType,
    Market,
    MarketType,
    User,
    WeatherSensor,
    WeatherSensorType,
)
from flexmeasures.data.services.structure import DUMMY_MARKET, WEATHER_SENSOR_TYPES

ASSET_UNITS = ("MW", "kW")
MAX_NAME_LENGTH = 80
# Market names appear in entity addresses (ea1.<date>.<host>:<market name>).
MARKET_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")


class InvalidAssetError(ValueError):
    """Input cannot make a valid asset, weather sensor or market; the message says why."""


def create_asset(
    *,
    name: str,
    asset_type_name: str,
    capacity_in_mw: float,
    event_resolution: timedelta | int,
    latitude: float,
    longitude: float,
    owner_id: int,
    market_id: int | None = None,
    display_name: str | None = None,
    unit: str = "MW",
    min_soc_in_mwh: float | None = None,
    max_soc_in_mwh: float | None = None,
    timezone: str | None = None,
) -> Asset:
    """Create an asset owned by a user; its power values will be in ``unit`` (MW or kW).

    ``capacity_in_mw`` in MW, ``event_resolution`` a timedelta or a number of minutes,
    latitude and longitude in decimal degrees, state-of-charge limits in MWh. Without
    ``market_id`` the asset gets the dummy market ``epex_da`` if it exists. ``timezone``
    defaults to FLEXMEASURES_TIMEZONE. Raises InvalidAssetError; does not commit.
    """
    name = _valid_name(name, "asset")
    asset_type = _existing_type(AssetType, asset_type_name, "asset type")
    owner = _existing_owner(owner_id)
    if db.session.scalar(select(Asset).filter_by(owner_id=owner.id, name=name)) is not None:
        raise InvalidAssetError(f"User {owner.id} already owns an asset named '{name}'.")
    if unit not in ASSET_UNITS:
        raise InvalidAssetError(
            f"Unknown asset unit '{unit}'; choose from: {', '.join(ASSET_UNITS)}."
        )
    _check_non_negative(capacity_in_mw=capacity_in_mw)
    _check_soc_limits(min_soc_in_mwh, max_soc_in_mwh)
    asset = Asset(
        name=name,
        display_name=display_name or name,
        asset_type=asset_type,
        capacity_in_mw=capacity_in_mw,
        min_soc_in_mwh=min_soc_in_mwh,
        max_soc_in_mwh=max_soc_in_mwh,
        latitude=check_latitude(latitude),
        longitude=check_longitude(longitude),
        owner=owner,
        market=_market_or_default(market_id),
        unit=unit,
        event_resolution=check_event_resolution(event_resolution),
        timezone=check_timezone(timezone),
    )
    db.session.add(asset)
    db.session.flush()
    return asset


def create_weather_sensor(
    *,
    name: str,
    weather_sensor_type_name: str,
    event_resolution: timedelta | int,
    latitude: float,
    longitude: float,
    unit: str | None = None,
    display_name: str | None = None,
    timezone: str | None = None,
) -> WeatherSensor:
    """Create a weather sensor of a type at a location (decimal degrees).

    ``unit`` must be the type's unit (°C for temperature, m/s for wind_speed, kW/m² for
    radiation) and defaults to it. ``event_resolution`` is a timedelta or a number of minutes.
    There can be one sensor per type and location. Raises InvalidAssetError; does not commit.
    """
    name = _valid_name(name, "weather sensor")
    sensor_type = _existing_type(WeatherSensorType, weather_sensor_type_name, "weather sensor type")
    unit = _weather_sensor_unit(sensor_type.name, unit)
    latitude, longitude = check_latitude(latitude), check_longitude(longitude)
    if db.session.scalar(select(WeatherSensor).filter_by(name=name)) is not None:
        raise InvalidAssetError(f"A weather sensor named '{name}' already exists.")
    twin = db.session.scalar(
        select(WeatherSensor).filter_by(
            weather_sensor_type_name=sensor_type.name, latitude=latitude, longitude=longitude
        )
    )
    if twin is not None:
        raise InvalidAssetError(
            f"A {sensor_type.name} sensor at latitude {latitude}, longitude {longitude} "
            f"already exists: '{twin.name}' (id {twin.id})."
        )
    sensor = WeatherSensor(
        name=name,
        display_name=display_name or name,
        sensor_type=sensor_type,
        latitude=latitude,
        longitude=longitude,
        unit=unit,
        event_resolution=check_event_resolution(event_resolution),
        timezone=check_timezone(timezone),
    )
    db.session.add(sensor)
    db.session.flush()
    return sensor


def create_market(
    *,
    name: str,
    market_type_name: str,
    unit: str,
    event_resolution: timedelta | int = timedelta(hours=1),
    display_name: str | None = None,
    timezone: str | None = None,
) -> Market:
    """Create a market whose prices come in ``unit`` (e.g. EUR/MWh).

    The name must be unique and usable in an entity address (a letter, then letters, digits,
    ``_`` or ``-``). ``event_resolution`` is a timedelta or a number of minutes (default one
    hour). Raises InvalidAssetError; does not commit.
    """
    name = _valid_name(name, "market")
    if not MARKET_NAME.fullmatch(name):
        raise InvalidAssetError(
            f"Invalid market name '{name}': market names appear in entity addresses, so they "
            "start with a letter and contain only letters, digits, '_' and '-'."
        )
    market_type = _existing_type(MarketType, market_type_name, "market type")
    if db.session.scalar(select(Market).filter_by(name=name)) is not None:
        raise InvalidAssetError(f"A market named '{name}' already exists.")
    unit = (unit or "").strip()
    if not unit or len(unit) > MAX_NAME_LENGTH:
        raise InvalidAssetError("A market needs a unit for its prices, e.g. EUR/MWh.")
    market = Market(
        name=name,
        display_name=display_name or name,
        market_type=market_type,
        unit=unit,
        event_resolution=check_event_resolution(event_resolution),
        timezone=check_timezone(timezone),
    )
    db.session.add(market)
    db.session.flush()
    return market


def is_storage(asset_type: AssetType) -> bool:
    """True for types that store energy (both consume and produce, and can shift)."""
    return asset_type.is_consumer and asset_type.is_producer and asset_type.can_shift


def check_latitude(latitude: float) -> float:
    """Return the latitude (decimal degrees) if it lies in [-90, 90]."""
    if not -90 <= latitude <= 90:
        raise InvalidAssetError(f"Latitude {latitude} is out of range: it must be in [-90, 90].")
    return latitude


def check_longitude(longitude: float) -> float:
    """Return the longitude (decimal degrees) if it lies in [-180, 180]."""
    if not -180 <= longitude <= 180:
        raise InvalidAssetError(
            f"Longitude {longitude} is out of range: it must be in [-180, 180]."
        )
    return longitude


def check_event_resolution(event_resolution: timedelta | int) -> timedelta:
    """Return the event resolution as a timedelta; numbers are minutes. It must be positive."""
    if not isinstance(event_resolution, timedelta):
        event_resolution = timedelta(minutes=event_resolution)
    if event_resolution <= timedelta(0):
        raise InvalidAssetError("The event resolution must be a positive number of minutes.")
    return event_resolution


def check_timezone(timezone: str | None) -> str:
    """Return the IANA time zone name, or FLEXMEASURES_TIMEZONE when none is given."""
    timezone = timezone or current_app.config["FLEXMEASURES_TIMEZONE"]
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidAssetError(
            f"Unknown time zone '{timezone}'; use an IANA name like Europe/Amsterdam."
        ) from exc
    return timezone


def _valid_name(name: str, kind: str) -> str:
    """Return the stripped name, or say why it cannot be one."""
    name = (name or "").strip()
    if not name:
        raise InvalidAssetError(f"The {kind} needs a name.")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidAssetError(
            f"The {kind} name is too long (at most {MAX_NAME_LENGTH} characters)."
        )
    return name


def _existing_type(model: type[Any], type_name: str, kind: str) -> Any:
    """Return the type with this name, or raise an error listing the existing ones."""
    found = db.session.get(model, type_name)
    if found is not None:
        return found
    names = list(db.session.scalars(select(model.name).order_by(model.name)))
    if not names:
        raise InvalidAssetError(
            f"Unknown {kind} '{type_name}': there are none yet "
            "(add the standard ones with `flexmeasures add structure`)."
        )
    raise InvalidAssetError(f"Unknown {kind} '{type_name}'; choose from: {', '.join(names)}.")


def _existing_owner(owner_id: int) -> User:
    """Return the user with this id, or say there is none."""
    owner = db.session.get(User, owner_id)
    if owner is None:
        raise InvalidAssetError(f"There is no user with id {owner_id}.")
    return owner


def _market_or_default(market_id: int | None) -> Market | None:
    """Return the market with this id, or the dummy market when no id is given."""
    if market_id is None:
        return db.session.scalar(select(Market).filter_by(name=DUMMY_MARKET["name"]))
    market = db.session.get(Market, market_id)
    if market is not None:
        return market
    markets = db.session.execute(select(Market.id, Market.name).order_by(Market.id)).all()
    if not markets:
        raise InvalidAssetError(
            f"There is no market with id {market_id}; there are no markets yet."
        )
    choices = ", ".join(f"{id_} ({name})" for id_, name in markets)
    raise InvalidAssetError(f"There is no market with id {market_id}; choose from: {choices}.")


def _check_non_negative(**values: float | None) -> None:
    """Say which of the named values is negative (or not a finite number), if any."""
    for field, value in values.items():
        if value is not None and not (math.isfinite(value) and value >= 0):
            raise InvalidAssetError(f"{field} must be a non-negative number (got {value}).")


def _check_soc_limits(min_soc_in_mwh: float | None, max_soc_in_mwh: float | None) -> None:
    """State-of-charge limits (MWh) are non-negative, with the minimum at most the maximum."""
    _check_non_negative(min_soc_in_mwh=min_soc_in_mwh, max_soc_in_mwh=max_soc_in_mwh)
    if None not in (min_soc_in_mwh, max_soc_in_mwh) and min_soc_in_mwh > max_soc_in_mwh:
        raise InvalidAssetError(
            f"min_soc_in_mwh ({min_soc_in_mwh}) must not exceed max_soc_in_mwh ({max_soc_in_mwh})."
        )


def _weather_sensor_unit(type_name: str, unit: str | None) -> str:
    """Return the unit for a sensor of this type; a standard type's unit is fixed."""
    expected = WEATHER_SENSOR_TYPES.get(type_name, (None, None))[1]
    if not unit:
        if expected is None:
            raise InvalidAssetError(f"Say in which unit {type_name} values come.")
        return expected
    if expected is not None and unit != expected:
        raise InvalidAssetError(
            f"Unit '{unit}' does not fit weather sensor type {type_name}: its unit is {expected}."
        )
    return unit
