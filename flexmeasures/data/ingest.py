"""Saving beliefs in bulk, inside the caller's transaction.

``save_beliefs`` writes a frame of beliefs (see ``queries.BELIEF_COLUMNS``) with one
statement: on PostgreSQL by ``COPY`` into a temporary table and one ``INSERT ... SELECT``;
elsewhere by one multi-row ``INSERT``. It uses the session's connection, so the beliefs are
committed (or rolled back) together with everything else the request or command did.

What happens to a belief that is already stored (same sensor, event start, source, horizon
and cumulative probability) is the caller's choice:
- ``"ignore"``: keep the stored one (re-posting the same message is harmless);
- ``"overwrite"``: replace its value (play mode);
- ``"refuse"``: raise ``BeliefConflict`` before anything is written.
"""

from __future__ import annotations

import io
from typing import Literal

import numpy as np
import pandas as pd
from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from flexmeasures.data import db
from flexmeasures.data.models.time_series import TimedBelief
from flexmeasures.data.queries import BELIEF_COLUMNS

ConflictPolicy = Literal["ignore", "overwrite", "refuse"]
KEY_COLUMNS = ["sensor_id", "event_start", "source_id", "belief_horizon", "cumulative_probability"]


class BeliefConflict(Exception):
    """Some beliefs are stored already and the policy is to refuse them."""


def save_beliefs(beliefs: pd.DataFrame, on_conflict: ConflictPolicy = "ignore") -> int:
    """Save beliefs (BELIEF_COLUMNS; cumulative_probability defaults to 0.5) in bulk.

    Returns the number of beliefs that were new (or overwritten). Does not commit.
    Raises BeliefConflict with policy "refuse" if any belief is already stored, and
    ValueError for a frame with missing columns, NaN values or naive event starts.
    """
    frame = _normalised(beliefs)
    if frame.empty:
        return 0
    if db.session.get_bind().dialect.name == "postgresql":
        return _save_with_copy(frame, on_conflict)
    return _save_with_insert(frame, on_conflict)


def _normalised(beliefs: pd.DataFrame) -> pd.DataFrame:
    """Check the frame and return it with exactly BELIEF_COLUMNS, without duplicate keys."""
    frame = beliefs.copy()
    if "cumulative_probability" not in frame:
        frame["cumulative_probability"] = 0.5
    missing = [column for column in BELIEF_COLUMNS if column not in frame]
    if missing:
        raise ValueError(f"Beliefs lack the column(s): {', '.join(missing)}.")
    frame = frame[BELIEF_COLUMNS]
    if frame["event_value"].isna().any():
        raise ValueError("Beliefs must have values (found NaN).")
    if getattr(frame["event_start"].dt, "tz", None) is None:
        raise ValueError("Event starts must be timezone-aware.")
    frame["event_start"] = frame["event_start"].dt.tz_convert("UTC")
    return frame.drop_duplicates(subset=KEY_COLUMNS, keep="last")


_INCOMING_TABLE = (
    "CREATE TEMPORARY TABLE IF NOT EXISTS incoming_belief (sensor_id integer, "
    "event_start timestamptz, horizon_seconds float8, source_id integer, "
    "cumulative_probability float8, event_value float8) ON COMMIT DROP"
)
_INSERT_INCOMING = (
    f"INSERT INTO timed_belief ({', '.join(BELIEF_COLUMNS)}) "
    "SELECT sensor_id, event_start, make_interval(secs => horizon_seconds), source_id, "
    "cumulative_probability, event_value FROM incoming_belief "
    f"ON CONFLICT ({', '.join(KEY_COLUMNS)}) "
)


def _save_with_copy(frame: pd.DataFrame, on_conflict: ConflictPolicy) -> int:
    """PostgreSQL: COPY into a temporary table, then one INSERT ... SELECT.

    With policy "refuse", the insert runs in a savepoint that is rolled back when fewer
    rows were inserted than sent (some were stored already).
    """
    connection = db.session.connection()
    connection.execute(text(_INCOMING_TABLE))
    connection.execute(text("TRUNCATE incoming_belief"))
    _copy_binary(
        connection, "COPY incoming_belief FROM STDIN WITH (FORMAT binary)", _as_binary_copy(frame)
    )
    if on_conflict == "overwrite":
        statement = _INSERT_INCOMING + "DO UPDATE SET event_value = EXCLUDED.event_value"
        return connection.execute(text(statement)).rowcount
    if on_conflict == "ignore":
        return connection.execute(text(_INSERT_INCOMING + "DO NOTHING")).rowcount
    with connection.begin_nested():
        inserted = connection.execute(text(_INSERT_INCOMING + "DO NOTHING")).rowcount
        if inserted < len(frame):
            raise BeliefConflict(f"{len(frame) - inserted} of these beliefs are stored already.")
    return inserted


