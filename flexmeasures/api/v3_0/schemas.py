"""Input of the v3_0 endpoints: field names as the FlexMeasures client sends them.

JSON fields (``attributes``, ``flex_context``, ``flex_model``) come as JSON text or
objects; durations as ISO 8601 (``PT15M``) or minutes. Unknown fields are refused (422).
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from marshmallow import Schema, fields
from marshmallow.validate import Length, OneOf

from flexmeasures.utils.time_utils import LONGEST_DURATION, parse_duration

LONGEST_MINUTES = int(LONGEST_DURATION.total_seconds() // 60)


class Duration(fields.Field):
    """A positive duration (a resolution) as ISO 8601 text (e.g. ``PT15M``, pandas'
    ``P0DT0H15M0S``) or minutes; zero and negative durations are invalid."""

    default_error_messages = {
        "invalid": "Not a valid ISO 8601 duration (e.g. PT15M).",
        "not_positive": "The duration should be positive (e.g. PT15M), not {value}.",
    }

    def __init__(self, **kwargs: Any) -> None:
        minutes = {"type": "integer", "minimum": 1, "maximum": LONGEST_MINUTES}
        metadata = {"anyOf": [{"type": "string", "format": "duration"}, minutes]}
        super().__init__(metadata={**metadata, **kwargs.pop("metadata", {})}, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> timedelta:
        duration = self._parse(value)
        if duration <= timedelta(0):
            raise self.make_error("not_positive", value=value)
        return duration

    def _parse(self, value: Any) -> timedelta:
        """The duration given as ISO 8601 text or minutes (any sign)."""
        if isinstance(value, int) and not isinstance(value, bool):
            if abs(value) > LONGEST_MINUTES:
                raise self.make_error("invalid")
            return timedelta(minutes=value)
        if not isinstance(value, str):
            raise self.make_error("invalid")
        try:
            return parse_duration(value)
        except ValueError as error:
            raise self.make_error("invalid") from error


class JsonText(fields.Field):
    """A JSON object, given as text or as an object; loaded as an object."""

    default_error_messages = {"invalid": "Not a JSON object (or JSON text of one)."}

    def __init__(self, **kwargs: Any) -> None:
        metadata = {"anyOf": [{"type": "object"}, {"type": "string", "format": "json"}]}
        super().__init__(metadata={**metadata, **kwargs.pop("metadata", {})}, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> dict:
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except json.JSONDecodeError as error:
                raise self.make_error("invalid") from error
        if not isinstance(value, dict):
            raise self.make_error("invalid")
        return value


class SensorSchema(Schema):
    """A new sensor of an asset, or changes to a sensor (load with ``partial=True``)."""

    name = fields.String(required=True, validate=Length(min=1, max=120))
    unit = fields.String(required=True, validate=Length(max=80))
    event_resolution = Duration(required=True)
    generic_asset_id = fields.Integer(required=True, strict=True)
    timezone = fields.String(validate=Length(min=1, max=80))
    attributes = JsonText()


class SensorQuerySchema(Schema):
    """Query parameters of the sensor listing."""

    asset_id = fields.Integer(load_default=None)


class AssetInputSchema(Schema):
    """A new asset, or changes to an asset (load with ``partial=True``); power in MW, SOC
    in MWh, ``event_resolution`` of its power sensor (default 15 minutes)."""

    name = fields.String(required=True, validate=Length(min=1, max=80))
    account_id = fields.Integer(required=True, strict=True)
    latitude = fields.Float(required=True)
    longitude = fields.Float(required=True)
    generic_asset_type_id = fields.Integer(required=True, strict=True)
    parent_asset_id = fields.Integer(allow_none=True, validate=OneOf([None]))
    attributes = JsonText()
    flex_context = JsonText()
    flex_model = JsonText()
    sensors_to_show = fields.Raw(allow_none=True, metadata={"description": "Ignored."})
    capacity_in_mw = fields.Float()
    min_soc_in_mwh = fields.Float(allow_none=True)
    max_soc_in_mwh = fields.Float(allow_none=True)
    event_resolution = Duration()
    market_id = fields.Integer(allow_none=True, strict=True)
    unit = fields.String()


class AssetListQuerySchema(Schema):
    """Query parameters of the asset listing (as the client sends them)."""

    account_id = fields.Integer(load_default=None)
    all_accessible = fields.Boolean(load_default=False)
    include_public = fields.Boolean(load_default=False)
    sort_by = fields.String(load_default="id", validate=OneOf(["id", "name"]))
    sort_dir = fields.String(load_default="asc", validate=OneOf(["asc", "desc"]))


class UserListQuerySchema(Schema):
    """Query parameters of the user listing."""

    account_id = fields.Integer(load_default=None)
    include_inactive = fields.Boolean(load_default=False)


class ScheduleQuerySchema(Schema):
    """Query parameters of a schedule: how much of it, in which unit."""

    duration = fields.String()
    unit = fields.String()


class SensorDataSchema(Schema):
    """Sensor data: ``values`` from ``start`` for ``duration``, in ``unit``."""

    start = fields.AwareDateTime(required=True, metadata={"example": "2026-01-05T00:00:00+01:00"})
    duration = fields.String(required=True, metadata={"example": "PT1H"})
    values = fields.List(fields.Float(allow_none=True), required=True)
    unit = fields.String(required=True, metadata={"example": "kW"})
    prior = fields.AwareDateTime(metadata={"description": "When the values were recorded."})


class SensorDataResponseSchema(SensorDataSchema):
    """Sensor data as answered: the data, with the processing ``status`` and ``message``."""

    status = fields.String(metadata={"example": "PROCESSED"})
    message = fields.String()


class SensorDataQuerySchema(Schema):
    """Query parameters of GET sensors/<id>/data."""

    start = fields.AwareDateTime(required=True)
    duration = fields.String(required=True, metadata={"example": "PT6H"})
    unit = fields.String(metadata={"description": "Default: the sensor's unit."})
    resolution = fields.String(metadata={"description": "A multiple of the sensor's."})
    prior = fields.AwareDateTime()
    horizon = fields.String()
    source = fields.String()


class SensorOutSchema(Schema):
    """A sensor as answered."""

    id = fields.Integer()
    name = fields.String()
    unit = fields.String()
    timezone = fields.String()
    event_resolution = fields.String(metadata={"example": "PT15M"})
    generic_asset_id = fields.Integer(allow_none=True)
    attributes = fields.String(metadata={"description": "A JSON object, as text."})


class DataSourceOutSchema(Schema):
    """A data source as answered."""

    id = fields.Integer()
    name = fields.String()
    type = fields.String(metadata={"example": "forecasting script"})
    model = fields.String(allow_none=True, metadata={"example": "ols"})
    version = fields.String(allow_none=True, metadata={"example": "1.0"})


class BacktestOutSchema(Schema):
    """The backtest a forecasting model was chosen by (fractions; times in UTC)."""

    model = fields.String(metadata={"example": "ols"})
    horizon = fields.String(metadata={"example": "P0DT6H0M0S"})
    wape = fields.Float(allow_none=True, metadata={"description": "WAPE of the chosen model."})
    best_naive = fields.String(metadata={"example": "naive-yesterday"})
    best_naive_wape = fields.Float(allow_none=True)
    skill = fields.Float(allow_none=True, metadata={"description": "1 - wape / best_naive_wape."})
    scores = fields.Dict(
        keys=fields.String(),
        values=fields.Float(allow_none=True),
        metadata={"description": "WAPE of every candidate model."},
    )
    data_until = fields.String(allow_none=True, metadata={"description": "Last event used."})
    backtest_start = fields.String(allow_none=True)
    reason = fields.String(metadata={"description": "Why no backtest was made, if so."})


class ForecastingModelOutSchema(Schema):
    """The model chosen by backtest for a sensor's forecasts at one horizon."""

    horizon = fields.String(metadata={"example": "P0DT6H0M0S"})
    model = fields.String(metadata={"example": "ols"})
    data_source = fields.Nested(DataSourceOutSchema)
    backtest = fields.Nested(BacktestOutSchema)


