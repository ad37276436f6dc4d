"""Assets (things with a grid connection that produce or consume power) and their types."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from flexmeasures.data import db
from flexmeasures.data.models.sensor import Sensor
from flexmeasures.data.models.types import UTCDateTime
from flexmeasures.data.models.user import User


class AssetType(db.Model):
    """A kind of asset (solar, wind, battery, ...) and what it can do."""

    __tablename__ = "asset_type"

    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(80), default="", unique=True)
    is_consumer: Mapped[bool] = mapped_column(Boolean, default=False)
    is_producer: Mapped[bool] = mapped_column(Boolean, default=False)
    can_curtail: Mapped[bool] = mapped_column(Boolean, default=False)
    can_shift: Mapped[bool] = mapped_column(Boolean, default=False)
    daily_seasonality: Mapped[bool] = mapped_column(Boolean, default=False)
    weekly_seasonality: Mapped[bool] = mapped_column(Boolean, default=False)
    yearly_seasonality: Mapped[bool] = mapped_column(Boolean, default=False)

    def __repr__(self) -> str:
        return f"<AssetType {self.name}>"


class Asset(Sensor):
    """An asset at a grid connection; its power is measured in MW (consumption positive)."""

    __tablename__ = "asset"
    __table_args__ = (
        UniqueConstraint("owner_id", "name", name="asset_owner_id_name_key"),
        CheckConstraint("capacity_in_mw >= 0", name="capacity_in_mw"),
        CheckConstraint("min_soc_in_mwh <= max_soc_in_mwh", name="min_soc_below_max_soc"),
        CheckConstraint("latitude >= -90 AND latitude <= 90", name="latitude"),
        CheckConstraint("longitude >= -180 AND longitude <= 180", name="longitude"),
    )

    id: Mapped[int] = mapped_column(ForeignKey("sensor.id", ondelete="CASCADE"), primary_key=True)
    # Also kept in this table, so that names can be unique per owner.
    name: Mapped[str] = column_property(
        mapped_column("name", String(80), nullable=False), Sensor.__table__.c.name
    )
    display_name: Mapped[str] = mapped_column(String(80), default="")
    asset_type_name: Mapped[str] = mapped_column(ForeignKey("asset_type.name"))
    capacity_in_mw: Mapped[float] = mapped_column(Float)
    min_soc_in_mwh: Mapped[float | None] = mapped_column(Float)
    max_soc_in_mwh: Mapped[float | None] = mapped_column(Float)
    soc_in_mwh: Mapped[float | None] = mapped_column(Float)
    soc_datetime: Mapped[datetime | None] = mapped_column(UTCDateTime)
    soc_udi_event_id: Mapped[int | None] = mapped_column(Integer)
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("fm_user.id", ondelete="CASCADE"))
    market_id: Mapped[int | None] = mapped_column(ForeignKey("market.id", ondelete="SET NULL"))
    # JSON objects (as text) kept for API v3_0: default flex-context and flex-model.
    flex_context: Mapped[str] = mapped_column(Text, default="{}")
    flex_model: Mapped[str] = mapped_column(Text, default="{}")

    asset_type: Mapped[AssetType] = relationship(lazy="joined")
    owner: Mapped[User | None] = relationship(
        backref=db.backref("assets", passive_deletes=True), lazy="select"
    )
    market = relationship("Market", foreign_keys=[market_id], lazy="select")

    __mapper_args__ = {"polymorphic_identity": "asset", "inherit_condition": id == Sensor.id}

    @property
    def is_pure_consumer(self) -> bool:
        """True if this asset's type only consumes (its power values must be ≥ 0 MW)."""
        return self.asset_type.is_consumer and not self.asset_type.is_producer

    @property
    def is_pure_producer(self) -> bool:
        """True if this asset's type only produces (its power values must be ≤ 0 MW)."""
        return self.asset_type.is_producer and not self.asset_type.is_consumer
