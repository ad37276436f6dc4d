"""The one table of timed beliefs behind every sensor (asset, market, weather sensor)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import Date, Float, ForeignKey, Index, Interval, LargeBinary
from sqlalchemy.orm import Mapped, mapped_column

from flexmeasures.data import db
from flexmeasures.data.models.types import UTCDateTime


class TimedBelief(db.Model):
    """A belief of a source about one event of a sensor, held at a belief time.

    The event is ``[event_start, event_start + sensor.event_resolution)``. The belief time is
    ``event_start + event_resolution - belief_horizon``: a positive horizon is a forecast,
    zero or negative a measurement. ``event_value`` is in the sensor's unit (power in MW,
    consumption positive). The primary key's column order serves the most common read:
    one sensor, a window of events, the most recent belief per event and source.
    """

    __tablename__ = "timed_belief"
    __table_args__ = (Index("timed_belief_source_id_idx", "source_id"),)

    sensor_id: Mapped[int] = mapped_column(
        ForeignKey("sensor.id", ondelete="CASCADE"), primary_key=True
    )
    event_start: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    source_id: Mapped[int] = mapped_column(
        ForeignKey("data_source.id", ondelete="CASCADE"), primary_key=True
    )
    belief_horizon: Mapped[timedelta] = mapped_column(Interval, primary_key=True)
    cumulative_probability: Mapped[float] = mapped_column(Float, primary_key=True, default=0.5)
    event_value: Mapped[float] = mapped_column(Float)

    def __repr__(self) -> str:
        return (
            f"<TimedBelief sensor={self.sensor_id} event_start={self.event_start} "
            f"horizon={self.belief_horizon} source={self.source_id}: {self.event_value}>"
        )


class LatestBeliefDay(db.Model):
    """The most recent beliefs of one sensor, data source and kind (measurements or
    forecasts) about the events starting on one UTC day, packed: derived from
    ``timed_belief`` so that "most recent" reads need not sort every belief of a window.

    Per event the belief with the smallest horizon is kept (on a tie, the cumulative
    probability nearest 0.5, then the lower one). ``beliefs`` packs them by event start,
    per event four big-endian float8: the event start (seconds since the epoch), the
    belief horizon (seconds), the cumulative probability and the value (the sensor's
    unit). ``forecast`` is True for positive horizons; ``with_band`` says whether any belief of
    the day (of any horizon) has a cumulative probability other than 0.5.

    On PostgreSQL, triggers on ``timed_belief`` rebuild the days a statement touches
    (insert, COPY, update, delete, cascades, truncate), within that statement, whoever
    writes. On SQLite it stays empty and reads use ``timed_belief``. Derived data: not
    backed up (the triggers rebuild it when beliefs are loaded).
    """

    __tablename__ = "latest_belief_day"

    sensor_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    forecast: Mapped[bool] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    source_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    beliefs: Mapped[bytes] = mapped_column(LargeBinary)
    with_band: Mapped[bool] = mapped_column()
