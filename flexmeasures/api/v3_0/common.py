"""What the v3_0 routes share: the view decorator, who may use which sensor, and how
sensors, assets and asset types look in JSON.

Every v3_0 answer is JSON, errors too: the v2.0 REST handling (``rest_view``: one
transaction per request, 401 without a valid token, 422 for refused input) plus the
USEF-style statuses of the shared implementations (``MessageError``), whose bodies carry a
``message``, as the FlexMeasures client expects.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
from functools import wraps
from typing import Any

from flask import request
from flask_security import current_user
from sqlalchemy import ColumnElement, and_, or_, select

from flexmeasures.api.common.messages import MessageError
from flexmeasures.api.common.responses import invalid_sender, response, unprocessable_entity
from flexmeasures.api.common.versioning import ALL_USEF_ROLES, ApiVersion
from flexmeasures.api.v2_0.rest.common import RestError, get_by_id, not_found, rest_view
from flexmeasures.data import db
from flexmeasures.data.models import Asset, AssetType, Sensor
from flexmeasures.data.services.structure import ASSET_TYPES
from flexmeasures.security import asset_visibility_clause, can_access_asset, may_address_asset
from flexmeasures.utils.time_utils import duration_isoformat, parse_duration

# v3_0 without its endpoints (which ``flexmeasures.api.v3_0`` adds): the version the
# shared implementations are called with. Recording times as in v2.0: at arrival.
V3_0_BASE = ApiVersion(
    name="v3_0",
    number="3.0",
    services={},
    features={"infer_recording_time_at_arrival": True, "schedule_in_job": True},
)


# Query parameters and JSON fields that are time spans of data: zero or negative is refused.
DURATION_FIELDS = ("duration", "resolution")


def v3_view(view: Callable[..., tuple[Any, int]]) -> Callable:
    """Decorate a v3_0 view like a v2.0 REST view, also answering MessageError (raised by
    the shared implementations) with its USEF-style status, and refusing a zero or negative
    ``duration`` or ``resolution`` (``check_durations_are_positive``)."""

    @wraps(view)
    def inner(*args: Any, **kwargs: Any) -> tuple[Any, int]:
        check_durations_are_positive(request.args)
        body = request.get_json(silent=True) if request.is_json else None
        check_durations_are_positive(body if isinstance(body, dict) else {})
        try:
            return view(*args, **kwargs)
        except MessageError as error:
            raise RestError(response(error.status, error.message, error.http_status)) from error

    return rest_view(inner)


def check_durations_are_positive(given: Mapping[str, Any]) -> None:
    """Raise 422 naming the field for a ``duration`` or ``resolution`` (ISO 8601 text) that is
    zero or negative. Malformed text is left to the view, which names it with a seed status."""
    for field in DURATION_FIELDS:
        value = given.get(field)
        try:
            duration = parse_duration(value) if isinstance(value, str) else None
        except ValueError:
            continue
        if duration is not None and duration <= timedelta(0):
            message = f"The {field} should be positive (e.g. PT15M), not {value}."
            raise invalid_field(field, message)


def refuse(message: str) -> RestError:
    """403 INVALID_SENDER with this message."""
    return RestError(invalid_sender(message=message))


def invalid_field(field: str, message: str) -> RestError:
    """422 naming the field at fault."""
    return RestError(unprocessable_entity({field: [message]}))


def sensor_asset(sensor: Sensor) -> Asset | None:
    """The asset a sensor belongs to (an asset is its own power sensor), if any."""
    if isinstance(sensor, Asset):
        return sensor
    return db.session.get(Asset, sensor.generic_asset_id) if sensor.generic_asset_id else None


def can_read_sensor(sensor: Sensor) -> bool:
    """Sensors of an asset: its owner and admins (as v2.0's assets); markets, weather
    sensors and other sensors without an asset: every user."""
    asset = sensor_asset(sensor)
    return asset is None or can_access_asset(current_user, asset)


def readable_sensors_clause() -> ColumnElement[bool]:
    """A WHERE clause selecting the sensors the user may read (see ``can_read_sensor``):
    those of visible assets, and every sensor without an asset."""
    visible = select(Asset.id).where(asset_visibility_clause(current_user)).scalar_subquery()
    return or_(
        and_(Sensor.type != "asset", Sensor.generic_asset_id.is_(None)),
        Sensor.id.in_(visible),
        Sensor.generic_asset_id.in_(visible),
    )


def can_write_sensor_data(sensor: Sensor) -> bool:
    """Data of an asset's sensors: who may address the asset in the USEF-style services
    (admins, MDCs, suppliers, ..., and its owner); other sensors: admins and users with a
    USEF role (as postPriceData and postWeatherData)."""
    asset = sensor_asset(sensor)
    if asset is not None:
        return may_address_asset(current_user, asset, ALL_USEF_ROLES)
    return current_user.is_admin or any(current_user.has_role(r) for r in ALL_USEF_ROLES)


def sensor_or_404(sensor_id: int) -> Sensor:
    """The sensor with this id (404 UNRECOGNIZED_SENSOR if there is none)."""
    sensor = get_by_id(Sensor, sensor_id)
    if sensor is None:
        raise not_found("UNRECOGNIZED_SENSOR", f"There is no sensor with id {sensor_id}.")
    return sensor


def readable_sensor(sensor_id: int) -> Sensor:
    """The sensor with this id if the user may read it (404 or 403 otherwise)."""
    sensor = sensor_or_404(sensor_id)
    if not can_read_sensor(sensor):
        raise refuse(f"You may not see sensor {sensor_id}: it belongs to another user's asset.")
    return sensor


def accessible_asset(asset_id: int) -> Asset:
    """The asset with this id if the user owns it or is an admin (404 or 403 otherwise)."""
    asset = get_by_id(Asset, asset_id)
    if asset is None:
        raise not_found("UNRECOGNIZED_ASSET", f"There is no asset with id {asset_id}.")
    if not can_access_asset(current_user, asset):
        raise refuse(f"You do not own asset {asset_id} (and are no admin).")
    return asset


def sensor_json(sensor: Sensor) -> dict[str, Any]:
    """A sensor as v3_0 shows it (``event_resolution`` as ISO 8601 duration, attributes
    as JSON text)."""
    return {
        "id": sensor.id,
        "name": sensor.name,
        "unit": sensor.unit,
        "timezone": sensor.timezone,
        "event_resolution": duration_isoformat(sensor.event_resolution),
        "generic_asset_id": sensor.asset_id,
        "attributes": sensor.attributes or "{}",
    }


def asset_type_ids() -> dict[str, int]:
    """The v3_0 id of each asset type: its place among the standard types (1 = solar, ...),
    then any other types by name."""
    names = list(db.session.scalars(select(AssetType.name)))
    standard = [name for name in ASSET_TYPES if name in names]
    others = sorted(name for name in names if name not in ASSET_TYPES)
    return {name: number for number, name in enumerate([*standard, *others], start=1)}


def asset_type_json(asset_type: AssetType, type_id: int) -> dict[str, Any]:
    """An asset type as v3_0 shows it."""
    return {"id": type_id, "name": asset_type.name, "description": asset_type.display_name}


def asset_json(asset: Asset, type_ids: dict[str, int] | None = None) -> dict[str, Any]:
    """An asset as v3_0 shows it (JSON fields as text, as the client expects)."""
    type_ids = type_ids or asset_type_ids()
    return {
        "id": asset.id,
        "name": asset.name,
        "account_id": asset.owner.account_id if asset.owner else None,
        "owner_id": asset.owner_id,
        "latitude": asset.latitude,
        "longitude": asset.longitude,
        "generic_asset_type_id": type_ids.get(asset.asset_type_name),
        "generic_asset_type": asset_type_json(
            asset.asset_type, type_ids.get(asset.asset_type_name, 0)
        ),
        "parent_asset_id": None,
        "attributes": asset.attributes or "{}",
        "flex_context": asset.flex_context or "{}",
        "flex_model": asset.flex_model or "{}",
        "sensors_to_show": "[]",
        "capacity_in_mw": asset.capacity_in_mw,
        "min_soc_in_mwh": asset.min_soc_in_mwh,
        "max_soc_in_mwh": asset.max_soc_in_mwh,
        "market_id": asset.market_id,
    }
