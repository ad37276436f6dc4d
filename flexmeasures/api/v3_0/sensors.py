"""v3_0 sensors: list, get, create (on an asset), change and delete, their data, and the
schedules of asset power sensors. Every asset, market and weather sensor is a sensor with
one id (an asset's id is that of its power sensor).

Who may do what (as in v2.0): an asset's sensors are its owner's and the admins'; markets
and weather sensors are readable by everyone, changed only by admins. Posting data is for
those who may post it through the USEF-style services (see ``can_write_sensor_data``).
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, request
from flask_security import current_user
from sqlalchemy import or_, select

from flexmeasures.api.common.implementations import schedules, sensor_data
from flexmeasures.api.v2_0.rest.common import (
    json_object_body,
    load,
    query_args,
    service_errors,
)
from flexmeasures.api.v3_0.common import (
    V3_0_BASE,
    accessible_asset,
    can_write_sensor_data,
    invalid_field,
    readable_sensor,
    readable_sensors_clause,
    refuse,
    sensor_asset,
    sensor_json,
    sensor_or_404,
    v3_view,
)
from flexmeasures.api.v3_0.schemas import ScheduleQuerySchema, SensorQuerySchema, SensorSchema
from flexmeasures.data import db
from flexmeasures.data.models import Asset, Sensor
from flexmeasures.data.services.assets import check_timezone, has_beliefs, update_asset

sensors_api = Blueprint("v3_0_sensors", __name__)

SENSOR_SCHEMA = SensorSchema()


@sensors_api.route("/sensors", methods=["GET"])
@v3_view
def get_sensors() -> tuple[Any, int]:
    """The sensors the user may see, ordered by id; ``asset_id``: those of one asset."""
    asset_id = query_args(SensorQuerySchema())["asset_id"]
    query = select(Sensor).where(readable_sensors_clause()).order_by(Sensor.id)
    if asset_id is not None:
        asset = accessible_asset(asset_id)
        query = query.where(or_(Sensor.id == asset.id, Sensor.generic_asset_id == asset.id))
    return [sensor_json(sensor) for sensor in db.session.scalars(query)], 200


@sensors_api.route("/sensors/<int:sensor_id>", methods=["GET"])
@v3_view
def get_sensor(sensor_id: int) -> tuple[Any, int]:
    """The sensor, with ``generic_asset_id``, ``unit``, ``event_resolution`` and ``timezone``."""
    query_args()
    return sensor_json(readable_sensor(sensor_id)), 200


@sensors_api.route("/sensors", methods=["POST"])
@v3_view
def post_sensor() -> tuple[Any, int]:
    """Create a sensor on an asset the user owns (or any asset, for admins); 201."""
    fields = load(SENSOR_SCHEMA, json_object_body())
    asset = accessible_asset(fields.pop("generic_asset_id"))
    sensor = Sensor(generic_asset_id=asset.id, timezone=asset.timezone)
    _set_fields(sensor, fields)
    db.session.add(sensor)
    db.session.flush()
    return sensor_json(sensor), 201


@sensors_api.route("/sensors/<int:sensor_id>", methods=["PATCH"])
@v3_view
def patch_sensor(sensor_id: int) -> tuple[Any, int]:
    """Change a sensor's name, unit, event_resolution (both only while it has no data),
    timezone or attributes; 200 with the whole sensor."""
    query_args()
    sensor = changeable_sensor(sensor_id)
    changes = load(SENSOR_SCHEMA, json_object_body(), partial=True)
    if changes.pop("generic_asset_id", sensor.asset_id) != sensor.asset_id:
        raise refuse("A sensor cannot move to another asset.")
    _set_fields(sensor, changes)
    return sensor_json(sensor), 200


@sensors_api.route("/sensors/<int:sensor_id>", methods=["DELETE"])
@v3_view
def delete_sensor(sensor_id: int) -> tuple[Any, int]:
    """Delete a sensor of an asset with its data (an asset's power sensor goes with the
    asset: DELETE assets/<id>); 204."""
    query_args()
    sensor = changeable_sensor(sensor_id)
    if sensor.type != "sensor":
        raise refuse(f"Sensor {sensor_id} is a {sensor.type}; it cannot be deleted as a sensor.")
    db.session.delete(sensor)
    db.session.flush()
    return {"message": f"Sensor {sensor_id} and its data have been deleted."}, 204


@sensors_api.route("/sensors/<int:sensor_id>/data", methods=["POST"])
@v3_view
def post_data(sensor_id: int) -> tuple[Any, int]:
    """Store values (``start``, ``duration``, ``values``, ``unit``, optional ``prior``)."""
    query_args()
    sensor = writable_sensor(sensor_id)
    return sensor_data.post_sensor_data(V3_0_BASE, sensor, json_object_body())


@sensors_api.route("/sensors/<int:sensor_id>/data/upload", methods=["POST"])
@v3_view
def upload_data(sensor_id: int) -> tuple[Any, int]:
    """Store the values of CSV files (multipart field ``uploaded-files``; columns
    event_start, event_value), in ``unit`` (default: the sensor's), recorded right after
    each event if ``belief-time-measured-instantly`` is True, else on arrival."""
    query_args()
    sensor = writable_sensor(sensor_id)
    files = [
        (upload.filename or "the file", upload.read())
        for upload in request.files.getlist("uploaded-files")
    ]
    form = request.form.to_dict()
    return sensor_data.post_uploaded_data(V3_0_BASE, sensor, files, form)


@sensors_api.route("/sensors/<int:sensor_id>/data", methods=["GET"])
@v3_view
def get_data(sensor_id: int) -> tuple[Any, int]:
    """Values for ``start`` and ``duration`` (optional ``unit``, ``resolution``, ``prior``,
    ``horizon``, ``source``)."""
    return sensor_data.get_sensor_data(readable_sensor(sensor_id), request.args.to_dict())


@sensors_api.route("/sensors/<int:sensor_id>/forecasting-models", methods=["GET"])
@v3_view
def get_forecasting_models(sensor_id: int) -> tuple[Any, int]:
    """Which model makes the sensor's forecasts per horizon, as chosen by backtest, with
    the data source of those forecasts and the backtest's scores (see
    ``flexmeasures.forecasting.selection_store.selections_json``)."""
    from flexmeasures.forecasting.selection_store import selections_json

    query_args()
    return selections_json(readable_sensor(sensor_id).id), 200


@sensors_api.route("/sensors/<int:sensor_id>/schedules/<job_id>", methods=["GET"])
@v3_view
def get_schedule(sensor_id: int, job_id: str) -> tuple[Any, int]:
    """The schedule a job made for this (asset power) sensor (optional ``duration``, ``unit``)."""
    args = query_args(ScheduleQuerySchema())
    asset = accessible_asset(sensor_id)
    return schedules.get_schedule(asset, schedules.fetch_job(job_id), args)


@sensors_api.route("/sensors/<int:sensor_id>/schedules/trigger", methods=["POST"])
@v3_view
def post_sensor_schedule_trigger(sensor_id: int) -> tuple[Any, int]:
    """Enqueue a schedule for an asset's power sensor (as POST assets/<id>/schedules/trigger,
    with one flex-model object); 200 with ``{"schedule": <job id>}``."""
    query_args()
    body = json_object_body()
    body.pop("force_new_job_creation", None)  # every trigger makes a new job here
    return schedules.trigger_schedule(accessible_asset(sensor_id), body)


def changeable_sensor(sensor_id: int) -> Sensor:
    """The sensor, if the user may change it: an asset's (as the asset), others: admins."""
    sensor = readable_sensor(sensor_id)
    if sensor_asset(sensor) is None and not current_user.is_admin:
        raise refuse("Only admins may change markets, weather sensors and other sensors.")
    return sensor


