"""Time at the edges of National Grid DSO's platforms, converted in one place.

The seed (section 4.2, "Time Zone treatment"): the Connected Data Portal and Market
Gateway speak UK clock time; the Flexible Power Portal (FPP) shows clock time in its user
interface but speaks UTC on its API. Inside FlexMeasures every moment is an aware UTC
datetime; this module is the only place that converts.

UK clock time is Europe/London: GMT (+00:00) in winter, BST (+01:00) in summer. Twice a
year the clock jumps:

- last Sunday of March, 01:00 GMT → 02:00 BST: that day has 23 hours and the clock times
  01:00 to 01:59 do not exist. A non-existent clock time is refused
  (``NonExistentClockTimeError``), never shifted silently.
- last Sunday of October, 02:00 BST → 01:00 GMT: that day has 25 hours and the clock times
  01:00 to 01:59 happen twice. An ambiguous clock time needs ``fold``: 0 for the first
  (BST, +01:00), 1 for the second (GMT, +00:00), as Python's ``datetime.fold``. Without it
  ``AmbiguousClockTimeError`` is raised, unless the time carries its UTC offset (which
  settles it). A chronological series of clock times (``uk_clock_series_to_utc``) settles
  the repeated hour by order: its first pass is BST, its second GMT.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd

UK_TIMEZONE = ZoneInfo("Europe/London")
SETTLEMENT_PERIOD = timedelta(minutes=30)
"""The length of a UK settlement period (the FPP's half-hourly readings)."""


class ClockTimeError(ValueError):
    """A UK clock time that does not name exactly one moment."""


class _ClockChangeError(ClockTimeError):
    """A naive UK clock time in the hour of a clock change; ``clock_time`` is kept."""

    problem = ""

    def __init__(self, clock_time: datetime):
        self.clock_time = clock_time
        super().__init__(f"The UK clock time {clock_time:%Y-%m-%d %H:%M} {self.problem}")


class NonExistentClockTimeError(_ClockChangeError):
    """A UK clock time skipped when the clocks go forward (01:00–01:59 on the last Sunday
    of March)."""

    problem = (
        "does not exist: the clocks go forward from 01:00 GMT to 02:00 BST that day. Give a "
        "time outside 01:00-01:59, or give it with its UTC offset."
    )


class AmbiguousClockTimeError(_ClockChangeError):
    """A UK clock time that happens twice when the clocks go back (01:00–01:59 on the last
    Sunday of October), given without ``fold`` or offset."""

    problem = (
        "happens twice: the clocks go back from 02:00 BST to 01:00 GMT that day. Say which "
        "one: fold=0 for the first (BST, +01:00) or fold=1 for the second (GMT, +00:00), or "
        "give the UTC offset."
    )


def uk_clock_to_utc(clock_time: datetime, fold: int | None = None) -> datetime:
    """The UTC moment of a UK clock time (Market Gateway, Connected Data Portal).

    A naive ``clock_time`` is read as Europe/London clock time; an aware one (with an
    offset) is converted as it is, and ``fold`` is then not needed. ``fold`` (0 or 1) picks
    the first or second of an ambiguous clock time and is ignored for other times. Raises
    NonExistentClockTimeError or AmbiguousClockTimeError (see the module docstring).
    """
    if clock_time.tzinfo is not None:
        return clock_time.astimezone(UTC)
    if fold not in (None, 0, 1):
        raise ClockTimeError(f"fold must be 0 or 1, not {fold!r}.")
    first = _as_utc(clock_time, 0)
    second = _as_utc(clock_time, 1)
    if _to_naive_clock(first) != clock_time:
        raise NonExistentClockTimeError(clock_time)
    if first == second:
        return first
    if fold is None:
        raise AmbiguousClockTimeError(clock_time)
    return second if fold else first


def _as_utc(clock_time: datetime, fold: int) -> datetime:
    """A naive UK clock time with this fold, in UTC (zoneinfo's reading, unchecked)."""
    return clock_time.replace(tzinfo=UK_TIMEZONE, fold=fold).astimezone(UTC)


def _to_naive_clock(moment: datetime) -> datetime:
    """A moment as naive UK clock time."""
    return moment.astimezone(UK_TIMEZONE).replace(tzinfo=None, fold=0)


def utc_to_uk_clock(moment: datetime) -> datetime:
    """An aware moment as aware UK clock time (its offset, +00:00 or +01:00, tells GMT from
    BST, and its ``fold`` is 1 for the second pass of the repeated hour)."""
    return _aware(moment, "moment").astimezone(UK_TIMEZONE)


def uk_clock_series_to_utc(clock_times: Sequence[datetime | str]) -> pd.DatetimeIndex:
    """The UTC moments of a chronological series of UK clock times (e.g. the rows of a
    Market Gateway CSV); naive times are UK clock time, aware ones are converted as they are.

    The repeated hour is settled by order: a clock time of the repeated hour that appears
    twice is BST (fold 0) the first time and GMT (fold 1) the second; one that appears once
    cannot be settled and raises AmbiguousClockTimeError. A non-existent clock time raises
    NonExistentClockTimeError.
    """
    seen: set[datetime] = set()
    moments = []
    for value in clock_times:
        clock_time = pd.Timestamp(value).to_pydatetime()
        if clock_time.tzinfo is None and _is_ambiguous(clock_time):
            if clock_time not in seen and _count(clock_times, clock_time) < 2:
                raise AmbiguousClockTimeError(clock_time)
            fold = 1 if clock_time in seen else 0
            seen.add(clock_time)
            moments.append(uk_clock_to_utc(clock_time, fold))
        else:
            moments.append(uk_clock_to_utc(clock_time))
    return pd.DatetimeIndex(moments, tz="UTC")


def _count(clock_times: Sequence[datetime | str], clock_time: datetime) -> int:
    """How often a naive clock time appears in a series."""
    return sum(pd.Timestamp(value).to_pydatetime() == clock_time for value in clock_times)


def _is_ambiguous(clock_time: datetime) -> bool:
    """Whether a naive UK clock time happens twice (a skipped one does not)."""
    first = _as_utc(clock_time, 0)
    return first != _as_utc(clock_time, 1) and _to_naive_clock(first) == clock_time


def parse_uk_clock_time(text: str, fold: int | None = None) -> datetime:
    """The UTC moment of an ISO 8601 UK clock time, e.g. "2026-10-25T01:30" (fold needed)
    or "2026-10-25T01:30+00:00" (the offset settles it). Errors as ``uk_clock_to_utc``,
    and ClockTimeError for text that is not ISO 8601."""
    return uk_clock_to_utc(_parse_iso(text), fold)


def parse_fpp_time(text: str) -> datetime:
    """The UTC moment of a Flexible Power Portal API time (ISO 8601, UTC: "Z" or "+00:00";
    no offset means UTC; another offset is converted)."""
    moment = _parse_iso(text)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def format_fpp_time(moment: datetime) -> str:
    """A moment as the Flexible Power Portal API writes it: UTC, e.g. "2026-03-29T01:00:00Z"."""
    return _aware(moment, "moment").astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def format_uk_clock_time(moment: datetime) -> str:
    """A moment as UK clock time with its offset, e.g. "2026-10-25T01:30:00+00:00"."""
    return utc_to_uk_clock(moment).isoformat()


def uk_day(day: date) -> tuple[datetime, datetime]:
    """The UTC start and end of a UK calendar day: 23 hours on the last Sunday of March,
    25 hours on the last Sunday of October, 24 otherwise."""
    start = datetime(day.year, day.month, day.day)
    following = start + timedelta(days=1)
    return uk_clock_to_utc(start), uk_clock_to_utc(following)


def settlement_periods(day: date) -> pd.DatetimeIndex:
    """The UTC starts of the half-hourly settlement periods of a UK day (46, 48 or 50)."""
    start, end = uk_day(day)
    return pd.date_range(start, end, freq=SETTLEMENT_PERIOD, inclusive="left", name="start")


def _parse_iso(text: str) -> datetime:
    """An ISO 8601 date-time ("Z" accepted); ClockTimeError if it is not one."""
    try:
        return datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise ClockTimeError(f"{text!r} is not an ISO 8601 date and time.") from exc


def _aware(moment: datetime, what: str) -> datetime:
    """The moment itself, if it is timezone-aware (ClockTimeError otherwise)."""
    if moment.tzinfo is None:
        raise ClockTimeError(f"The {what} {moment} must be timezone-aware (UTC inside).")
    return moment
