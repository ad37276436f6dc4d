"""Creating assets, weather sensors and markets from user input, with clear errors.

Shared by the CLI (``flexmeasures add ...``) and the API (``POST /api/v2_0/assets``). Each
function validates everything first and raises ``InvalidAssetError`` (a ValueError) with a
message saying what to change, naming the valid choices where there are any. Nothing is
committed: the caller commits once (or rolls back) for the whole command or request.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app
from sqlalchemy import delete, exists, select

from flexmeasures.data import db
from flexmeasures.data.models import (
    Asset,
    AssetType,
    Market,
    MarketType,
    TimedBelief,
    User,
    WeatherSensor,
    WeatherSensorType,
)
from flexmeasures.data.physical_limits import (
    EVENT_RESOLUTION_LIMITS,
    event_resolution_out_of_range,
)
from flexmeasures.data.services.structure import DUMMY_MARKET, WEATHER_SENSOR_TYPES

ASSET_UNITS = ("MW", "kW")
MAX_NAME_LENGTH = 80
# Market names appear in entity addresses (ea1.<date>.<host>:<market name>).
MARKET_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")


class InvalidAssetError(ValueError):
    """Input cannot make a valid asset, weather sensor or market; the message says why.

    ``field`` names the parameter at fault (e.g. ``latitude``), if it is one parameter.
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


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
    asset_type = _existing_type(AssetType, asset_type_name, "asset type", "asset_type_name")
    owner = _existing_owner(owner_id)
    _check_name_is_free(name, owner.id)
    _check_asset_unit(unit)
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
    sensor_type = _existing_type(
        WeatherSensorType,
        weather_sensor_type_name,
        "weather sensor type",
        "weather_sensor_type_name",
    )
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
    market_type = _existing_type(MarketType, market_type_name, "market type", "market_type_name")
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


def update_asset(asset: Asset, **changes: Any) -> Asset:
    """Change some fields of an asset; the others stay as they are.

    Fields and units are those of ``create_asset``: name, display_name, asset_type_name,
    owner_id, market_id (None: no market), unit (MW or kW), event_resolution (a timedelta
    or minutes), capacity_in_mw (MW), latitude and longitude (decimal degrees),
    min_soc_in_mwh, max_soc_in_mwh and soc_in_mwh (MWh), soc_datetime (timezone-aware),
    soc_udi_event_id and timezone. Each value is checked as ``create_asset`` checks it, and
    the result as a whole: the name is free for the (new) owner, the state-of-charge limits
    are in order, and unit and event resolution only change while the asset has no data
    (its beliefs would be misread). Raises InvalidAssetError (with ``field``) and changes
    nothing then. Does not commit.
    """
    unknown = sorted(set(changes) - set(ASSET_FIELD_CHECKS))
    if unknown:
        raise InvalidAssetError(f"Unknown asset field(s): {', '.join(unknown)}.", unknown[0])
    values = {field: ASSET_FIELD_CHECKS[field](value) for field, value in changes.items()}
    _check_updated_asset(asset, values)
    for field, value in values.items():
        setattr(asset, field, value)
    db.session.flush()
    # Foreign keys were set directly; reload the related objects when next used.
    db.session.expire(asset, ["asset_type", "owner", "market"])
    return asset


def delete_asset(asset: Asset) -> int:
    """Delete an asset with all its beliefs (measurements, forecasts, schedules).

    Returns how many beliefs were deleted. Explicit deletes, so no database cascades are
    needed. Does not commit.
    """
    beliefs = db.session.execute(
        delete(TimedBelief).where(TimedBelief.sensor_id == asset.id),
        execution_options={"synchronize_session": False},
    ).rowcount
    db.session.delete(asset)
    db.session.flush()
    return beliefs


def has_beliefs(sensor_id: int) -> bool:
    """True if any belief about this sensor (asset, market, weather sensor) is stored."""
    return bool(db.session.scalar(select(exists().where(TimedBelief.sensor_id == sensor_id))))


def _check_updated_asset(asset: Asset, values: dict[str, Any]) -> None:
    """Check the asset as it would be with these (individually checked) new values."""
    if "name" in values or "owner_id" in values:
        _check_name_is_free(
            values.get("name", asset.name), values.get("owner_id", asset.owner_id), asset.id
        )
    _check_soc_limits(
        values.get("min_soc_in_mwh", asset.min_soc_in_mwh),
        values.get("max_soc_in_mwh", asset.max_soc_in_mwh),
    )
    for field in ("unit", "event_resolution"):
        if field in values and values[field] != getattr(asset, field) and has_beliefs(asset.id):
            raise InvalidAssetError(
                f"The {field} of asset {asset.id} cannot change while it has data (its values "
                "would be misread); delete its data first.",
                field,
            )