class AssetTypeOutSchema(Schema):
    """An asset type as answered."""

    id = fields.Integer()
    name = fields.String()
    description = fields.String()


class AssetOutSchema(Schema):
    """An asset as answered (JSON fields as text)."""

    id = fields.Integer()
    name = fields.String()
    account_id = fields.Integer(allow_none=True)
    owner_id = fields.Integer(allow_none=True)
    latitude = fields.Float()
    longitude = fields.Float()
    generic_asset_type_id = fields.Integer()
    generic_asset_type = fields.Nested(AssetTypeOutSchema)
    parent_asset_id = fields.Integer(allow_none=True)
    attributes = fields.String()
    flex_context = fields.String()
    flex_model = fields.String()
    sensors_to_show = fields.String()
    capacity_in_mw = fields.Float()
    min_soc_in_mwh = fields.Float(allow_none=True)
    max_soc_in_mwh = fields.Float(allow_none=True)
    market_id = fields.Integer(allow_none=True)


class TriggerSchema(Schema):
    """A schedule trigger: see ``api.common.flex_model`` for the flex-model's fields."""

    start = fields.AwareDateTime(required=True)
    duration = fields.String(metadata={"example": "PT24H"})
    flex_model = fields.Raw(data_key="flex-model", metadata={"description": "Storage model."})
    flex_context = fields.Dict(data_key="flex-context")


class TriggerResponseSchema(Schema):
    """The job id of a triggered schedule."""

    schedule = fields.String()
    message = fields.String()


class ScheduleSchema(Schema):
    """A schedule: power ``values`` from ``start`` for ``duration`` in ``unit``."""

    values = fields.List(fields.Float(allow_none=True))
    start = fields.String()
    duration = fields.String()
    unit = fields.String()
    status = fields.String()
    message = fields.String()


class JobStatusSchema(Schema):
    """A job's status."""

    status = fields.String(metadata={"example": "FINISHED"})
    message = fields.String()
    result = fields.Raw(allow_none=True)
    origin = fields.String()
    func_name = fields.String(data_key="func-name")
    enqueued_at = fields.String(data_key="enqueued-at", allow_none=True)
    started_at = fields.String(data_key="started-at", allow_none=True)
    ended_at = fields.String(data_key="ended-at", allow_none=True)
    exc_info = fields.String(data_key="exc-info", allow_none=True)


class UserOutSchema(Schema):
    """A user as answered."""

    id = fields.Integer()
    email = fields.String()
    username = fields.String()
    active = fields.Boolean()
    timezone = fields.String()
    flexmeasures_roles = fields.List(fields.Integer())
    account_id = fields.Integer()


class AccountSchema(Schema):
    """An account."""

    id = fields.Integer()
    name = fields.String()
