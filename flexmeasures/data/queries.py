"""Belief search: the one query behind the API, the UI, forecasting and scheduling.

``search_beliefs`` selects beliefs about events in a window for some sensors, optionally
filtered by a rolling horizon (recorded at least ``horizon`` before the end of each event),
a prior (recorded at or before a moment) and sources; by default it keeps only the most
recent belief per event (the smallest horizon; on a tie, the lowest source id, then the
cumulative probability nearest 0.5, then the lower one), or per event and source. Of a
belief given as several probabilities (a forecast's quantiles) that keeps the expected
value, the row closest to 0.5.

On PostgreSQL, most-recent reads without a horizon or prior filter come from the table of
latest beliefs per day (``latest_beliefs``), kept by triggers, so a year is not sorted;
the other reads happen in one indexed SQL statement on ``timed_belief``. On SQLite (the
embedded default) the window is read and the rest is done with pandas.

Returned frames have the columns of ``BELIEF_COLUMNS``: sensor_id, event_start (aware
UTC), belief_horizon (timedelta), source_id, cumulative_probability, event_value (in the
sensor's unit).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import select

from flexmeasures.data import db, latest_beliefs
from flexmeasures.data.models.sensor import Sensor
from flexmeasures.data.models.time_series import TimedBelief

BELIEF_COLUMNS = [
    "sensor_id",
    "event_start",
    "belief_horizon",
    "source_id",
    "cumulative_probability",
    "event_value",
]


@dataclass(frozen=True)
class BeliefFilter:
    """What to select: events in [start, end) of some sensors, and which beliefs about them.

    ``horizon``: keep beliefs with a belief horizon of at least this (rolling horizon).
    ``prior``: keep beliefs recorded at or before this moment (time travel).
    ``source_ids``: keep beliefs of these sources only (None: all sources).
    ``most_recent``: keep the most recent belief per event ("per_source": per event and
    source; False: every belief).
    ``kind``: "measurements" (horizon <= 0), "forecasts" (horizon > 0) or "all".
    """

    sensor_ids: tuple[int, ...]
    start: datetime
    end: datetime
    horizon: timedelta | None = None
    prior: datetime | None = None
    source_ids: tuple[int, ...] | None = None
    most_recent: bool | str = True
    kind: str = "all"


def search_beliefs(
    sensor_ids: Sequence[int],
    start: datetime,
    end: datetime,
    horizon: timedelta | None = None,
    prior: datetime | None = None,
    source_ids: Sequence[int] | None = None,
    most_recent: bool | str = True,
    kind: str = "all",
) -> pd.DataFrame:
    """Select beliefs about events of the sensors within [start, end), see the module doc.

    Returns a DataFrame with BELIEF_COLUMNS, sorted by sensor, event start and horizon.
    """
    belief_filter = BeliefFilter(
        sensor_ids=tuple(sensor_ids),
        start=start,
        end=end,
        horizon=horizon,
        prior=prior,
        source_ids=tuple(source_ids) if source_ids is not None else None,
        most_recent=most_recent,
        kind=kind,
    )
    if not belief_filter.sensor_ids or (source_ids is not None and not belief_filter.source_ids):
        return empty_belief_frame()
    if _reads_latest_days(belief_filter):
        frame = _search_in_days(belief_filter)
    elif _on_postgres():
        frame = _search_in_sql(belief_filter)
    else:
        frame = _filter_in_pandas(_read_window(belief_filter), belief_filter)
    return frame.reset_index(drop=True)


def _on_postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _reads_latest_days(belief_filter: BeliefFilter) -> bool:
    """True if the table of latest beliefs per day answers this filter (PostgreSQL, most
    recent beliefs, no horizon or prior filter)."""
    return (
        belief_filter.most_recent in (True, "per_source")
        and belief_filter.horizon is None
        and belief_filter.prior is None
        and _on_postgres()
    )


def _latest_columns(belief_filter: BeliefFilter) -> dict[str, np.ndarray]:
    """The most recent beliefs of the filter as numpy columns, from the latest days."""
    days = latest_beliefs.fetch_days(
        belief_filter.sensor_ids,
        belief_filter.start,
        belief_filter.end,
        belief_filter.kind,
        belief_filter.source_ids,
    )
    columns = latest_beliefs.unpack(days, belief_filter.start, belief_filter.end)
    return latest_beliefs.most_recent(columns, belief_filter.most_recent == "per_source")


def _search_in_days(belief_filter: BeliefFilter) -> pd.DataFrame:
    """PostgreSQL: the most recent beliefs from the table of latest beliefs per day."""
    columns = _latest_columns(belief_filter)
    if not len(columns["event_start"]):
        return empty_belief_frame()
    return latest_beliefs.to_frame(columns)


def empty_belief_frame() -> pd.DataFrame:
    """An empty frame with the belief columns and their types."""
    return pd.DataFrame(
        {
            "sensor_id": pd.Series(dtype="int64"),
            "event_start": pd.Series(dtype="datetime64[ns, UTC]"),
            "belief_horizon": pd.Series(dtype="timedelta64[ns]"),
            "source_id": pd.Series(dtype="int64"),
            "cumulative_probability": pd.Series(dtype="float64"),
            "event_value": pd.Series(dtype="float64"),
        }
    )


_DISTINCT_ON = {
    True: "DISTINCT ON (tb.sensor_id, tb.event_start)",
    "per_source": "DISTINCT ON (tb.sensor_id, tb.event_start, tb.source_id)",
    False: "",
}
_PROBABILITY_TIES = "abs(tb.cumulative_probability - 0.5), tb.cumulative_probability"
_ORDER_BY = {
    True: f"tb.sensor_id, tb.event_start, tb.belief_horizon, tb.source_id, {_PROBABILITY_TIES}",
    "per_source": (
        f"tb.sensor_id, tb.event_start, tb.source_id, tb.belief_horizon, {_PROBABILITY_TIES}"
    ),
    False: f"tb.sensor_id, tb.event_start, tb.belief_horizon, tb.source_id, {_PROBABILITY_TIES}",
}


_KIND_CONDITIONS = {
    "measurements": "tb.belief_horizon <= interval '0'",
    "forecasts": "tb.belief_horizon > interval '0'",
}


def _search_in_sql(belief_filter: BeliefFilter) -> pd.DataFrame:
    """PostgreSQL: filter and pick the most recent beliefs in one statement.

    Times travel as float seconds since the epoch, and with psycopg (3) the rows are
    streamed by ``COPY ... TO STDOUT`` into pandas' CSV reader: no Python object per row.
    """
    conditions, params = _sql_conditions(belief_filter)
    # The sensor's resolution is only needed to compute belief times for a prior filter.
    join = " JOIN sensor s ON s.id = tb.sensor_id" if belief_filter.prior is not None else ""
    query = (
        f"SELECT {_DISTINCT_ON[belief_filter.most_recent]} tb.sensor_id, "
        "EXTRACT(EPOCH FROM tb.event_start)::float8, "
        "EXTRACT(EPOCH FROM tb.belief_horizon)::float8, tb.source_id, "
        "tb.cumulative_probability, tb.event_value "
        f"FROM timed_belief tb{join} "
        f"WHERE {' AND '.join(conditions)} "
        f"ORDER BY {_ORDER_BY[belief_filter.most_recent]}"
    )
    cursor = db.session.connection().connection.dbapi_connection.cursor()
    try:
        if not hasattr(cursor, "copy"):  # psycopg2: fetch the rows
            cursor.execute(query, params)
            return _epoch_columns_to_frame(list(zip(*cursor.fetchall(), strict=True)))
        with cursor.copy(f"COPY ({query}) TO STDOUT WITH (FORMAT csv)", params) as copy:
            data = b"".join(bytes(block) for block in copy)
    finally:
        cursor.close()
    if not data:
        return empty_belief_frame()
    table = pd.read_csv(io.BytesIO(data), header=None, dtype="float64")
    return _epoch_columns_to_frame([table[i].to_numpy() for i in range(6)])


def _sql_conditions(belief_filter: BeliefFilter) -> tuple[list[str], dict]:
    """WHERE conditions (psycopg placeholders) and parameters of a belief filter."""
    conditions = [
        "tb.sensor_id = ANY(%(sensor_ids)s)",
        "tb.event_start >= %(start)s",
        "tb.event_start < %(end)s",
    ]
    params: dict = {
        "sensor_ids": list(belief_filter.sensor_ids),
        "start": belief_filter.start,
        "end": belief_filter.end,
    }
    if belief_filter.horizon is not None:
        conditions.append("tb.belief_horizon >= %(horizon)s")
        params["horizon"] = belief_filter.horizon
    if belief_filter.prior is not None:
        conditions.append("tb.event_start + s.event_resolution - tb.belief_horizon <= %(prior)s")
        params["prior"] = belief_filter.prior
    if belief_filter.kind in _KIND_CONDITIONS:
        conditions.append(_KIND_CONDITIONS[belief_filter.kind])
    if belief_filter.source_ids is not None:
        conditions.append("tb.source_id = ANY(%(source_ids)s)")
        params["source_ids"] = list(belief_filter.source_ids)
    return conditions, params


def _epoch_columns_to_frame(columns: Sequence) -> pd.DataFrame:
    """Turn columns with epoch-second times (in BELIEF_COLUMNS order) into a belief frame."""
    if not len(columns) or not len(columns[0]):
        return empty_belief_frame()
    starts = np.rint(np.asarray(columns[1], dtype="float64") * 1e6).astype("int64")
    return pd.DataFrame(
        {
            "sensor_id": np.asarray(columns[0]).astype("int64"),
            "event_start": pd.to_datetime(starts, unit="us", utc=True),
            "belief_horizon": latest_beliefs.seconds_to_timedelta(columns[2]),
            "source_id": np.asarray(columns[3]).astype("int64"),
            "cumulative_probability": np.asarray(columns[4], dtype="float64"),
            "event_value": np.asarray(columns[5], dtype="float64"),
        }
    )


def _rows_to_frame(rows: Sequence) -> pd.DataFrame:
    """Turn ORM result rows (in BELIEF_COLUMNS order) into a typed belief frame."""
    if not rows:
        return empty_belief_frame()
    frame = pd.DataFrame.from_records(rows, columns=BELIEF_COLUMNS)
    frame["event_start"] = pd.to_datetime(frame["event_start"], utc=True)
    frame["belief_horizon"] = pd.to_timedelta(frame["belief_horizon"])
    frame["event_value"] = frame["event_value"].astype(float)
    return frame


def _read_window(belief_filter: BeliefFilter) -> pd.DataFrame:
    """Read every belief in the window (other dialects than PostgreSQL)."""
    query = select(
        TimedBelief.sensor_id,
        TimedBelief.event_start,
        TimedBelief.belief_horizon,
        TimedBelief.source_id,
        TimedBelief.cumulative_probability,
        TimedBelief.event_value,
    ).where(
        TimedBelief.sensor_id.in_(belief_filter.sensor_ids),
        TimedBelief.event_start >= belief_filter.start,
        TimedBelief.event_start < belief_filter.end,
    )
    if belief_filter.source_ids is not None:
        query = query.where(TimedBelief.source_id.in_(belief_filter.source_ids))
    return _rows_to_frame(db.session.execute(query).all())


def _filter_in_pandas(frame: pd.DataFrame, belief_filter: BeliefFilter) -> pd.DataFrame:
    """Apply the horizon and prior filters and keep the most recent beliefs, with pandas."""
    if frame.empty:
        return frame
    if belief_filter.horizon is not None:
        frame = frame[frame["belief_horizon"] >= belief_filter.horizon]
    if belief_filter.kind == "measurements":
        frame = frame[frame["belief_horizon"] <= pd.Timedelta(0)]
    elif belief_filter.kind == "forecasts":
        frame = frame[frame["belief_horizon"] > pd.Timedelta(0)]
    if belief_filter.prior is not None:
        resolutions = _event_resolutions(belief_filter.sensor_ids)
        ends = frame["event_start"] + frame["sensor_id"].map(resolutions)
        frame = frame[ends - frame["belief_horizon"] <= pd.Timestamp(belief_filter.prior)]
    keys = {
        True: ["sensor_id", "event_start"],
        "per_source": ["sensor_id", "event_start", "source_id"],
    }
    distance = (frame["cumulative_probability"] - 0.5).abs().rename("distance")
    order = ["sensor_id", "event_start", "belief_horizon", "source_id"]
    if belief_filter.most_recent == "per_source":
        order = ["sensor_id", "event_start", "source_id", "belief_horizon"]
    ranked = pd.concat([frame, distance], axis=1)
    ranked = ranked.sort_values([*order, "distance", "cumulative_probability"], kind="stable")
    frame = ranked.drop(columns="distance")
    if belief_filter.most_recent in keys:
        frame = frame.drop_duplicates(subset=keys[belief_filter.most_recent], keep="first")
    return frame


def _event_resolutions(sensor_ids: Sequence[int]) -> dict[int, pd.Timedelta]:
    """Map sensor ids to their event resolutions."""
    rows = db.session.execute(
        select(Sensor.id, Sensor.event_resolution).where(Sensor.id.in_(sensor_ids))
    ).all()
    return {sensor_id: pd.Timedelta(resolution) for sensor_id, resolution in rows}


def resample_events(
    values: pd.Series,
    from_resolution: timedelta,
    to_resolution: timedelta,
    start: datetime,
    end: datetime,
) -> pd.Series:
    """Resample event values (indexed by event start, at ``from_resolution``) to ``to_resolution``.

    Downsampling averages the known values within each coarser event (right for power in
    MW, prices and temperatures); upsampling repeats each value over its finer steps (an
    average power holds for every sub-step). The result covers [start, end) exactly, with
    NaN where nothing was known.
    """
    start, end = pd.Timestamp(start).tz_convert("UTC"), pd.Timestamp(end).tz_convert("UTC")
    index = pd.date_range(start, end, freq=to_resolution, inclusive="left")
    if values.empty:
        return pd.Series(float("nan"), index=index, dtype=float)
    if to_resolution > from_resolution:
        means = values.resample(to_resolution, origin=start).mean()
        return means.reindex(index)
    if to_resolution < from_resolution:
        limit = int(from_resolution / to_resolution) - 1
        return values.reindex(index, method="ffill", limit=limit)
    return values.reindex(index)


def sum_most_recent_beliefs(
    sensor_ids: Sequence[int],
    start: datetime,
    end: datetime,
    horizon: timedelta | None = None,
    source_ids: Sequence[int] | None = None,
    kind: str = "all",
) -> pd.Series:
    """Per event start, the sum over the sensors of their most recent belief (the first row
    ``search_beliefs`` keeps per sensor and event); events no sensor knows are absent.

    The same selection as ``search_beliefs(..., most_recent=True)`` summed per event start,
    but on PostgreSQL the sum is taken in SQL, so one row per event travels instead of one
    per sensor and event. Returns a float Series indexed by aware UTC event start, sorted.
    """
    belief_filter = BeliefFilter(
        sensor_ids=tuple(sensor_ids),
        start=start,
        end=end,
        horizon=horizon,
        source_ids=tuple(source_ids) if source_ids is not None else None,
        kind=kind,
    )
    if not belief_filter.sensor_ids or (source_ids is not None and not belief_filter.source_ids):
        return _empty_sum()
    if _reads_latest_days(belief_filter):
        columns = _latest_columns(belief_filter)
        return (
            latest_beliefs.sums_per_event(columns) if len(columns["event_start"]) else _empty_sum()
        )
    if _on_postgres():
        return _sum_in_sql(belief_filter)
    frame = _filter_in_pandas(_read_window(belief_filter), belief_filter)
    if frame.empty:
        return _empty_sum()
    sums = frame.groupby("event_start", sort=True)["event_value"].sum(min_count=1)
    return pd.Series(sums.to_numpy(dtype="float64"), index=pd.DatetimeIndex(sums.index))


def _empty_sum() -> pd.Series:
    return pd.Series(index=pd.DatetimeIndex([], tz="UTC"), dtype="float64")


def _sum_in_sql(belief_filter: BeliefFilter) -> pd.Series:
    """PostgreSQL: the most recent belief per sensor and event, summed per event in SQL."""
    conditions, params = _sql_conditions(belief_filter)
    query = (
        "SELECT EXTRACT(EPOCH FROM latest.event_start)::float8, SUM(latest.event_value) "
        f"FROM (SELECT {_DISTINCT_ON[True]} tb.event_start, tb.event_value "
        f"FROM timed_belief tb WHERE {' AND '.join(conditions)} "
        f"ORDER BY {_ORDER_BY[True]}) AS latest "
        "GROUP BY latest.event_start ORDER BY latest.event_start"
    )
    rows = [tuple(row) for row in db.session.connection().exec_driver_sql(query, params)]
    if not rows:
        return _empty_sum()
    table = np.array(rows, dtype="float64")  # (start in epoch seconds, sum) per event
    index = pd.to_datetime(np.rint(table[:, 0] * 1e6).astype("int64"), unit="us", utc=True)
    return pd.Series(table[:, 1], index=index)
