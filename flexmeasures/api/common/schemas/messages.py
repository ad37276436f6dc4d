"""Marshmallow schemas of the USEF-style messages of every API version (seed: API chapters).

They describe the documented notation for the OpenAPI document (``api.common.openapi``);
parsing stays with ``api.common.messages``, and tests check that the seed's example
messages pass both, so the two cannot drift apart silently. Units: power in MW
(consumption positive), prices in the market's unit, weather in the sensor type's unit.

``MESSAGE_SCHEMAS`` maps each message ``type`` (e.g. ``GetMeterDataRequest``) to its schema.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from marshmallow import INCLUDE, Schema, ValidationError, fields, validate, validates_schema

from flexmeasures.api.common.implementations.power import POWER_UNIT
from flexmeasures.api.common.implementations.udi import SOC_UNITS
from flexmeasures.api.common.messages import MessageError, check_resolution_divides
from flexmeasures.api.common.schemas.fields import (
    AwareTimestamp,
    ISODuration,
    OneOrMany,
    StrictFloat,
    entity_address,
    numbers,
)
from flexmeasures.api.common.versioning import ALL_USEF_ROLES
from flexmeasures.data.services.structure import WEATHER_SENSOR_TYPES

CONNECTION = "ea1.2018-06.io.flexmeasures.company:1:1"


class MessageSchema(Schema):
    """A part of a message: keys it does not know are left alone (``additionalProperties``),
    as the message parser reads only the keys it knows."""

    class Meta:
        """Options: keep unknown keys."""

        unknown = INCLUDE


def message_type(name: str) -> fields.String:
    """The ``type`` field of a message: optional (null as if absent), but if given it must be
    ``name``."""
    return fields.String(
        allow_none=True,
        validate=validate.OneOf([name]),
        metadata={"description": "The message type.", "example": name},
    )


def start_field(required: bool = False) -> AwareTimestamp:
    """The start of the first event: a timezone-aware ISO 8601 timestamp."""
    return AwareTimestamp(
        required=required,
        metadata={
            "description": "Start of the time interval, timezone-aware ISO 8601.",
            "example": "2015-01-01T00:00:00+00:00",
        },
    )


def duration_field(required: bool = False) -> ISODuration:
    """The duration of the whole time interval (ISO 8601)."""
    return ISODuration(
        required=required,
        metadata={
            "description": "Duration of the whole time interval (ISO 8601); the resolution "
            "is this duration divided by the number of values.",
            "example": "PT45M",
        },
    )


def horizon_field(description: str) -> ISODuration:
    """The belief horizon: an ISO 8601 duration, negative for after the fact."""
    return ISODuration(positive=False, metadata={"description": description, "example": "PT6H"})


def prior_field(description: str) -> AwareTimestamp:
    """The belief time limit: a timezone-aware ISO 8601 timestamp."""
    return AwareTimestamp(
        metadata={"description": description, "example": "2020-12-31T18:00:00+00:00"}
    )


class TimeseriesItemSchema(MessageSchema):
    """One value of a ``timeseries`` list: its event's start and duration."""

    value = StrictFloat(required=True, metadata={"example": 10})
    start = start_field(required=True)
    duration = ISODuration(required=True, metadata={"example": "PT15M"})


class SeriesSchema(MessageSchema):
    """Values over a time interval: ``values`` with ``start`` and ``duration``, or the
    equivalent ``timeseries`` list. ``start``, ``duration`` and ``unit`` may also be stated
    once in the message, outside its groups."""

    value = numbers("One value for the whole interval.")
    values = numbers("Equally spaced values over the interval.", plural=True)
    timeseries = fields.List(
        fields.Nested(TimeseriesItemSchema),
        validate=validate.Length(min=1),
        metadata={"description": "Consecutive values of equal duration (instead of values)."},
    )
    start = start_field()
    duration = duration_field()
    unit = fields.String(metadata={"description": "Unit of the values."})


