"""The platform's trading on a GLocalFlex-compatible marketplace, as seen from the client side
(``flexmeasures.market.connector`` / ``flexmeasures.market.trading``).

- ``TradingSetting``: whether and how an asset trades its flexibility (switched off per
  asset; its battery wear, margin, lead time and location).
- ``TradingOrder``: a sell order the platform made for an asset's block of quarter hours:
  what it offered (power W, price EUR/kWh, the baseline W per quarter hour it sold
  against), its idempotency key and, once submitted, the marketplace's order id and latest
  status.
- ``TradingContract``: a contract the marketplace made of one of our orders, with its
  latest status and, after delivery, the verification result and settlement (as the
  marketplace sent them; net amount in EUR).
- ``TradingStatusChange``: every order and contract status our orders went through (from
  the trade stream or from polling), each once.
- ``TradingStreamCursor``: the last trade stream sequence number handled per marketplace
  and account (where to resume after a reconnect or a restart).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from flexmeasures.data import db
from flexmeasures.data.models.types import UTCDateTime


def _utc_now() -> datetime:
    """Now, aware UTC."""
    return datetime.now(UTC)


class TradingSetting(db.Model):
    """How an asset trades (None: the FLEXMEASURES_TRADING_* default): ``enabled`` switches
    it off; battery wear (EUR/MWh delivered), margin (EUR/kWh), lead time (minutes before
    delivery an offer expires), the smallest deviation offered (W), the order location and
    the longest order in quarter hours (``max_block_quarter_hours``)."""

    __tablename__ = "trading_setting"

    asset_id: Mapped[int] = mapped_column(
        ForeignKey("asset.id", ondelete="CASCADE"), primary_key=True
    )
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    battery_wear_eur_per_mwh: Mapped[float] = mapped_column(Float, default=0.0)
    margin_eur_per_kwh: Mapped[float | None] = mapped_column(Float)
    lead_time_minutes: Mapped[int | None] = mapped_column(Integer)
    min_power_w: Mapped[float] = mapped_column(Float, default=1.0)
    country_code: Mapped[str | None] = mapped_column(String(2))
    location_id: Mapped[str | None] = mapped_column(String(120))
    max_block_quarter_hours: Mapped[int | None] = mapped_column(Integer)


class TradingOrder(db.Model):
    """A sell order of the platform for one asset and a block of quarter hours (see the
    module doc). ``baselines_w`` is the baseline (W) of each quarter hour of the delivery
    window, ``baseline_w`` that of the first (orders recorded before blocks have only it,
    for their one quarter hour). ``status`` is "new" until the marketplace took it, then the
    marketplace's order status; ``error`` says why a submit failed."""

    __tablename__ = "trading_order"
    __table_args__ = (
        UniqueConstraint("market_url", "market_order_id", name="trading_order_market_order_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("asset.id", ondelete="CASCADE"), index=True)
    market_url: Mapped[str] = mapped_column(String(255))
    market_order_id: Mapped[int | None] = mapped_column(Integer)
    idempotency_key: Mapped[str] = mapped_column(String(255), unique=True)
    run_id: Mapped[str] = mapped_column(String(64))
    side: Mapped[str] = mapped_column(String(4), default="sell")
    power_w: Mapped[float] = mapped_column(Float)
    price_eur_per_kwh: Mapped[float] = mapped_column(Float)
    baseline_w: Mapped[float] = mapped_column(Float)
    baselines_w: Mapped[list[float] | None] = mapped_column(JSON)
    delivery_start: Mapped[datetime] = mapped_column(UTCDateTime)
    delivery_end: Mapped[datetime] = mapped_column(UTCDateTime)
    expiry_time: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(48), default="new")
    error: Mapped[str | None] = mapped_column(Text)
    metering_submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_utc_now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_utc_now)

    contracts: Mapped[list[TradingContract]] = relationship(
        back_populates="order", order_by="TradingContract.market_contract_id"
    )


class TradingContract(db.Model):
    """A contract of one of our orders (power W, price EUR/kWh, energy kWh), its latest
    status, and the verification result and settlement the marketplace reported."""

    __tablename__ = "trading_contract"
    __table_args__ = (
        UniqueConstraint("order_id", "market_contract_id", name="trading_contract_order_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("trading_order.id", ondelete="CASCADE"))
    market_contract_id: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(48))
    power_w: Mapped[float] = mapped_column(Float)
    price_eur_per_kwh: Mapped[float] = mapped_column(Float)
    energy_kwh: Mapped[float] = mapped_column(Float)
    delivery_start: Mapped[datetime] = mapped_column(UTCDateTime)
    delivery_end: Mapped[datetime] = mapped_column(UTCDateTime)
    verification: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    settlement: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    net_amount_eur: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_utc_now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_utc_now)

    order: Mapped[TradingOrder] = relationship(back_populates="contracts")


class TradingStatusChange(db.Model):
    """One status an order (``subject`` "order") or a contract ("contract <id>") of ours
    went through, when the marketplace said so, and the stream sequence it came with
    (None when learnt by polling)."""

    __tablename__ = "trading_status_change"
    __table_args__ = (
        UniqueConstraint("order_id", "subject", "status", name="trading_status_change_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("trading_order.id", ondelete="CASCADE"))
    subject: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(48))
    sequence: Mapped[int | None] = mapped_column(Integer)
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_utc_now)


class TradingStreamCursor(db.Model):
    """The last trade stream sequence handled for a marketplace and account."""

    __tablename__ = "trading_stream_cursor"

    market_url: Mapped[str] = mapped_column(String(255), primary_key=True)
    account: Mapped[str] = mapped_column(String(120), primary_key=True)
    last_sequence: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_utc_now)
