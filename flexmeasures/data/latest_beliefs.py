"""The most recent beliefs read from ``latest_belief_day`` (PostgreSQL), not by sorting
every belief in ``timed_belief``.

That table holds, per sensor, data source, kind (measurements: horizon <= 0; forecasts:
horizon > 0) and UTC day, the most recent belief about each event, packed as float8
arrays; triggers on ``timed_belief`` keep it right (see migration d4a8b2c6e913). A read
fetches the days of its window (a year of one sensor and source is 365 rows) and picks
the most recent belief per event (or per event and source) among the sources and kinds
with numpy. It answers "most recent" reads without a horizon or prior filter; these
filters need every belief, so ``queries`` reads ``timed_belief`` for them.

Per event, the most recent belief has the smallest horizon; on a tie the lowest source
id (per event only), then the cumulative probability nearest 0.5, then the lower one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from operator import itemgetter

import numpy as np
import pandas as pd

from flexmeasures.data import db

_KIND_FORECAST = {"measurements": False, "forecasts": True}


# One packed belief: event start (epoch seconds), horizon (seconds), probability, value.
PACKED_BELIEF = np.dtype(
    [
        ("event_start", ">f8"),
        ("belief_horizon", ">f8"),
        ("cumulative_probability", ">f8"),
        ("event_value", ">f8"),
    ]
)


@dataclass(frozen=True)
class PackedDay:
    """One row of latest_belief_day: a sensor's and source's latest beliefs about the
    events of one day, packed (``PACKED_BELIEF`` per event, by event start)."""

    sensor_id: int
    source_id: int
    beliefs: bytes


def fetch_days(
    sensor_ids: Sequence[int],
    start: datetime,
    end: datetime,
    kind: str = "all",
    source_ids: Sequence[int] | None = None,
) -> list[PackedDay]:
    """The packed days of the sensors (and sources) holding events in [start, end), of a
    kind ("measurements", "forecasts" or "all"), ordered by sensor, kind, day and source."""
    conditions, params = _day_conditions(sensor_ids, start, end, source_ids)
    if kind in _KIND_FORECAST:
        conditions.append("forecast = %(forecast)s")
        params["forecast"] = _KIND_FORECAST[kind]
    # Sorted here, not by PostgreSQL: sorting these wide rows would spill to disk.
    query = (
        "SELECT sensor_id, day, forecast, source_id, beliefs FROM latest_belief_day "
        f"WHERE {' AND '.join(conditions)}"
    )
    cursor = db.session.connection().connection.dbapi_connection.cursor()
    try:
        if hasattr(cursor, "copy"):  # psycopg (3): bytea in binary, without hex decoding
            cursor.execute(query, params, binary=True)
        else:
            cursor.execute(query, params)
        rows = sorted(cursor.fetchall(), key=itemgetter(0, 2, 1, 3))
    finally:
        cursor.close()
    return [PackedDay(row[0], row[3], bytes(row[4])) for row in rows]


def days_have_band(
    sensor_ids: Sequence[int],
    start: datetime,
    end: datetime,
    source_ids: Sequence[int] | None = None,
) -> bool:
    """False if no forecast of the sensors (and sources) on the UTC days of [start, end)
    has a cumulative probability other than 0.5; True if one may (some day has one, maybe
    outside the window)."""
    conditions, params = _day_conditions(sensor_ids, start, end, source_ids)
    conditions += ["forecast", "with_band"]
    query = f"SELECT EXISTS (SELECT 1 FROM latest_belief_day WHERE {' AND '.join(conditions)})"
    return bool(db.session.connection().exec_driver_sql(query, params).scalar())


def _day_conditions(
    sensor_ids: Sequence[int],
    start: datetime,
    end: datetime,
    source_ids: Sequence[int] | None,
) -> tuple[list[str], dict]:
    """WHERE conditions (psycopg placeholders) and parameters selecting the days of the
    sensors (and sources) with events in [start, end)."""
    conditions = ["sensor_id = ANY(%(sensor_ids)s)", "day >= %(first)s", "day <= %(last)s"]
    params: dict = {
        "sensor_ids": list(sensor_ids),
        "first": start.astimezone(UTC).date(),
        "last": (end - timedelta(microseconds=1)).astimezone(UTC).date(),
    }
    if source_ids is not None:
        conditions.append("source_id = ANY(%(source_ids)s)")
        params["source_ids"] = list(source_ids)
    return conditions, params


def unpack(days: Sequence[PackedDay], start: datetime, end: datetime) -> dict[str, np.ndarray]:
    """The beliefs of packed days about events in [start, end), as numpy columns:
    sensor_id, source_id (int64), event_start (int64 microseconds since the epoch),
    belief_horizon (float seconds), cumulative_probability, event_value (floats)."""
    counts = np.array([len(day.beliefs) // PACKED_BELIEF.itemsize for day in days], dtype="int64")
    packed = np.frombuffer(b"".join(day.beliefs for day in days), dtype=PACKED_BELIEF)

    def floats(field: str) -> np.ndarray:
        return packed[field].astype("float64")

    starts = np.rint(floats("event_start") * 1e6).astype("int64")
    keep = (starts >= _microseconds(start)) & (starts < _microseconds(end))
    columns = {
        "sensor_id": np.repeat(np.array([d.sensor_id for d in days], dtype="int64"), counts),
        "source_id": np.repeat(np.array([d.source_id for d in days], dtype="int64"), counts),
        "event_start": starts,
        "belief_horizon": floats("belief_horizon"),
        "cumulative_probability": floats("cumulative_probability"),
        "event_value": floats("event_value"),
    }
    if keep.all():  # e.g. a window of whole days
        return columns
    return {name: values[keep] for name, values in columns.items()}


def _microseconds(moment: datetime) -> int:
    """Microseconds since the epoch of an aware datetime (exact)."""
    return (moment.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)


def most_recent(columns: dict[str, np.ndarray], per_source: bool = False) -> dict[str, np.ndarray]:
    """Of beliefs as ``unpack`` gives them, the most recent per sensor and event (or per
    sensor, event and source), sorted by sensor, event start (and source); see the module
    doc for ties."""
    group = ["sensor_id", "event_start"] + (["source_id"] if per_source else [])
    if _strictly_increasing(columns, group):  # one belief per group, in order: nothing to pick
        return columns
    probability = columns["cumulative_probability"]
    ranked = ["belief_horizon"] + ([] if per_source else ["source_id"])
    keys = [probability, np.abs(probability - 0.5)]
    keys += [columns[name] for name in reversed(group + ranked)]
    order = np.lexsort(keys)
    ordered = {name: values[order] for name, values in columns.items()}
    first = np.ones(len(order), dtype=bool)
    if len(order):
        first[1:] = np.any([np.diff(ordered[name]) != 0 for name in group], axis=0)
    return {name: values[first] for name, values in ordered.items()}


def _strictly_increasing(columns: dict[str, np.ndarray], names: list[str]) -> bool:
    """True if the rows are sorted by these int64 columns with no two rows equal on all."""
    increasing = np.diff(columns[names[-1]]) > 0
    for name in reversed(names[:-1]):  # an earlier column decides where it differs
        step = np.diff(columns[name])
        increasing = (step > 0) | ((step == 0) & increasing)
    return bool(increasing.all())


def to_frame(columns: dict[str, np.ndarray]) -> pd.DataFrame:
    """Numpy belief columns (as ``unpack`` gives them) as a belief frame (see ``queries``)."""
    return pd.DataFrame(
        {
            "sensor_id": columns["sensor_id"],
            "event_start": pd.to_datetime(columns["event_start"], unit="us", utc=True),
            "belief_horizon": seconds_to_timedelta(columns["belief_horizon"]),
            "source_id": columns["source_id"],
            "cumulative_probability": columns["cumulative_probability"],
            "event_value": columns["event_value"],
        }
    )


def seconds_to_timedelta(seconds: np.ndarray) -> pd.TimedeltaIndex:
    """Float seconds as timedeltas, exactly as ``pd.to_timedelta(seconds, unit="s")`` gives
    them, but converting each distinct value once (beliefs share a few horizons)."""
    positions, distinct = pd.factorize(np.asarray(seconds, dtype="float64"))
    return pd.to_timedelta(distinct, unit="s")[positions]


def sums_per_event(columns: dict[str, np.ndarray]) -> pd.Series:
    """The sum of the values per event start (float, indexed by aware UTC event start,
    sorted)."""
    positions, starts = pd.factorize(columns["event_start"], sort=True)
    sums = np.bincount(positions, weights=columns["event_value"], minlength=len(starts))
    return pd.Series(sums, index=pd.to_datetime(starts, unit="us", utc=True))