class ConnectionGroupSchema(SeriesSchema):
    """Power values (MW, consumption positive) of one or more connections."""

    connection = entity_address("A connection's entity address.", CONNECTION)
    connections = entity_address("Connections' entity addresses.", CONNECTION, plural=True)
    unit = fields.String(
        validate=validate.OneOf([POWER_UNIT]), metadata={"description": "Unit of power."}
    )


class SensorGroupSchema(SeriesSchema):
    """Weather values of one or more sensors, each addressed by type, latitude, longitude."""

    sensor = entity_address(
        "A weather sensor's address.", "ea1.2018-06.localhost:temperature:33.4843866:126.477859"
    )
    sensors = entity_address(
        "Weather sensors' addresses.",
        "ea1.2018-06.localhost:temperature:33.4843866:126.477859",
        plural=True,
    )
    unit = fields.String(
        validate=validate.OneOf(sorted({unit for _, unit in WEATHER_SENSOR_TYPES.values()})),
        metadata={"description": "Unit of the sensor type: °C, m/s or kW/m²."},
    )


class MarketGroupSchema(SeriesSchema):
    """Prices of one or more markets, in the market's unit (e.g. EUR/MWh)."""

    market = entity_address("A market's address.", "ea1.2018-06.localhost:epex_da")
    markets = entity_address("Markets' addresses.", "ea1.2018-06.localhost:epex_da", plural=True)
    unit = fields.String(metadata={"description": "The market's price unit.", "example": "EUR/MWh"})


class PostSeriesMessageSchema(MessageSchema):
    """A POST message with values for groups of entities (seed: Notation → Groups).

    Subclasses also derive from the group schema of their ``entity_key``, so that one
    group may be flattened into the message.
    """

    entity_key: ClassVar[str]
    horizon = horizon_field(
        "Each value was recorded this long before its event ended (negative: after)."
    )
    prior = prior_field("All values were recorded at this moment.")

    @validates_schema
    def check_groups(self, data: dict[str, Any], **kwargs: Any) -> None:
        """Check each group (or the flattened message) with what it inherits."""
        problems = series_message_problems(data, self.entity_key)
        if problems:
            raise ValidationError(problems)


def _groups_field(group_schema: type[Schema], plural: bool) -> OneOrMany:
    return OneOrMany(
        fields.Nested(group_schema),
        plural=plural,
        metadata={
            "description": "Groups of entities with their values; 'start', "
            "'duration' and 'unit' stated outside the groups are inherited."
        },
    )


class PostMeterDataRequestSchema(ConnectionGroupSchema, PostSeriesMessageSchema):
    """Measured power (MW) of connections (seed: postMeterData)."""

    entity_key = "connection"
    type = message_type("PostMeterDataRequest")
    group = _groups_field(ConnectionGroupSchema, plural=False)
    groups = _groups_field(ConnectionGroupSchema, plural=True)


class PostPrognosisRequestSchema(ConnectionGroupSchema, PostSeriesMessageSchema):
    """Prognosed power (MW) of connections (seed: postPrognosis)."""

    entity_key = "connection"
    type = message_type("PostPrognosisRequest")
    group = _groups_field(ConnectionGroupSchema, plural=False)
    groups = _groups_field(ConnectionGroupSchema, plural=True)


class PostPriceDataRequestSchema(MarketGroupSchema, PostSeriesMessageSchema):
    """Prices of markets (seed: postPriceData)."""

    entity_key = "market"
    type = message_type("PostPriceDataRequest")
    group = _groups_field(MarketGroupSchema, plural=False)
    groups = _groups_field(MarketGroupSchema, plural=True)


class PostWeatherDataRequestSchema(SensorGroupSchema, PostSeriesMessageSchema):
    """Weather observations or forecasts (seed: postWeatherData)."""

    entity_key = "sensor"
    type = message_type("PostWeatherDataRequest")
    group = _groups_field(SensorGroupSchema, plural=False)
    groups = _groups_field(SensorGroupSchema, plural=True)


