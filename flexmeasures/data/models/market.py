"""Markets (where prices are set) and their types."""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from flexmeasures.data import db
from flexmeasures.data.models.sensor import Sensor


class MarketType(db.Model):
    """A kind of market (day_ahead, tou_tariff, ...) and its seasonalities."""

    __tablename__ = "market_type"

    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(80), default="", unique=True)
    daily_seasonality: Mapped[bool] = mapped_column(Boolean, default=False)
    weekly_seasonality: Mapped[bool] = mapped_column(Boolean, default=False)
    yearly_seasonality: Mapped[bool] = mapped_column(Boolean, default=False)

    def __repr__(self) -> str:
        return f"<MarketType {self.name}>"


class Market(Sensor):
    """A market whose prices are a time series (e.g. EUR/MWh per hour)."""

    __tablename__ = "market"

    id: Mapped[int] = mapped_column(ForeignKey("sensor.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = column_property(
        mapped_column("name", String(80), unique=True, nullable=False), Sensor.__table__.c.name
    )
    display_name: Mapped[str] = mapped_column(String(80), default="")
    market_type_name: Mapped[str] = mapped_column(ForeignKey("market_type.name"))

    market_type: Mapped[MarketType] = relationship(lazy="joined")

    __mapper_args__ = {"polymorphic_identity": "market", "inherit_condition": id == Sensor.id}
