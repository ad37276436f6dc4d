"""Marshmallow fields shared by the schemas, and mapping model attributes to field names."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate


class DurationInMinutes(fields.Field):
    """A duration given and shown as a whole number of minutes (e.g. an event resolution).

    Loads a JSON integer into a ``timedelta``; dumps a ``timedelta`` as minutes (an integer
    when whole, else a fraction).
    """

    default_error_messages = {
        "invalid": "Not a valid number of minutes (a whole number).",
        "out_of_range": "Give between {lowest:,} and {highest:,} minutes.",
    }

    def __init__(self, *, limits: tuple[timedelta, timedelta] | None = None, **kwargs: Any):
        """``limits``: the smallest and largest valid duration (checked before a timedelta
        is made, so that huge integers are refused rather than overflow)."""
        super().__init__(**kwargs)
        self.limits = limits or (timedelta.min, timedelta.max)

    def _serialize(self, value: timedelta | None, attr: str | None, obj: Any, **kwargs: Any):
        if value is None:
            return None
        minutes = value.total_seconds() / 60
        return int(minutes) if minutes.is_integer() else minutes

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> timedelta:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.make_error("invalid")
        lowest, highest = (limit // timedelta(minutes=1) for limit in self.limits)
        if not lowest <= value <= highest:
            raise self.make_error("out_of_range", lowest=lowest, highest=highest)
        return timedelta(minutes=value)


# Ids of stored rows are PostgreSQL integers (serial): 1 up to 2**31 - 1.
MAX_ID = 2**31 - 1


def database_id(**kwargs: Any) -> fields.Integer:
    """A field for the id of a stored row: a JSON integer in the database's id range, so
    an id beyond it is a field error here instead of a database error later."""
    return fields.Integer(
        strict=True,
        validate=validate.Range(min=1, max=MAX_ID, error="No id is outside {min}..{max}."),
        **kwargs,
    )


class RoleIds(fields.List):
    """The ids of a user's roles: dumped from ``user.roles``, loaded as a list of ids."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(database_id(), **kwargs)

    def get_value(self, obj: Any, attr: str, accessor: Any = None, default: Any = None) -> Any:
        """The sorted ids of the object's roles."""
        return sorted(role.id for role in obj.roles)


def field_name_for(schema: Schema, attribute: str | None) -> str:
    """The name under which a schema shows a model attribute (``asset_type_name`` →
    ``asset_type``); ``_schema`` for no attribute, the attribute itself if not in the schema.
    """
    if attribute is None:
        return "_schema"
    for name, field in schema.fields.items():
        if (field.attribute or name) == attribute:
            return field.data_key or name
    return attribute


def field_error(schema: Schema, error: ValueError) -> dict[str, list[str]]:
    """A service's invalid-input error as marshmallow-style field messages."""
    return {field_name_for(schema, getattr(error, "field", None)): [str(error)]}


__all__ = [
    "MAX_ID",
    "DurationInMinutes",
    "RoleIds",
    "database_id",
    "ValidationError",
    "field_error",
    "field_name_for",
]