def writable_sensor(sensor_id: int) -> Sensor:
    """The sensor, if the user may post data for it (404 or 403 otherwise)."""
    sensor = sensor_or_404(sensor_id)
    if not can_write_sensor_data(sensor):
        raise refuse(f"You may not post data for sensor {sensor_id}.")
    return sensor


def _set_fields(sensor: Sensor, fields: dict[str, Any]) -> None:
    """Set checked fields on a sensor (attributes as JSON text); an asset's through the
    asset service, which checks its name, unit, resolution and time zone."""
    if "attributes" in fields:
        sensor.attributes = json.dumps(fields.pop("attributes"))
    with service_errors(SENSOR_SCHEMA):
        if isinstance(sensor, Asset):
            update_asset(sensor, **fields)
            return
        if "timezone" in fields:
            fields["timezone"] = check_timezone(fields["timezone"])
    _check_data_fields(sensor, fields)
    for field, value in fields.items():
        setattr(sensor, field, value)


def _check_data_fields(sensor: Sensor, fields: dict[str, Any]) -> None:
    """Refuse to change the unit or resolution of a sensor with data (it would be misread)."""
    changed = [f for f in ("unit", "event_resolution") if f in fields]
    changed = [f for f in changed if fields[f] != getattr(sensor, f)]
    if changed and sensor.id is not None and has_beliefs(sensor.id):
        raise invalid_field(changed[0], f"Sensor {sensor.id} has data; this cannot change.")
