"""The marketplace's records: orders, trades, contracts, verifications and settlements.

Units, as in the GLocalFlex API: power in W, price in €/kWh, energy in kWh, times as
timezone-aware UTC. Every status change is written by ``flexmeasures.market.service`` in one
transaction together with its stream messages (``flexmeasures.market.outbox``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from flexmeasures.data import db
from flexmeasures.data.models.types import UTCDateTime
from flexmeasures.data.models.user import User

# Order statuses (the seed's names). "partial_filled" is for buys only: sells fill
# all-or-nothing. Final statuses never change again.
PENDING = "pending"
AWAITING_BASELINE_DATA = "awaiting_baseline_data"
ACCEPTED = "accepted"
MATCHING_ACTIVE = "matching_active"
FILLED = "filled"
PARTIAL_FILLED = "partial_filled"
CANCELLED = "cancelled"
EXPIRED = "expired"
ORDER_STATUSES = (
    PENDING,
    AWAITING_BASELINE_DATA,
    ACCEPTED,
    MATCHING_ACTIVE,
    FILLED,
    PARTIAL_FILLED,
    CANCELLED,
    EXPIRED,
)
# Orders in these statuses may still trade (or wait for a baseline), be cancelled or expire.
OPEN_STATUSES = (PENDING, AWAITING_BASELINE_DATA, ACCEPTED, MATCHING_ACTIVE, PARTIAL_FILLED)
# Orders in these statuses are in the order book.
BOOK_STATUSES = (MATCHING_ACTIVE, PARTIAL_FILLED)


def _status_in(statuses: tuple[str, ...]) -> str:
    """A SQL condition: the status is one of these (the WHERE clause of a partial index)."""
    return f"status IN ({', '.join(repr(status) for status in statuses)})"


# The WHERE clauses of the partial indexes over the resting orders (the book) and over the
# open orders (what may expire).
IN_BOOK_SQL = _status_in(BOOK_STATUSES)
OPEN_SQL = _status_in(OPEN_STATUSES)

# Contract statuses, in the order a contract passes through them.
VERIFICATION_INITIATED = "verification_initiated"
VERIFICATION_SUCCESS = "verification_completed_success"
VERIFICATION_FAILED = "verification_completed_failed"
SETTLEMENT_INITIATED = "settlement_initiated"
SETTLEMENT_SUCCESS = "settlement_completed_success"
SETTLEMENT_FAILED = "settlement_completed_failed"
CONTRACT_STATUSES = (
    VERIFICATION_INITIATED,
    VERIFICATION_SUCCESS,
    VERIFICATION_FAILED,
    SETTLEMENT_INITIATED,
    SETTLEMENT_SUCCESS,
    SETTLEMENT_FAILED,
)


def utc_now() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


class MarketUser(Protocol):
    """Who acts on the market, as far as the market needs to know: a ``User``, or the light
    ``flexmeasures.market.tokens.Trader`` an access token stands for."""

    @property
    def id(self) -> int:
        """The user's id."""

    @property
    def is_admin(self) -> bool:
        """True if the user is an admin (may see and cancel anyone's orders)."""