def _required(field: str, check: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A check that refuses an empty value for this field before applying ``check``."""

    def checked(value: Any) -> Any:
        if value is None:
            raise InvalidAssetError(f"{field} cannot be empty.", field)
        return check(value)

    return checked


def _non_negative(field: str) -> Callable[[float | None], float | None]:
    """A check that the field's value is a non-negative number (or None)."""

    def checked(value: float | None) -> float | None:
        _check_non_negative(**{field: value})
        return value

    return checked


def _display_name(display_name: str | None) -> str:
    """The stripped display name; it may be empty, but not too long."""
    display_name = (display_name or "").strip()
    if len(display_name) > MAX_NAME_LENGTH:
        raise InvalidAssetError(
            f"The display name is too long (at most {MAX_NAME_LENGTH} characters).",
            "display_name",
        )
    return display_name


def _aware(soc_datetime: datetime | None) -> datetime | None:
    """The state-of-charge time in UTC, if it is timezone-aware (or None)."""
    if soc_datetime is None:
        return None
    if soc_datetime.tzinfo is None:
        raise InvalidAssetError(f"{soc_datetime} has no time zone; add one.", "soc_datetime")
    return soc_datetime.astimezone(UTC)


def _checked_unit(unit: str) -> str:
    """The unit of an asset's power values, if it is a valid one."""
    _check_asset_unit(unit)
    return unit


def is_storage(asset_type: AssetType) -> bool:
    """True for types that store energy (both consume and produce, and can shift)."""
    return asset_type.is_consumer and asset_type.is_producer and asset_type.can_shift


def check_latitude(latitude: float) -> float:
    """Return the latitude (decimal degrees) if it lies in [-90, 90]."""
    if not -90 <= latitude <= 90:
        raise InvalidAssetError(
            f"Latitude {latitude} is out of range: it must be in [-90, 90].", "latitude"
        )
    return latitude


def check_longitude(longitude: float) -> float:
    """Return the longitude (decimal degrees) if it lies in [-180, 180]."""
    if not -180 <= longitude <= 180:
        raise InvalidAssetError(
            f"Longitude {longitude} is out of range: it must be in [-180, 180].", "longitude"
        )
    return longitude


def check_event_resolution(event_resolution: timedelta | int) -> timedelta:
    """Return the event resolution as a timedelta; numbers are minutes. It must lie between
    MIN_EVENT_RESOLUTION and MAX_EVENT_RESOLUTION (see ``flexmeasures.data.physical_limits``).
    """
    if not isinstance(event_resolution, timedelta):
        # Clamped just beyond the limits, so that huge numbers are refused, not overflow.
        lowest, highest = (limit // timedelta(minutes=1) for limit in EVENT_RESOLUTION_LIMITS)
        event_resolution = timedelta(minutes=min(max(event_resolution, lowest - 1), highest + 1))
    problem = event_resolution_out_of_range(event_resolution)
    if problem is not None:
        raise InvalidAssetError(problem, "event_resolution")
    return event_resolution


def check_timezone(timezone: str | None) -> str:
    """Return the IANA time zone name, or FLEXMEASURES_TIMEZONE when none is given."""
    timezone = timezone or current_app.config["FLEXMEASURES_TIMEZONE"]
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidAssetError(
            f"Unknown time zone '{timezone}'; use an IANA name like Europe/Amsterdam.", "timezone"
        ) from exc
    return timezone


def _valid_name(name: str, kind: str) -> str:
    """Return the stripped name, or say why it cannot be one."""
    name = (name or "").strip()
    if not name:
        raise InvalidAssetError(f"The {kind} needs a name.", "name")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidAssetError(
            f"The {kind} name is too long (at most {MAX_NAME_LENGTH} characters).", "name"
        )
    return name


def _existing_type(model: type[Any], type_name: str, kind: str, field: str) -> Any:
    """Return the type with this name, or raise an error (about ``field``) listing the
    existing ones."""
    found = db.session.get(model, type_name)
    if found is not None:
        return found
    names = list(db.session.scalars(select(model.name).order_by(model.name)))
    if not names:
        raise InvalidAssetError(
            f"Unknown {kind} '{type_name}': there are none yet "
            "(add the standard ones with `flexmeasures add structure`).",
            field,
        )
    raise InvalidAssetError(
        f"Unknown {kind} '{type_name}'; choose from: {', '.join(names)}.", field
    )


def _existing_owner(owner_id: int) -> User:
    """Return the user with this id, or say there is none."""
    owner = db.session.get(User, owner_id)
    if owner is None:
        raise InvalidAssetError(f"There is no user with id {owner_id}.", "owner_id")
    return owner


def _check_name_is_free(name: str, owner_id: int, asset_id: int | None = None) -> None:
    """Say so if the owner already has another asset by this name."""
    twin = db.session.scalar(select(Asset).filter_by(owner_id=owner_id, name=name))
    if twin is not None and twin.id != asset_id:
        raise InvalidAssetError(f"User {owner_id} already owns an asset named '{name}'.", "name")


def _check_asset_unit(unit: str) -> None:
    """Say so if power values cannot be in this unit."""
    if unit not in ASSET_UNITS:
        raise InvalidAssetError(
            f"Unknown asset unit '{unit}'; choose from: {', '.join(ASSET_UNITS)}.", "unit"
        )


def _market_or_default(market_id: int | None) -> Market | None:
    """Return the market with this id, or the dummy market when no id is given."""
    if market_id is None:
        return default_market()
    return _existing_market(market_id)


def default_market() -> Market | None:
    """The market new assets get when none is chosen: the dummy market, if it exists."""
    return db.session.scalar(select(Market).filter_by(name=DUMMY_MARKET["name"]))


def _existing_market(market_id: int) -> Market:
    """Return the market with this id, or raise an error listing the existing ones."""
    market = db.session.get(Market, market_id)
    if market is not None:
        return market
    markets = db.session.execute(select(Market.id, Market.name).order_by(Market.id)).all()
    if not markets:
        raise InvalidAssetError(
            f"There is no market with id {market_id}; there are no markets yet.", "market_id"
        )
    choices = ", ".join(f"{id_} ({name})" for id_, name in markets)
    raise InvalidAssetError(
        f"There is no market with id {market_id}; choose from: {choices}.", "market_id"
    )


def _check_non_negative(**values: float | None) -> None:
    """Say which of the named values is negative (or not a finite number), if any."""
    for field, value in values.items():
        if value is not None and not (math.isfinite(value) and value >= 0):
            raise InvalidAssetError(f"{field} must be a non-negative number (got {value}).", field)


def _check_soc_limits(min_soc_in_mwh: float | None, max_soc_in_mwh: float | None) -> None:
    """State-of-charge limits (MWh) are non-negative, with the minimum at most the maximum."""
    _check_non_negative(min_soc_in_mwh=min_soc_in_mwh, max_soc_in_mwh=max_soc_in_mwh)
    if None not in (min_soc_in_mwh, max_soc_in_mwh) and min_soc_in_mwh > max_soc_in_mwh:
        raise InvalidAssetError(
            f"min_soc_in_mwh ({min_soc_in_mwh}) must not exceed max_soc_in_mwh ({max_soc_in_mwh}).",
            "min_soc_in_mwh",
        )


def _weather_sensor_unit(type_name: str, unit: str | None) -> str:
    """Return the unit for a sensor of this type; a standard type's unit is fixed."""
    expected = WEATHER_SENSOR_TYPES.get(type_name, (None, None))[1]
    if not unit:
        if expected is None:
            raise InvalidAssetError(f"Say in which unit {type_name} values come.", "unit")
        return expected
    if expected is not None and unit != expected:
        raise InvalidAssetError(
            f"Unit '{unit}' does not fit weather sensor type {type_name}: its unit is {expected}.",
            "unit",
        )
    return unit


# How update_asset checks (and normalises) a new value of each field it may change.
ASSET_FIELD_CHECKS: dict[str, Callable[[Any], Any]] = {
    "name": _required("name", lambda name: _valid_name(name, "asset")),
    "display_name": _display_name,
    "asset_type_name": _required(
        "asset_type_name",
        lambda name: _existing_type(AssetType, name, "asset type", "asset_type_name").name,
    ),
    "owner_id": _required("owner_id", lambda owner_id: _existing_owner(owner_id).id),
    "market_id": lambda market_id: None if market_id is None else _existing_market(market_id).id,
    "unit": _required("unit", _checked_unit),
    "event_resolution": _required("event_resolution", check_event_resolution),
    "capacity_in_mw": _required("capacity_in_mw", _non_negative("capacity_in_mw")),
    "latitude": _required("latitude", check_latitude),
    "longitude": _required("longitude", check_longitude),
    "min_soc_in_mwh": _non_negative("min_soc_in_mwh"),
    "max_soc_in_mwh": _non_negative("max_soc_in_mwh"),
    "soc_in_mwh": _non_negative("soc_in_mwh"),
    "soc_datetime": _aware,
    "soc_udi_event_id": lambda event_id: event_id,
    "timezone": check_timezone,
}
