"""The latest measured state of sensors: their most recent measurement (not forecast)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, select

from flexmeasures.data import db
from flexmeasures.data.models.time_series import TimedBelief


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
    Sensors without measurements are left out. One query for all sensors.
    """
    if not sensor_ids:
        return {}
    conditions = [
        TimedBelief.sensor_id.in_(list(sensor_ids)),
        TimedBelief.belief_horizon <= timedelta(0),
    ]
    if until is not None:
        conditions.append(TimedBelief.event_start <= until)
    latest = (
        select(TimedBelief.sensor_id, func.max(TimedBelief.event_start).label("event_start"))
        .where(*conditions)
        .group_by(TimedBelief.sensor_id)
        .subquery()
    )
    rows = db.session.execute(
        select(TimedBelief.sensor_id, TimedBelief.event_start, TimedBelief.event_value)
        .join(
            latest,
            and_(
                TimedBelief.sensor_id == latest.c.sensor_id,
                TimedBelief.event_start == latest.c.event_start,
            ),
        )
        .where(TimedBelief.belief_horizon <= timedelta(0))
        .order_by(
            TimedBelief.sensor_id, TimedBelief.belief_horizon.desc(), TimedBelief.source_id.desc()
        )
    )
    # Rows come in order of preference, least preferred first: the last one per sensor wins.
    return {sensor_id: LatestState(start, value) for sensor_id, start, value in rows}
