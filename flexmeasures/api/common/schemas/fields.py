"""Marshmallow fields for the USEF-style message notation (seed: Introduction → Notation).

They validate with the same time functions as the message parser
(``flexmeasures.api.common.messages``), so a schema and the parser agree on what a valid
timestamp or duration is. ``openapi.py`` maps each field to its OpenAPI type.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from marshmallow import ValidationError, fields

from flexmeasures.utils.time_utils import TimeParseError, parse_datetime, parse_duration


class AwareTimestamp(fields.String):
    """A timezone-aware ISO 8601 timestamp such as ``2015-01-01T00:00:00+00:00``; loads as
    a datetime (naive timestamps are refused, as the API answers INVALID_TIMEZONE)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return parse_datetime(text)
        except TimeParseError as exc:
            raise ValidationError(str(exc)) from exc


class ISODuration(fields.String):
    """An ISO 8601 duration such as ``PT15M``; loads as a timedelta.

    With ``positive=True`` (the default) only durations above zero are valid; horizons may
    be negative (``-PT5M``: recorded five minutes after the event ended).
    """

    def __init__(self, *, positive: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.positive = positive

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> timedelta:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            duration = parse_duration(text)
        except TimeParseError as exc:
            raise ValidationError(str(exc)) from exc
        if self.positive and duration <= timedelta(0):
            raise ValidationError(f"The duration should be positive, not {text}.")
        return duration


class StrictFloat(fields.Float):
    """A finite JSON number (strings and booleans are refused, as the message parser does)."""

    def _validated(self, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.make_error("invalid")
        if not math.isfinite(value):
            raise self.make_error("special")
        return float(value)


class StrictBoolean(fields.Boolean):
    """A JSON ``true`` or ``false`` (numbers such as 0 and 1 are refused)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class OneOrMany(fields.List):
    """One item or a list of items; loads as a list.

    The API does not distinguish singular and plural keys (seed: Notation → Singular vs
    plural keys), so both ``connection`` and ``connections`` take one address or a list.
    ``plural=True`` marks the plural key (documented with the list form first).
    """

    def __init__(self, cls_or_instance: Any, *, plural: bool = False, **kwargs: Any) -> None:
        super().__init__(cls_or_instance, **kwargs)
        self.plural = plural

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> list:
        if not isinstance(value, (list, tuple)):
            value = [value]
        if not value:
            raise ValidationError("Give at least one item.")
        return super()._deserialize(value, attr, data, **kwargs)


def entity_address(description: str, example: str, plural: bool = False) -> OneOrMany:
    """A field for one or more entity addresses (ea1 notation or a shorthand)."""
    return OneOrMany(
        fields.String(),
        plural=plural,
        metadata={"description": description, "example": [example] if plural else example},
    )


def numbers(description: str, plural: bool = False, allow_none: bool = False) -> OneOrMany:
    """A field for one number (``value``) or a list of numbers (``values``)."""
    return OneOrMany(
        StrictFloat(allow_none=allow_none),
        plural=plural,
        metadata={"description": description, "example": [220, 210, 200] if plural else 220},
    )
