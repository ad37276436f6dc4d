"""The one table of timed beliefs behind every sensor (asset, market, weather sensor)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Float, ForeignKey, Index, Interval
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
