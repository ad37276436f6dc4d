"""Time helpers: ISO 8601 durations (with the seed's negative horizons), aware datetimes,
and resolution arithmetic. Pure functions; all datetimes are timezone-aware."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import isodate


class TimeParseError(ValueError):
    """A timestamp or duration could not be understood; the message says why."""


# Time series arithmetic (pandas) works within about 1677-2262 and with differences of at
# most about 292 years; within these bounds, sums and differences of parsed timestamps and
# durations (e.g. start + duration - prior) stay inside.
EARLIEST_TIMESTAMP = datetime(1900, 1, 1, tzinfo=UTC)
LATEST_TIMESTAMP = datetime(2100, 1, 1, tzinfo=UTC)
LONGEST_DURATION = timedelta(days=18250)


def parse_duration(text: str) -> timedelta:
    """Parse an ISO 8601 duration such as ``PT1H30M`` or ``-PT10M`` into a timedelta.

    Negative durations (``-PT10M``) break with ISO 8601 but are used by the seed for
    horizons after the fact. Years and months are refused: they have no fixed length.
    """
    if not isinstance(text, str) or not text.strip():
        raise TimeParseError(f"'{text}' is not an ISO 8601 duration (e.g. PT15M).")
    text = text.strip()
    negative = text.startswith("-")
    body = text.lstrip("+-").upper()
    try:
        duration = isodate.parse_duration(body)
    except OverflowError as exc:
        raise TimeParseError(f"Duration '{text}' is longer than supported.") from exc
    except (isodate.ISO8601Error, ValueError) as exc:
        raise TimeParseError(f"'{text}' is not an ISO 8601 duration (e.g. PT15M).") from exc
    if not isinstance(duration, timedelta):
        raise TimeParseError(
            f"Duration '{text}' uses years or months, which have no fixed length; "
            "use days, hours, minutes or seconds (e.g. P1D, PT1H)."
        )
    if duration > LONGEST_DURATION:
        raise TimeParseError(
            f"Duration '{text}' is longer than the supported 18250 days (50 years)."
        )
    return -duration if negative else duration


def duration_isoformat(duration: timedelta) -> str:
    """Format a timedelta as an ISO 8601 duration, e.g. 90 minutes → ``PT1H30M``."""
    if duration < timedelta(0):
        return "-" + duration_isoformat(-duration)
    text = isodate.duration_isoformat(duration)
    return "PT0S" if text in ("P0D", "PT0S", "P") else text


def parse_datetime(text: str) -> datetime:
    """Parse an ISO 8601 timestamp that must carry a time zone (``Z`` or an offset)."""
    if not isinstance(text, str) or not text.strip():
        raise TimeParseError(f"'{text}' is not an ISO 8601 timestamp.")
    try:
        moment = datetime.fromisoformat(text.strip().replace("z", "Z"))
    except ValueError as exc:
        raise TimeParseError(f"'{text}' is not an ISO 8601 timestamp.") from exc
    if moment.tzinfo is None:
        raise TimeParseError(
            f"Timestamp '{text}' has no time zone; add one, e.g. 'Z' for UTC or '+01:00'."
        )
    if not EARLIEST_TIMESTAMP <= moment < LATEST_TIMESTAMP:
        raise TimeParseError(f"Timestamp '{text}' is outside the supported years 1900 to 2099.")
    return moment


def to_utc_isoformat(moment: datetime) -> str:
    """Format an aware datetime in UTC, e.g. ``2015-01-01T00:00:00+00:00``."""
    return moment.astimezone(UTC).isoformat()


def server_now() -> datetime:
    """The current time, timezone-aware (UTC)."""
    return datetime.now(UTC)


def is_whole_multiple(duration: timedelta, resolution: timedelta) -> bool:
    """True if ``duration`` is a positive whole multiple of ``resolution``."""
    if resolution <= timedelta(0) or duration <= timedelta(0):
        return False
    return duration % resolution == timedelta(0)
