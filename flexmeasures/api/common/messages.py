"""Parsing USEF-style API messages into plain values (pure: no Flask, no database).

Notation handled for every API version (see the seed's Introduction → Notation):
- singular and plural keys alike (``connection``/``connections``, ``value``/``values``,
  ``group``/``groups``, ``sensor``/``sensors``, ``market``/``markets``, ``source``/``sources``);
- a list of ``groups``, or one group flattened into the message;
- ``start``, ``duration`` and ``unit`` stated outside the groups are inherited by each group;
- ``values`` with ``start`` + ``duration`` (resolution = duration / number of values), or
  the equivalent ``timeseries`` list of ``{"value", "start", "duration"}`` items.

Problems raise ``MessageError`` carrying the seed's status name and a human message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flexmeasures.api.common.numbers import NotAFiniteNumber, NotANumber, finite_float
from flexmeasures.utils.time_utils import (
    TimeParseError,
    duration_isoformat,
    parse_datetime,
    parse_duration,
)

PLURALS = {
    "connection": "connections",
    "sensor": "sensors",
    "market": "markets",
    "value": "values",
    "group": "groups",
    "source": "sources",
    "event": "events",
    "target": "targets",
}


class MessageError(Exception):
    """A message cannot be processed; ``status`` is the seed's status name (e.g. INVALID_UNIT).

    ``message`` is a sentence, or for UNPROCESSABLE_ENTITY a mapping of each field to its
    messages (see ``unprocessable_field``).
    """

    def __init__(
        self, status: str, message: str | dict[str, list[str]], http_status: int = 400
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.http_status = http_status


def unprocessable_field(field: str, problem: str) -> MessageError:
    """422 UNPROCESSABLE_ENTITY: the field's value cannot be used; ``message`` maps the
    field to what is wrong with it, as the REST endpoints' 422 answers do."""
    return MessageError("UNPROCESSABLE_ENTITY", {field: [problem]}, 422)


@dataclass(frozen=True)
class SeriesGroup:
    """Values for one group of entities (connections, sensors or markets).

    ``values`` are equally spaced over [start, start + duration); units as sent.
    """

    addresses: tuple[str, ...]
    values: tuple[float, ...]
    start: datetime
    duration: timedelta
    unit: str | None

    @property
    def resolution(self) -> timedelta:
        """The duration of each value's event."""
        return self.duration / len(self.values)

    @property
    def end(self) -> datetime:
        """The end of the last event."""
        return self.start + self.duration


