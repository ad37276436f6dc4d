"""The resolution grid of a sensor: the moments its events may start (pure).

A resolution that divides a day (PT15M, PT1H, P1D, ...) has its grid anchored at local
midnight in the sensor's time zone: PT15M events start at :00, :15, :30 and :45, hourly
events on the local hour, daily events at local midnight. Other resolutions (e.g. PT7M)
are anchored at the Unix epoch (1970-01-01T00:00 UTC).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

DAY = timedelta(days=1)
_UNITS = (("day", DAY), ("hour", timedelta(hours=1)), ("minute", timedelta(minutes=1)))
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def offset_from_grid(start: datetime, resolution: timedelta, timezone: str = "UTC") -> timedelta:
    """How far an aware ``start`` lies after the latest grid moment at or before it
    (zero when it lies on the grid; always zero for a zero resolution)."""
    if resolution <= timedelta(0):
        return timedelta(0)
    if DAY % resolution == timedelta(0):
        local = start.astimezone(ZoneInfo(timezone))
        since_midnight = timedelta(
            hours=local.hour,
            minutes=local.minute,
            seconds=local.second,
            microseconds=local.microsecond,
        )
        return since_midnight % resolution
    return (start - EPOCH) % resolution


def describe_grid(resolution: timedelta, timezone: str = "UTC") -> str:
    """The grid in words, e.g. "every 15 minutes from midnight (UTC)"."""
    if DAY % resolution == timedelta(0):
        return f"every {_in_words(resolution)} from midnight ({timezone})"
    return f"every {_in_words(resolution)} from 1970-01-01T00:00:00+00:00"


def _in_words(duration: timedelta) -> str:
    """A duration in the largest whole unit, e.g. "15 minutes", "hour", "30 seconds"."""
    for unit, size in _UNITS:
        if duration % size == timedelta(0):
            count = duration // size
            return unit if count == 1 else f"{count} {unit}s"
    seconds = duration.total_seconds()
    return f"{seconds:g} seconds"
