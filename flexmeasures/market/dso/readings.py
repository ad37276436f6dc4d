"""Meter readings of a meterable unit for the Flexible Power Portal: pure.

The FPP collects metering through two APIs (seed section 3.3): ``PUT readings`` (minute by
minute) and ``PUT readings/energy`` (half-hourly), built out per meterable unit. The seed
names them but not their fields; the payloads here are FlexMeasures' own, documented in
documentation/dso.md:

``readings``: {"meterable_unit_id", "kind": "readings", "unit": "MW", "interval": "PT1M",
"timestamp": "start"|"end", "sign": "import_positive"|"export_positive",
"readings": [{"timestamp": "2026-03-29T00:00:00Z", "value": 0.5}, ...]}: the average power
of the unit over each minute.

``readings/energy``: the same with "kind": "energy", "unit": "MWh", "interval": "PT30M":
the energy of each half hour (UK settlement period; UTC half hours are also UK ones).

Conventions, both configurable: ``timestamp`` says which instant of its interval a
reading is stamped with (its start or its end; times in UTC, as the FPP API speaks), and
``sign`` whether import (consumption, USEF's and FlexMeasures' positive) or export is
positive. A reading needs a measurement of every asset of the unit for its whole interval;
intervals without are listed as missing, never filled in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pandas as pd

from flexmeasures.market.dso.clock import SETTLEMENT_PERIOD, format_fpp_time

MINUTE = timedelta(minutes=1)
READINGS = "readings"
ENERGY = "energy"
KINDS = (READINGS, ENERGY)
STAMP_START = "start"
STAMP_END = "end"
IMPORT_POSITIVE = "import_positive"
EXPORT_POSITIVE = "export_positive"


class InvalidReadingsRequestError(ValueError):
    """A readings export that cannot be made as asked; the message says why."""


@dataclass(frozen=True)
class ReadingsConventions:
    """How readings are written: ``kind`` (READINGS: minute power in MW, ENERGY: half-hour
    energy in MWh), ``timestamp`` (STAMP_START or STAMP_END of each interval) and ``sign``
    (IMPORT_POSITIVE, as FlexMeasures, or EXPORT_POSITIVE)."""

    kind: str = READINGS
    timestamp: str = STAMP_START
    sign: str = IMPORT_POSITIVE

    def __post_init__(self) -> None:
        """Refuse unknown conventions with InvalidReadingsRequestError."""
        for name, value, allowed in (
            ("kind", self.kind, KINDS),
            ("timestamp", self.timestamp, (STAMP_START, STAMP_END)),
            ("sign", self.sign, (IMPORT_POSITIVE, EXPORT_POSITIVE)),
        ):
            if value not in allowed:
                raise InvalidReadingsRequestError(
                    f"Unknown {name} convention {value!r}; use {' or '.join(allowed)}."
                )

    @property
    def interval(self) -> timedelta:
        """The length of one reading's interval: a minute or a half hour."""
        return MINUTE if self.kind == READINGS else SETTLEMENT_PERIOD


def unit_power(asset_power: pd.DataFrame) -> pd.Series:
    """The unit's power per minute (MW, consumption positive) from its assets' (one column
    each, minute steps, NaN where unknown); NaN where any asset is unknown."""
    if asset_power.shape[1] == 0:
        raise InvalidReadingsRequestError("The meterable unit has no assets.")
    return asset_power.sum(axis=1, min_count=asset_power.shape[1]).rename("power")


def interval_values(minute_power: pd.Series, conventions: ReadingsConventions) -> pd.Series:
    """Per interval start (UTC), the minute power (MW) or the half-hour energy (MWh) in
    the unit's sign convention; NaN where a minute of the interval is unknown.

    ``minute_power``: MW per minute (consumption positive), indexed by aware UTC minute
    starts covering whole intervals from an interval boundary.
    """
    _check_grid(minute_power.index, conventions.interval)
    sign = 1.0 if conventions.sign == IMPORT_POSITIVE else -1.0
    if conventions.kind == READINGS:
        return sign * minute_power.astype(float)
    per_minute_mwh = minute_power.astype(float) * (MINUTE / timedelta(hours=1))
    steps = int(conventions.interval / MINUTE)
    energy = per_minute_mwh.resample(conventions.interval, origin="epoch").sum(min_count=steps)
    return sign * energy


def _check_grid(index: pd.DatetimeIndex, interval: timedelta) -> None:
    """The minutes must be aware UTC, consecutive, and cover whole intervals."""
    if len(index) == 0:
        raise InvalidReadingsRequestError("There is no time to export readings for.")
    if index.tz is None:
        raise InvalidReadingsRequestError("Reading times must be timezone-aware (UTC).")
    start, end = index[0], index[-1] + MINUTE
    aligned = (start - pd.Timestamp(0, tz="UTC")) % interval == timedelta(0)
    if (
        not aligned
        or (end - start) % interval != timedelta(0)
        or len(index) != (end - start) / MINUTE
    ):
        raise InvalidReadingsRequestError(
            f"Readings of {_duration(interval)} need a window from a whole {_duration(interval)} "
            f"(UTC) to a whole {_duration(interval)}, not {format_fpp_time(start)} to "
            f"{format_fpp_time(end)}."
        )


def _duration(interval: timedelta) -> str:
    """ "1 minute" or "30 minutes"."""
    minutes = int(interval / MINUTE)
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


def readings_payload(
    meterable_unit_id: str, values: pd.Series, conventions: ReadingsConventions
) -> dict:
    """The JSON payload (see the module docstring) of the known interval values, and under
    "missing" the stamps of the intervals without a value."""
    offset = conventions.interval if conventions.timestamp == STAMP_END else timedelta(0)
    known = values.dropna()
    return {
        "meterable_unit_id": meterable_unit_id,
        "kind": conventions.kind,
        "unit": "MW" if conventions.kind == READINGS else "MWh",
        "interval": "PT1M" if conventions.kind == READINGS else "PT30M",
        "timestamp": conventions.timestamp,
        "sign": conventions.sign,
        "readings": [
            {"timestamp": format_fpp_time(start + offset), "value": round(float(value), 9)}
            for start, value in known.items()
        ],
        "missing": [format_fpp_time(start + offset) for start in values.index[values.isna()]],
    }