def _copy_binary(connection, statement: str, data: bytes) -> None:
    """Run a COPY ... FROM STDIN with binary data, with psycopg (3) or psycopg2."""
    cursor = connection.connection.dbapi_connection.cursor()
    try:
        if hasattr(cursor, "copy_expert"):  # psycopg2
            cursor.copy_expert(statement, io.BytesIO(data))
        else:
            with cursor.copy(statement) as copy:
                copy.write(data)
    finally:
        cursor.close()


# PostgreSQL's binary COPY format: a header, then per row a field count and, per field,
# its length and big-endian value; timestamps count microseconds since 2000-01-01 UTC.
_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")
_COPY_TRAILER = (-1).to_bytes(2, "big", signed=True)
_COPY_ROW = np.dtype(
    [
        ("fields", ">i2"),
        ("sensor_id_length", ">i4"),
        ("sensor_id", ">i4"),
        ("event_start_length", ">i4"),
        ("event_start", ">i8"),
        ("horizon_seconds_length", ">i4"),
        ("horizon_seconds", ">f8"),
        ("source_id_length", ">i4"),
        ("source_id", ">i4"),
        ("cumulative_probability_length", ">i4"),
        ("cumulative_probability", ">f8"),
        ("event_value_length", ">i4"),
        ("event_value", ">f8"),
    ]
)
_POSTGRES_EPOCH = np.datetime64("2000-01-01T00:00:00", "us")


def _as_binary_copy(frame: pd.DataFrame) -> bytes:
    """The frame in PostgreSQL's binary COPY format for the incoming_belief table."""
    rows = np.empty(len(frame), dtype=_COPY_ROW)
    rows["fields"] = 6
    for name in _COPY_ROW.names:
        if name.endswith("_length"):
            rows[name] = _COPY_ROW[name.removesuffix("_length")].itemsize
    starts = frame["event_start"].dt.tz_convert("UTC").dt.tz_localize(None).to_numpy()
    rows["sensor_id"] = frame["sensor_id"].to_numpy()
    rows["event_start"] = (starts.astype("datetime64[us]") - _POSTGRES_EPOCH).astype("int64")
    rows["horizon_seconds"] = frame["belief_horizon"].dt.total_seconds().to_numpy()
    rows["source_id"] = frame["source_id"].to_numpy()
    rows["cumulative_probability"] = frame["cumulative_probability"].to_numpy(dtype=float)
    rows["event_value"] = frame["event_value"].to_numpy(dtype=float)
    return _COPY_HEADER + rows.tobytes() + _COPY_TRAILER


def _save_with_insert(frame: pd.DataFrame, on_conflict: ConflictPolicy) -> int:
    """Other dialects (SQLite): one multi-row INSERT with an ON CONFLICT clause."""
    records = frame.to_dict("records")
    for record in records:
        record["event_start"] = record["event_start"].to_pydatetime()
        record["belief_horizon"] = record["belief_horizon"].to_pytimedelta()
    if on_conflict == "refuse" and _any_stored(frame):
        raise BeliefConflict("Some of these beliefs are stored already.")
    dialect_insert = (
        pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    )
    statement = dialect_insert(TimedBelief.__table__)
    if on_conflict == "overwrite":
        statement = statement.on_conflict_do_update(
            index_elements=KEY_COLUMNS, set_={"event_value": statement.excluded.event_value}
        )
    else:
        statement = statement.on_conflict_do_nothing(index_elements=KEY_COLUMNS)
    saved = 0
    for chunk_start in range(0, len(records), 2000):
        chunk = records[chunk_start : chunk_start + 2000]
        saved += db.session.execute(statement.values(chunk)).rowcount
    return saved


def _any_stored(frame: pd.DataFrame) -> bool:
    """True if any belief of the frame is stored already (generic, slower path)."""
    from flexmeasures.data.queries import search_beliefs

    stored = search_beliefs(
        frame["sensor_id"].unique().tolist(),
        frame["event_start"].min().to_pydatetime(),
        frame["event_start"].max().to_pydatetime() + pd.Timedelta(microseconds=1),
        most_recent=False,
    )
    if stored.empty:
        return False
    merged = frame.merge(stored, on=KEY_COLUMNS, how="inner")
    return not merged.empty