def series_message_problems(data: Mapping[str, Any], entity_key: str) -> dict[str, Any]:
    """What is wrong with the groups of a loaded POST message, by field (empty if fine)."""
    if "group" in data and "groups" in data:
        return {"groups": ["Give either 'group' or 'groups', not both."]}
    groups = data.get("groups", data.get("group"))
    if groups is None:
        problems = group_problems(data, data, entity_key)
        return {"_schema": problems} if problems else {}
    misplaced = [k for k in (entity_key, f"{entity_key}s", "value", "values") if k in data]
    if misplaced:
        return {k: ["With 'groups', state this inside each group."] for k in misplaced}
    by_index = {i: group_problems(g, data, entity_key) for i, g in enumerate(groups)}
    problems = {i: p for i, p in by_index.items() if p}
    return {"groups": problems} if problems else {}


def group_problems(
    group: Mapping[str, Any], message: Mapping[str, Any], entity_key: str
) -> list[str]:
    """What is wrong with one group, given the message it inherits from (empty if fine)."""
    problems = _one_of(group, (entity_key, f"{entity_key}s"), required=True)
    inherited = {k: group.get(k, message.get(k)) for k in ("start", "duration", "unit")}
    timeseries = group.get("timeseries", message.get("timeseries"))
    if inherited["unit"] is None:
        problems.append("'unit' is missing (in the group or the message).")
    if timeseries is not None:
        return problems + _timeseries_problems(timeseries, group)
    problems += _one_of(group, ("value", "values"), required=True)
    values = group.get("values", group.get("value"))
    missing = [k for k in ("start", "duration") if inherited[k] is None]
    problems += [f"'{k}' is missing (in the group or the message)." for k in missing]
    if values and not missing:
        try:
            check_resolution_divides(inherited["duration"], len(values))
        except MessageError as error:
            problems.append(error.message)
    return problems


def _one_of(group: Mapping[str, Any], keys: tuple[str, str], required: bool) -> list[str]:
    """Problems unless exactly one (or, if not required, at most one) of two keys is there."""
    present = [k for k in keys if k in group]
    if len(present) > 1:
        return [f"Give either '{keys[0]}' or '{keys[1]}', not both."]
    if required and not present:
        return [f"Give '{keys[0]}' or '{keys[1]}'."]
    return []


def _timeseries_problems(items: list[dict[str, Any]], group: Mapping[str, Any]) -> list[str]:
    """Problems of a ``timeseries`` list: it replaces values, and its items must be
    consecutive and of equal duration."""
    problems = []
    if "value" in group or "values" in group:
        problems.append("Give either 'timeseries' or values, not both.")
    durations = {item["duration"] for item in items}
    gaps = [b["start"] - a["start"] for a, b in zip(items, items[1:], strict=False)]
    if not items:
        problems.append("'timeseries' should not be empty.")
    elif len(durations) > 1 or any(gap != items[0]["duration"] for gap in gaps):
        problems.append("Timeseries items should be consecutive and of equal duration.")
    return problems


class GetPowerRequestSchema(MessageSchema):
    """What a GET message for power data asks for (seed: Beliefs, Sources, Resolutions)."""

    # One of these keys is required (the OpenAPI document marks the plural one required).
    one_of_required: ClassVar[tuple[str, str]] = ("connection", "connections")

    connection = entity_address("A connection's entity address.", CONNECTION)
    connections = entity_address("Connections' entity addresses.", CONNECTION, plural=True)
    start = start_field(required=True)
    duration = duration_field(required=True)
    resolution = ISODuration(
        metadata={
            "description": "Downsample to this resolution, a multiple of the asset's.",
            "example": "PT1H",
        }
    )
    horizon = horizon_field(
        "Only beliefs recorded at least this long before each event ended (negative: at "
        "most this long after)."
    )
    prior = prior_field("Only beliefs recorded before this moment.")
    source = OneOrMany(
        fields.String(),
        metadata={"description": "A data source: a user id or USEF role.", "example": "MDC"},
    )
    sources = OneOrMany(
        fields.String(),
        plural=True,
        metadata={"description": "Data sources: user ids or USEF roles.", "example": ["MDC"]},
    )
    unit = fields.String(validate=validate.OneOf([POWER_UNIT]))

    @validates_schema
    def check_connections(self, data: dict[str, Any], **kwargs: Any) -> None:
        """Exactly one of ``connection`` and ``connections``, at most one of the sources."""
        problems = _one_of(data, ("connection", "connections"), required=True)
        problems += _one_of(data, ("source", "sources"), required=False)
        if problems:
            raise ValidationError(problems)


