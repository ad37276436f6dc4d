"""Sensors: every asset, market and weather sensor is one, so all share one belief table.

Joined-table inheritance: the ``sensor`` table holds what every time series needs (name,
unit, event resolution, time zone); ``asset``, ``market`` and ``weather_sensor`` add their
own columns and share the sensor's id. An asset's id is therefore also its sensor id.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import ForeignKey, Interval, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from flexmeasures.data import db


class Sensor(db.Model):
    """A time series of events with a fixed resolution, in one unit."""

    __tablename__ = "sensor"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    unit: Mapped[str] = mapped_column(String(80), default="")
    timezone: Mapped[str] = mapped_column(String(80), default="UTC")
    event_resolution: Mapped[timedelta] = mapped_column(Interval, default=timedelta(0))
    type: Mapped[str] = mapped_column(String(50), default="sensor")
    # A plain sensor (type "sensor") may belong to an asset (API v3_0's generic_asset_id).
    generic_asset_id: Mapped[int | None] = mapped_column(
        ForeignKey("sensor.id", ondelete="CASCADE")
    )
    # Free-form JSON object (as text), e.g. set through API v3_0.
    attributes: Mapped[str] = mapped_column(Text, default="{}")

    __mapper_args__ = {"polymorphic_on": "type", "polymorphic_identity": "sensor"}

    @property
    def asset_id(self) -> int | None:
        """The asset this sensor belongs to: an asset is its own (power) sensor."""
        return self.id if self.type == "asset" else self.generic_asset_id

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.id}: {self.name} ({self.unit})>"
