"""The latest measured state of sensors: their most recent measurement (not forecast)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, select, union_all

from flexmeasures.data import db
from flexmeasures.data.models.time_series import TimedBelief

# Sensors per statement (SQLite allows at most 500 parts in a UNION).
CHUNK = 200


@dataclass(frozen=True)
class LatestState:
    """A sensor's most recent measured event: its start (aware UTC) and value (sensor unit)."""

    event_start: datetime
    value: float


def latest_measurements(
    sensor_ids: Sequence[int], until: datetime | None = None
) -> dict[int, LatestState]:
    """The most recent measurement of each sensor whose event starts at or before ``until``.

    Measurements are beliefs with a horizon of zero or less; of several about the latest
    event, the most recent belief (smallest horizon; on a tie, the lowest source id) counts.
    ``until`` None means no limit (e.g. to show simulated future values in play mode).
    Sensors without measurements are left out. One statement per CHUNK sensors, each sensor
    one backward scan of the primary key index (not a scan of its whole history).
    """
    states: dict[int, LatestState] = {}
    unique_ids = list(dict.fromkeys(sensor_ids))
    for first in range(0, len(unique_ids), CHUNK):
        lookups = [_latest_of(sensor_id, until) for sensor_id in unique_ids[first : first + CHUNK]]
        statement = lookups[0] if len(lookups) == 1 else union_all(*lookups)
        for sensor_id, start, value in db.session.execute(statement):
            states[sensor_id] = LatestState(start, value)
    return states


def _latest_of(sensor_id: int, until: datetime | None) -> Select:
    """A query for the most recent measurement of one sensor (as a one-row subquery)."""
    conditions = [TimedBelief.sensor_id == sensor_id, TimedBelief.belief_horizon <= timedelta(0)]
    if until is not None:
        conditions.append(TimedBelief.event_start <= until)
    latest = (
        select(TimedBelief.sensor_id, TimedBelief.event_start, TimedBelief.event_value)
        .where(*conditions)
        .order_by(TimedBelief.event_start.desc(), TimedBelief.belief_horizon, TimedBelief.source_id)
        .limit(1)
        .subquery()
    )
    return select(latest.c.sensor_id, latest.c.event_start, latest.c.event_value)