class GetMeterDataRequestSchema(GetPowerRequestSchema):
    """Request measured power (MW) of connections (seed: getMeterData)."""

    type = message_type("GetMeterDataRequest")
    unit = fields.String(
        required=True,
        validate=validate.OneOf([POWER_UNIT]),
        metadata={"description": "Required: MW (INVALID_UNIT if missing or other)."},
    )


class GetPrognosisRequestSchema(GetPowerRequestSchema):
    """Request prognosed power (MW) of connections (seed: getPrognosis)."""

    type = message_type("GetPrognosisRequest")


class GetConnectionRequestSchema(MessageSchema):
    """Request the entity addresses of the user's connections (seed: getConnection)."""

    type = message_type("GetConnectionRequest")


class GetServiceRequestSchema(MessageSchema):
    """Request the services of an API version (seed: getService)."""

    type = message_type("GetServiceRequest")
    version = fields.String(metadata={"example": "2.0"})
    access = fields.String(
        metadata={
            "description": "Only the services this USEF role may use: " + ", ".join(ALL_USEF_ROLES),
            "example": "MDC",
        }
    )


UDI_EVENT = "ea1.2018-06.io.flexmeasures.company:7:10:203:soc"


def udi_event_field() -> fields.String:
    """The ``event`` of a UDI message: the event's entity address (owner, device, event id,
    and for postUdiEvent the event type ``soc`` or ``soc-with-targets``)."""
    return fields.String(
        required=True,
        validate=validate.Length(min=1),
        metadata={"description": "The UDI event's entity address.", "example": UDI_EVENT},
    )


class SocTargetSchema(MessageSchema):
    """A state of charge to reach at a moment (in the message's ``unit``)."""

    value = StrictFloat(required=True, metadata={"example": 25})
    datetime = AwareTimestamp(required=True, metadata={"example": "2015-06-02T16:00:00+00:00"})


class PostUdiEventRequestSchema(MessageSchema):
    """The state of charge of a storage device, and optionally targets (seed: postUdiEvent)."""

    type = message_type("PostUdiEventRequest")
    event = udi_event_field()
    value = StrictFloat(required=True, metadata={"example": 12.1})
    unit = fields.String(
        required=True, validate=validate.OneOf(sorted(SOC_UNITS)), metadata={"example": "kWh"}
    )
    datetime = AwareTimestamp(required=True, metadata={"example": "2015-06-02T10:00:00+00:00"})
    targets = fields.List(
        fields.Nested(SocTargetSchema),
        validate=validate.Length(min=1),
        metadata={"description": "Required for soc-with-targets events."},
    )


class GetDeviceMessageRequestSchema(MessageSchema):
    """Request the schedule of a UDI event's device (seed: getDeviceMessage)."""

    type = message_type("GetDeviceMessageRequest")
    event = udi_event_field()
    duration = ISODuration(
        metadata={
            "description": "How far ahead (default PT6H, at most the planning horizon).",
            "example": "PT6H",
        }
    )


class RestoreDataRequestSchema(MessageSchema):
    """Restore the database to a named backup (play mode, admins; seed: Simulation)."""

    type = message_type("RestoreDataRequest")
    backup = fields.String(
        required=True,
        validate=validate.Length(min=1),
        metadata={"description": "Name of the backup.", "example": "demo_v0"},
    )


