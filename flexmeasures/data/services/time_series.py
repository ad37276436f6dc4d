"""Removing beliefs in bulk: measurements (horizon ≤ 0) or prognoses (horizon > 0)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete

from flexmeasures.data import db
from flexmeasures.data.models import Sensor, TimedBelief


class InvalidSelectionError(ValueError):
    """The beliefs to delete are selected wrongly (unknown sensor, empty time window)."""


def delete_beliefs(
    measurements: bool,
    sensor_id: int | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> int:
    """Delete measurements (``measurements=True``: belief horizon ≤ 0) or prognoses
    (``measurements=False``: horizon > 0, i.e. forecasts and schedules); return how many.

    Optionally only those of one sensor (asset, market or weather sensor id) and of events
    starting in ``[start, end)`` (timezone-aware datetimes). One SQL DELETE statement;
    does not commit. Raises InvalidSelectionError for an unknown sensor or an empty window.
    """
    conditions = [_horizon_condition(measurements)]
    if sensor_id is not None:
        if db.session.get(Sensor, sensor_id) is None:
            raise InvalidSelectionError(f"There is no sensor (or asset) with id {sensor_id}.")
        conditions.append(TimedBelief.sensor_id == sensor_id)
    conditions.extend(_window_conditions(start, end))
    result = db.session.execute(
        delete(TimedBelief).where(*conditions),
        execution_options={"synchronize_session": False},
    )
    return result.rowcount


def _horizon_condition(measurements: bool) -> ColumnElement[bool]:
    """Select measurements (horizon ≤ 0) or prognoses (horizon > 0)."""
    if measurements:
        return TimedBelief.belief_horizon <= timedelta(0)
    return TimedBelief.belief_horizon > timedelta(0)


def _window_conditions(start: datetime | None, end: datetime | None) -> list[ColumnElement[bool]]:
    """Select events starting in [start, end); either bound may be left open."""
    for bound in (start, end):
        if bound is not None and bound.tzinfo is None:
            raise InvalidSelectionError(f"{bound} has no time zone; add one (e.g. +00:00).")
    if start is not None and end is not None and start >= end:
        raise InvalidSelectionError(f"The window is empty: {start} is not before {end}.")
    conditions = []
    if start is not None:
        conditions.append(TimedBelief.event_start >= start)
    if end is not None:
        conditions.append(TimedBelief.event_start < end)
    return conditions
