"""Beliefs as timely-beliefs ``BeliefsDataFrame``s: the data layer's Python API for plugins,
notebooks and ``flexmeasures shell``.

``search_beliefs`` runs the same belief search as the API (``flexmeasures.data.queries``:
one COPY statement on PostgreSQL, pandas on SQLite) and wraps its flat result in a
``BeliefsDataFrame``. The API, forecasting and scheduling keep using the flat search, so
they pay nothing for the wrapping (nor for importing timely-beliefs).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

import pandas as pd
import timely_beliefs as tb
from sqlalchemy import select

from flexmeasures.data import db, queries
from flexmeasures.data.models.data_source import DataSource
from flexmeasures.data.models.sensor import Sensor

SourceLike = DataSource | int


class BeliefSource(tb.BeliefSource):
    """A FlexMeasures data source inside a BeliefsDataFrame: named by its label (e.g.
    "MDC by mdc"), with the data source's ``id`` and ``type`` at hand."""

    def __init__(self, name: str, source_id: int, source_type: str):
        """A source named ``name`` for the data source with id ``source_id``."""
        super().__init__(name)
        self.id = source_id
        self.type = source_type


def search_beliefs(
    sensor: Sensor | int,
    start: datetime,
    end: datetime,
    horizon: timedelta | None = None,
    prior: datetime | None = None,
    source: SourceLike | Sequence[SourceLike] | None = None,
    most_recent: bool | str = True,
    kind: str = "all",
) -> tb.BeliefsDataFrame:
    """Beliefs about the events of one sensor (or asset, market, weather sensor) starting
    in [start, end), as a BeliefsDataFrame.

    The filters are those of ``flexmeasures.data.queries.search_beliefs``: ``horizon`` keeps
    beliefs formed at least that long before the end of their event, ``prior`` those formed
    at or before that moment, ``source`` those of these data sources (objects or ids),
    ``most_recent`` the most recent belief per event (True), per event and source
    ("per_source") or every belief (False); ``kind`` is "measurements", "forecasts" or "all".

    The frame's index levels are event_start, belief_time (aware UTC), source (a
    ``BeliefSource``) and cumulative_probability; its one column, event_value, is in the
    sensor's unit (``frame.sensor.unit``). Raises ValueError for an unknown sensor id.
    """
    sensor = _sensor(sensor)
    flat = queries.search_beliefs(
        [sensor.id],
        start,
        end,
        horizon=horizon,
        prior=prior,
        source_ids=_source_ids(source),
        most_recent=most_recent,
        kind=kind,
    )
    return to_beliefs_frame(flat, sensor, belief_sources(flat["source_id"].unique()))


def to_beliefs_frame(
    flat: pd.DataFrame, sensor: Sensor, sources: dict[int, BeliefSource]
) -> tb.BeliefsDataFrame:
    """Turn a flat belief frame (``queries.BELIEF_COLUMNS``) of one sensor into a
    BeliefsDataFrame. Belief time = event end - belief horizon; ``sources`` maps the
    frame's source ids to their BeliefSources."""
    frame = pd.DataFrame(
        {
            "event_start": flat["event_start"],
            "belief_time": flat["event_start"] + sensor.event_resolution - flat["belief_horizon"],
            "source": flat["source_id"].map(sources),
            "cumulative_probability": flat["cumulative_probability"],
            "event_value": flat["event_value"],
        }
    )
    return tb.BeliefsDataFrame(frame, sensor=timely_sensor(sensor))


def timely_sensor(sensor: Sensor) -> tb.Sensor:
    """The timely-beliefs description of a sensor: name, unit, timezone, event resolution.

    Its knowledge horizon is timely-beliefs' default (an event is known at its end), which
    makes the frame's belief horizons those stored in FlexMeasures."""
    return tb.Sensor(
        name=sensor.name,
        unit=sensor.unit,
        timezone=sensor.timezone,
        event_resolution=sensor.event_resolution,
    )


def belief_sources(source_ids: Iterable[int]) -> dict[int, BeliefSource]:
    """A BeliefSource for each of these data source ids, named by the source's label (with
    its id appended where two sources share a label, as a frame needs unique names)."""
    rows = db.session.scalars(
        select(DataSource).where(DataSource.id.in_([int(i) for i in source_ids]))
    ).all()
    labels = [row.label for row in rows]
    return {
        row.id: BeliefSource(
            row.label if labels.count(row.label) == 1 else f"{row.label} (source {row.id})",
            row.id,
            row.type,
        )
        for row in rows
    }


def _sensor(sensor: Sensor | int) -> Sensor:
    """The sensor itself, given it or its id."""
    if isinstance(sensor, Sensor):
        return sensor
    found = db.session.get(Sensor, sensor)
    if found is None:
        raise ValueError(f"No sensor with id {sensor}.")
    return found


def _source_ids(source: SourceLike | Sequence[SourceLike] | None) -> list[int] | None:
    """Ids of the data sources given as objects or ids (None: all sources)."""
    if source is None:
        return None
    sources = [source] if isinstance(source, DataSource | int) else list(source)
    return [s.id if isinstance(s, DataSource) else int(s) for s in sources]