class MarketOrder(db.Model):
    """A buy or sell order for flexibility: ``power_w`` W during the delivery window.

    ``remaining_w`` is the power (W) still to be traded in each quarter hour of the delivery
    window (as ``flexmeasures.market.engine.BookOrder.remaining_w``: buys fill partially
    across sells, per quarter hour; a sell's is all ``power_w`` until it fills, then all 0).
    ``baseline`` and ``metering`` hold the seller's meter data objects as posted (kWh per
    quarter hour). ``idempotency_key``
    is unique per user: a retried submit with the same key returns this order.
    ``location_ids`` None and ``country_code`` None mean "any".
    """

    __tablename__ = "market_order"
    __table_args__ = (
        UniqueConstraint("user_id", "idempotency_key"),
        Index("market_order_status_idx", "status"),
        Index("market_order_user_id_status_idx", "user_id", "status"),
        # The book only: an orderbook_update reads its best price levels, a submit the
        # resting orders whose delivery window can match (revision e7b3c1a9d5f2).
        Index(
            "market_order_book_side_price_idx",
            "side",
            "price_eur_per_kwh",
            postgresql_where=text(IN_BOOK_SQL),
            sqlite_where=text(IN_BOOK_SQL),
        ),
        Index(
            "market_order_book_side_delivery_start_idx",
            "side",
            "delivery_start",
            postgresql_where=text(IN_BOOK_SQL),
            sqlite_where=text(IN_BOOK_SQL),
        ),
        # Open orders by their two deadlines: every submit asks whether any open order is
        # due to expire (expiry time, or delivery start 15 minutes away; revision
        # c3e5a7b9d1f4), an index range scan each instead of reading every open order.
        Index(
            "market_order_open_expiry_time_idx",
            "expiry_time",
            postgresql_where=text(OPEN_SQL),
            sqlite_where=text(OPEN_SQL),
        ),
        Index(
            "market_order_open_delivery_start_idx",
            "delivery_start",
            postgresql_where=text(OPEN_SQL),
            sqlite_where=text(OPEN_SQL),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("fm_user.id", ondelete="CASCADE"))
    side: Mapped[str] = mapped_column(String(4))
    power_w: Mapped[float] = mapped_column(Float)
    remaining_w: Mapped[list[float]] = mapped_column(JSON)
    price_eur_per_kwh: Mapped[float] = mapped_column(Float)
    delivery_start: Mapped[datetime] = mapped_column(UTCDateTime)
    delivery_end: Mapped[datetime] = mapped_column(UTCDateTime)
    expiry_time: Mapped[datetime] = mapped_column(UTCDateTime)
    country_code: Mapped[str | None] = mapped_column(String(2))
    location_ids: Mapped[list[str] | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(32), default=PENDING)
    idempotency_key: Mapped[str | None] = mapped_column(String(255))
    baseline: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    metering: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)

    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<MarketOrder {self.id}: {self.side} {self.power_w} W, {self.status}>"


class MarketTrade(db.Model):
    """A match of a buy and a sell: ``power_w`` W over the sell's delivery window, at the
    resting order's price (pay-as-bid) in €/kWh; ``energy_kwh`` = power × duration."""

    __tablename__ = "market_trade"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    buy_order_id: Mapped[int] = mapped_column(ForeignKey("market_order.id", ondelete="CASCADE"))
    sell_order_id: Mapped[int] = mapped_column(ForeignKey("market_order.id", ondelete="CASCADE"))
    power_w: Mapped[float] = mapped_column(Float)
    price_eur_per_kwh: Mapped[float] = mapped_column(Float)
    energy_kwh: Mapped[float] = mapped_column(Float)
    delivery_start: Mapped[datetime] = mapped_column(UTCDateTime)
    delivery_end: Mapped[datetime] = mapped_column(UTCDateTime)
    aggressor_side: Mapped[str] = mapped_column(String(4))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)

    buy_order: Mapped[MarketOrder] = relationship(foreign_keys=[buy_order_id])
    sell_order: Mapped[MarketOrder] = relationship(foreign_keys=[sell_order_id])


class MarketContract(db.Model):
    """The contract a trade makes between its buyer and its seller, with its status
    (``CONTRACT_STATUSES``)."""

    __tablename__ = "market_contract"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trade_id: Mapped[int] = mapped_column(
        ForeignKey("market_trade.id", ondelete="CASCADE"), unique=True
    )
    buyer_id: Mapped[int] = mapped_column(ForeignKey("fm_user.id", ondelete="CASCADE"))
    seller_id: Mapped[int] = mapped_column(ForeignKey("fm_user.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(48), default=VERIFICATION_INITIATED)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)

    trade: Mapped[MarketTrade] = relationship()


class MarketVerification(db.Model):
    """The verification of a contract's delivery from baseline and metering data: per
    quarter hour baseline, metering, scheduled and delivered energy (kWh) and delivered %
    (``result``, as ``flexmeasures.market.settlement.VerificationResult.to_dict()``)."""

    __tablename__ = "market_verification"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contract_id: Mapped[int] = mapped_column(
        ForeignKey("market_contract.id", ondelete="CASCADE"), unique=True
    )
    success: Mapped[bool] = mapped_column(Boolean)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class MarketSettlement(db.Model):
    """The settlement of a verified contract: per quarter hour ordered, delivered and
    missing energy (kWh), penalty and net amount (€) (``result``, as
    ``flexmeasures.market.settlement.SettlementResult.to_dict()``)."""

    __tablename__ = "market_settlement"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contract_id: Mapped[int] = mapped_column(
        ForeignKey("market_contract.id", ondelete="CASCADE"), unique=True
    )
    success: Mapped[bool] = mapped_column(Boolean)
    net_amount_eur: Mapped[float] = mapped_column(Float)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
