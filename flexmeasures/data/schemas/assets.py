"""Assets in the v2.0 API: field names, types and units as the seed's examples show them."""

from __future__ import annotations

from marshmallow import Schema, fields
from marshmallow.validate import Length, OneOf, Range

from flexmeasures.data.physical_limits import EVENT_RESOLUTION_LIMITS
from flexmeasures.data.schemas.fields import MAX_ID, DurationInMinutes, database_id
from flexmeasures.data.services.assets import ASSET_UNITS

NAME_LENGTH = Length(min=1, max=80)


class AssetSchema(Schema):
    """An asset: ``asset_type`` by name, ``owner`` and ``market`` by id, ``event_resolution``
    in minutes, capacity in MW, state of charge in MWh, ``soc_datetime`` as ISO 8601 with a
    time zone.

    Required to create one: name, asset_type, unit, owner, event_resolution, capacity_in_mw,
    latitude and longitude (the seed's example of the required fields). Load with
    ``partial=True`` to change some fields. ``id`` is only shown; unknown fields are refused.
    """

    id = fields.Integer(dump_only=True, metadata={"description": "Asset (and sensor) id."})
    name = fields.String(required=True, validate=NAME_LENGTH)
    display_name = fields.String(
        validate=Length(max=80), metadata={"description": "Name in the UI (default: name)."}
    )
    asset_type = fields.String(
        required=True,
        attribute="asset_type_name",
        metadata={"description": "Name of the asset type, e.g. battery, solar."},
    )
    unit = fields.String(
        required=True,
        validate=OneOf(ASSET_UNITS, error="Unknown asset unit '{input}'; choose from: {choices}."),
        metadata={"description": "Unit of its power values: MW or kW."},
    )
    owner = database_id(required=True, attribute="owner_id", metadata={"description": "User id."})
    market = database_id(
        allow_none=True,
        attribute="market_id",
        metadata={"description": "Market id (default: the market epex_da, if it exists)."},
    )
    event_resolution = DurationInMinutes(
        required=True,
        limits=EVENT_RESOLUTION_LIMITS,
        metadata={"description": "Resolution of its data, in minutes (1 to 1,440)."},
    )
    capacity_in_mw = fields.Float(required=True, metadata={"description": "Capacity (MW)."})
    latitude = fields.Float(required=True, metadata={"description": "Decimal degrees."})
    longitude = fields.Float(required=True, metadata={"description": "Decimal degrees."})
    min_soc_in_mwh = fields.Float(allow_none=True, metadata={"description": "MWh."})
    max_soc_in_mwh = fields.Float(allow_none=True, metadata={"description": "MWh."})
    soc_in_mwh = fields.Float(allow_none=True, metadata={"description": "Last state of charge."})
    soc_datetime = fields.AwareDateTime(
        allow_none=True, metadata={"description": "When soc_in_mwh was measured (ISO 8601)."}
    )
    soc_udi_event_id = fields.Integer(
        strict=True,
        allow_none=True,
        validate=Range(min=-(2**31), max=2**31 - 1),
        metadata={"description": "UDI event that set the soc."},
    )


class AssetQuerySchema(Schema):
    """Query parameters of the asset listing: ``owner_id`` selects one owner's assets."""

    owner_id = fields.Integer(
        load_default=None,
        validate=Range(min=1, max=MAX_ID),
        metadata={"description": "User id."},
    )