def check_storable_text(value: Any) -> None:
    """Raise INVALID_REQUEST if any string in a (nested) message holds a NUL character or
    an unpaired surrogate, which no database text (nor UTF-8) can hold."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if "\x00" in item or any("\ud800" <= c <= "\udfff" for c in item):
                raise MessageError(
                    "INVALID_REQUEST",
                    "Text may not contain NUL characters or unpaired surrogates.",
                )
        elif isinstance(item, Mapping):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, (list, tuple)):
            pending.extend(item)


def get_list(message: Mapping[str, Any], key: str) -> list | None:
    """Return the value under the singular or plural form of ``key`` as a list (or None)."""
    plural = PLURALS.get(key, key)
    singular = next((s for s, p in PLURALS.items() if p == key), key)
    for name in (plural, singular):
        if name in message and message[name] is not None:
            value = message[name]
            return list(value) if isinstance(value, (list, tuple)) else [value]
    return None


def get_single(message: Mapping[str, Any], key: str) -> Any:
    """Return the value under ``key`` (singular or plural form); a one-item list is unwrapped."""
    values = get_list(message, key)
    if not values:
        return None
    if len(values) > 1:
        raise MessageError("INVALID_REQUEST", f"Expected one '{key}', got {len(values)}.")
    return values[0]


def check_message_type(message: Mapping[str, Any], expected_type: str) -> None:
    """Raise INVALID_MESSAGE_TYPE if the message states a type other than ``expected_type``."""
    stated = message.get("type")
    if stated is not None and stated != expected_type:
        raise MessageError(
            "INVALID_MESSAGE_TYPE", f"Request message should specify type '{expected_type}'."
        )


def parse_series_groups(message: Mapping[str, Any], entity_key: str) -> list[SeriesGroup]:
    """Parse the groups of a POST message with time series for ``entity_key`` entities.

    ``entity_key`` is "connection", "sensor" or "market". Raises MessageError.
    """
    groups = get_list(message, "groups")
    if groups is None:
        groups = [message]
    if not groups:
        raise MessageError("REQUIRED_INFO_MISSING", "The message has an empty list of groups.")
    return [_parse_group(group, message, entity_key) for group in groups]


def _parse_group(group: Any, message: Mapping[str, Any], entity_key: str) -> SeriesGroup:
    """Parse one group, inheriting start, duration and unit from the message."""
    if not isinstance(group, Mapping):
        raise MessageError("INVALID_REQUEST", "Each group should be a JSON object.")
    addresses = get_list(group, entity_key)
    if not addresses or not all(isinstance(a, (str, int)) for a in addresses):
        raise MessageError(
            "REQUIRED_INFO_MISSING", f"Each group needs one or more {PLURALS[entity_key]}."
        )
    unit = group.get("unit", message.get("unit"))
    if "timeseries" in group or "timeseries" in message:
        values, start, duration = parse_timeseries_notation(
            group.get("timeseries", message.get("timeseries"))
        )
    else:
        values = parse_values(get_list(group, "values"))
        start = parse_start(group.get("start", message.get("start")))
        duration = parse_duration_field(group.get("duration", message.get("duration")))
    check_resolution_divides(duration, len(values))
    return SeriesGroup(tuple(str(a) for a in addresses), values, start, duration, unit)


def parse_values(values: list | None) -> tuple[float, ...]:
    """Check that values are a non-empty list of finite numbers and return them as floats."""
    if not values:
        raise MessageError("REQUIRED_INFO_MISSING", "No values were given.")
    try:
        return tuple(finite_float(value) for value in values)
    except NotANumber as exc:
        raise MessageError("INVALID_REQUEST", f"Values should be numbers: {exc}.") from exc
    except NotAFiniteNumber as exc:
        raise MessageError("INVALID_REQUEST", f"Values should be finite numbers: {exc}.") from exc


def parse_start(text: Any) -> datetime:
    """Parse the ``start`` field: a timezone-aware ISO 8601 timestamp."""
    return parse_timestamp_field(text, "start")


def parse_timestamp_field(text: Any, field: str) -> datetime:
    """Parse a required timezone-aware timestamp field (INVALID_TIMEZONE if naive)."""
    if text is None:
        raise MessageError("REQUIRED_INFO_MISSING", f"The '{field}' field is missing.")
    if not isinstance(text, str):
        raise MessageError("INVALID_REQUEST", f"'{field}' should be an ISO 8601 timestamp string.")
    try:
        return parse_datetime(restore_plus_of_offset(text))
    except TimeParseError as exc:
        status = "INVALID_TIMEZONE" if "time zone" in str(exc) else "INVALID_REQUEST"
        raise MessageError(status, f"Invalid '{field}': {exc}") from exc


# In an unencoded query string, the "+" of an offset arrives as a space ("...T00:00:00 09:00").
_OFFSET_AFTER_SPACE = re.compile(r"(T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}(?::?\d{2})?)$")


def restore_plus_of_offset(text: str) -> str:
    """Turn a space before a time zone offset back into the "+" it was in the URL."""
    return _OFFSET_AFTER_SPACE.sub(r"\1+\2", text.strip())


def parse_duration_field(text: Any, field: str = "duration", positive: bool = True) -> timedelta:
    """Parse a required ISO 8601 duration field (positive unless ``positive`` is False)."""
    if text is None:
        raise MessageError("REQUIRED_INFO_MISSING", f"The '{field}' field is missing.")
    if not isinstance(text, str):
        raise MessageError("INVALID_REQUEST", f"'{field}' should be an ISO 8601 duration string.")
    try:
        duration = parse_duration(text)
    except TimeParseError as exc:
        raise MessageError("INVALID_REQUEST", f"Invalid '{field}': {exc}") from exc
    if positive and duration <= timedelta(0):
        raise MessageError("INVALID_REQUEST", f"'{field}' should be positive, not {text}.")
    return duration


def parse_horizon_field(text: Any) -> timedelta:
    """Parse a ``horizon``: an ISO 8601 duration, possibly negative, also accepted in the
    deprecated repeating-interval notation of a rolling horizon (``R/PT6H``, change log
    v1.3-7 and v2.0-2), which means the same as ``PT6H``.
    """
    if isinstance(text, str):
        text = re.sub(r"^\s*R\d*/", "", text)
    return parse_duration_field(text, "horizon", positive=False)


def check_resolution_divides(duration: timedelta, number_of_values: int) -> None:
    """Raise INVALID_RESOLUTION unless the duration splits into equal whole-second steps."""
    if (duration.total_seconds() * 1_000_000) % number_of_values or (
        duration / number_of_values
    ) % timedelta(seconds=1):
        raise MessageError(
            "INVALID_RESOLUTION",
            f"A duration of {duration_isoformat(duration)} does not divide into "
            f"{number_of_values} equal steps of "
            "whole seconds; send as many values as the duration has steps of the resolution.",
        )


def parse_timeseries_notation(items: Any) -> tuple[tuple[float, ...], datetime, timedelta]:
    """Turn ``[{"value", "start", "duration"}, ...]`` into (values, start, total duration).

    The items must be consecutive and of equal duration.
    """
    if not isinstance(items, list) or not items:
        raise MessageError("REQUIRED_INFO_MISSING", "'timeseries' should be a non-empty list.")
    if not all(isinstance(item, Mapping) for item in items):
        raise MessageError("INVALID_REQUEST", "Each timeseries item should be a JSON object.")
    starts = [parse_start(item.get("start")) for item in items]
    durations = [parse_duration_field(item.get("duration")) for item in items]
    values = parse_values([item.get("value") for item in items])
    consecutive = all(b - a == durations[0] for a, b in zip(starts, starts[1:], strict=False))
    if len(set(durations)) > 1 or not consecutive:
        raise MessageError(
            "INVALID_REQUEST", "Timeseries items should be consecutive and of equal duration."
        )
    return values, starts[0], durations[0] * len(items)