class StatusResponseSchema(MessageSchema):
    """The status of a processed or rejected request (seed: response messages)."""

    type = fields.String(
        metadata={
            "description": "The response type of a USEF-style service, e.g. PostMeterDataResponse."
        }
    )
    status = fields.String(required=True, metadata={"example": "PROCESSED"})
    message = fields.String(required=True, metadata={"example": "Request has been processed."})
    result = fields.String(
        validate=validate.OneOf(["Rejected"]),
        metadata={"description": "'Rejected' when the request failed."},
    )


class FieldErrorsResponseSchema(StatusResponseSchema):
    """422 UNPROCESSABLE_ENTITY: the input fails validation; ``message`` names each field."""

    status = fields.String(required=True, metadata={"example": "UNPROCESSABLE_ENTITY"})
    message = fields.Dict(
        keys=fields.String(),
        required=True,
        metadata={"example": {"latitude": ["Not a valid number."]}},
    )


class PowerValuesSchema(MessageSchema):
    """Power values (MW, consumption positive; null where nothing is known) of a connection."""

    connection = fields.String(metadata={"example": CONNECTION})
    values = fields.List(StrictFloat(allow_none=True), metadata={"example": [306.66, 0, None]})


class GetMeterDataResponseSchema(StatusResponseSchema, PowerValuesSchema):
    """Power of one connection (flat) or of several (``groups``)."""

    type = message_type("GetMeterDataResponse")
    groups = fields.List(fields.Nested(PowerValuesSchema))
    start = start_field(required=True)
    duration = duration_field(required=True)
    unit = fields.String(metadata={"example": POWER_UNIT})


class GetPrognosisResponseSchema(GetMeterDataResponseSchema):
    """Prognosed power of one connection (flat) or of several (``groups``)."""

    type = message_type("GetPrognosisResponse")


class GetConnectionResponseSchema(StatusResponseSchema):
    """The user's connections as entity addresses, newest first, with their names."""

    type = message_type("GetConnectionResponse")
    connections = fields.List(fields.String(), metadata={"example": [CONNECTION]})
    names = fields.List(fields.String(), metadata={"example": ["CS 1"]})


class ServiceSchema(MessageSchema):
    """One service of an API version: who may use it and what it does."""

    name = fields.String(metadata={"example": "getMeterData"})
    access = fields.List(fields.String(), metadata={"example": list(ALL_USEF_ROLES)})
    description = fields.String(metadata={"example": "Request meter reading"})


class GetServiceResponseSchema(StatusResponseSchema):
    """The services of an API version (optionally those of one role)."""

    type = message_type("GetServiceResponse")
    version = fields.String(metadata={"example": "2.0"})
    services = fields.List(fields.Nested(ServiceSchema))


MESSAGE_SCHEMAS: dict[str, type[Schema]] = {
    schema.__name__.removesuffix("Schema"): schema
    for schema in (
        PostMeterDataRequestSchema,
        PostPrognosisRequestSchema,
        PostPriceDataRequestSchema,
        PostWeatherDataRequestSchema,
        GetMeterDataRequestSchema,
        GetMeterDataResponseSchema,
        GetPrognosisRequestSchema,
        GetPrognosisResponseSchema,
        GetConnectionRequestSchema,
        GetConnectionResponseSchema,
        GetServiceRequestSchema,
        GetServiceResponseSchema,
        PostUdiEventRequestSchema,
        GetDeviceMessageRequestSchema,
        RestoreDataRequestSchema,
    )
}


def query_keys(request_type: str) -> frozenset[str] | None:
    """The keys a message of this type may have as query parameters (its fields' names),
    or None for a type without a schema (any keys)."""
    schema = MESSAGE_SCHEMAS.get(request_type)
    if schema is None:
        return None
    return frozenset(field.data_key or name for name, field in schema().fields.items())
