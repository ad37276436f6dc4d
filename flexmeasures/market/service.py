"""The marketplace's transactions: submit, cancel and expire orders, take baseline and
metering data, and verify and settle contracts. Each call is ONE database transaction that
also records the stream messages telling about it (``flexmeasures.market.outbox``).

Correctness across processes: every changing transaction first takes one lock for the whole
market (a PostgreSQL advisory transaction lock, held until commit or rollback; on SQLite, a
process-wide lock) and rebuilds the part of the book an incoming order can match from the
database (``engine.OrderBook.restore``). So several web workers never fill an order twice,
and a restart resumes the book as it was committed: the database is the book.

Expiry: an open order expires at its expiry time, and at the latest 15 minutes before its
delivery start. Every changing transaction (and every read of orders) first expires what is
due; ``flexmeasures jobs expire-market-orders --every 60`` does it when there is no traffic.

Units: power in W, price in €/kWh, energy in kWh, times aware UTC.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import and_, func, or_, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from flexmeasures.data import db
from flexmeasures.data.models.user import User
from flexmeasures.market import models as m
from flexmeasures.market import shapes
from flexmeasures.market.engine import BookOrder, OrderBook, Side, Trade
from flexmeasures.market.outbox import latest_sequence, record_stream_messages
from flexmeasures.market.rules import OrderInput

EXPIRY_LEAD = timedelta(minutes=15)
# Price levels per side in an orderbook_update (FLEXMEASURES_MARKET_ORDERBOOK_DEPTH): the
# message is the seed's full-book shape, so it is capped to keep each submit cheap.
DEFAULT_ORDERBOOK_DEPTH = 20
ADVISORY_LOCK_KEY = 0x464D4B54  # "FMKT": the market's PostgreSQL advisory lock
_process_lock = threading.RLock()


class MarketError(Exception):
    """A request the market cannot do: an HTTP status and a message (404 unknown order,
    409 an order in a status that does not allow it)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def utc_now() -> datetime:
    """The market's clock (aware UTC); tests replace it."""
    return m.utc_now()


QUEUE_KEY = "market_queued_messages"
BOOK_CHANGED_KEY = "market_book_changed"


@contextmanager
def locked_transaction() -> Iterator[Session]:
    """The session in a transaction holding the market lock; records the queued stream
    messages and commits at the end, rolls back on any error (nothing half-written)."""
    session = db.session
    with _process_lock:
        try:
            if session.get_bind().dialect.name == "postgresql":
                session.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY}
                )
            yield session
            _record_queued(session)
            session.commit()
        except BaseException:
            session.info.pop(QUEUE_KEY, None)
            session.info.pop(BOOK_CHANGED_KEY, None)
            session.rollback()
            raise


def queue_message(session: Session, stream: str, message: dict, user_id: int | None = None) -> None:
    """Queue a stream message of this transaction (recorded, in order, before it commits)."""
    session.info.setdefault(QUEUE_KEY, []).append((stream, message, user_id))


def _record_queued(session: Session) -> None:
    """Record the queued messages, and one orderbook_update if the book changed."""
    changed_at = session.info.pop(BOOK_CHANGED_KEY, None)
    if changed_at is not None:
        session.flush()
        queue_message(session, "orderbook", shapes.event("orderbook_update", changed_at, book()))
    queued = session.info.pop(QUEUE_KEY, [])
    if queued:
        session.flush()
        record_stream_messages(session, queued)


def set_status(session: Session, order: m.MarketOrder, status: str, now: datetime) -> None:
    """Change an order's status and queue its order_status_update for its owner."""
    order.status = status
    order.updated_at = now
    queue_status(session, order, status, now)


def queue_status(session: Session, order: m.MarketOrder, status: str, now: datetime) -> None:
    """Queue the order_status_update telling its owner that the order is now in ``status``
    (without changing the stored order)."""
    data = {**shapes.order_object(order), "status": status}
    message = shapes.event("order_status_update", now, data, name=status)
    queue_message(session, "trade", message, user_id=order.user_id)


def record_orderbook(session: Session, now: datetime) -> None:
    """Note that the book changed: an orderbook_update with the book as this transaction
    leaves it is recorded before it commits."""
    session.info[BOOK_CHANGED_KEY] = now


def orderbook_depth() -> int:
    """How many price levels per side an orderbook_update shows
    (``FLEXMEASURES_MARKET_ORDERBOOK_DEPTH``; 0: all of them)."""
    if not has_app_context():
        return DEFAULT_ORDERBOOK_DEPTH
    setting = current_app.config.get("FLEXMEASURES_MARKET_ORDERBOOK_DEPTH")
    return DEFAULT_ORDERBOOK_DEPTH if setting is None else max(int(setting), 0)


def _level_bound(side: str, depth: int):
    """The price of a side's ``depth``-th best price level among the resting orders, as a
    scalar subquery (its worst level if it has fewer; NULL if it has none)."""
    o = m.MarketOrder
    price = o.price_eur_per_kwh
    best_first = price.desc() if side == "buy" else price.asc()
    levels = (
        select(price)
        .where(o.status.in_(m.BOOK_STATUSES), o.side == side)
        .distinct()
        .order_by(best_first)
        .limit(depth)
        .subquery()
    )
    worst = func.min if side == "buy" else func.max
    return select(worst(levels.c.price_eur_per_kwh)).scalar_subquery()


def book(depth: int | None = None) -> dict[str, Any]:
    """The order book: {"bids": {price: [orders]}, "asks": {...}}, bids by price descending,
    asks ascending, then by time (the orderbook_update data of the WebSocket seed), showing
    the best ``depth`` price levels per side (default: ``orderbook_depth()``; 0: all).
    One query for both sides, reading only the rows of the levels shown, and only the
    columns the book shows (lighter than ORM objects)."""
    depth = orderbook_depth() if depth is None else depth
    o = m.MarketOrder
    columns = [o.side, o.power_w, o.price_eur_per_kwh, o.delivery_start, o.delivery_end]
    columns += [o.location_ids, o.country_code, o.remaining_w]
    query = select(*columns).where(o.status.in_(m.BOOK_STATUSES))
    if depth:
        query = query.where(
            or_(
                and_(o.side == "buy", o.price_eur_per_kwh >= _level_bound("buy", depth)),
                and_(o.side == "sell", o.price_eur_per_kwh <= _level_bound("sell", depth)),
            )
        )
    rows = list(db.session.execute(query.order_by(o.id)))
    bids = sorted((r for r in rows if r.side == "buy"), key=lambda r: -r.price_eur_per_kwh)
    asks = sorted((r for r in rows if r.side == "sell"), key=lambda r: r.price_eur_per_kwh)
    return {"bids": shapes.book_side(bids), "asks": shapes.book_side(asks)}


def orderbook_snapshot() -> tuple[int, dict[str, Any]]:
    """The orderbook stream's last sequence number and the whole committed book (every
    price level, see ``book``) as that message left it: read under the market lock, so no
    change commits in between."""
    with locked_transaction():
        return latest_sequence("orderbook", None), book(depth=0)


def _due(now: datetime):
    """The WHERE clause of open orders that are due to expire at ``now``."""
    return (
        m.MarketOrder.status.in_(m.OPEN_STATUSES),
        or_(
            m.MarketOrder.expiry_time <= now,
            m.MarketOrder.delivery_start <= now + EXPIRY_LEAD,
        ),
    )


def expire_due_orders(session: Session, now: datetime) -> list[m.MarketOrder]:
    """Expire the open orders that are due (in the caller's locked transaction); queue
    their messages (an expired_order_update for those that were in the book)."""
    due = list(session.scalars(select(m.MarketOrder).where(*_due(now)).order_by(m.MarketOrder.id)))
    for order in due:
        in_book = order.status in m.BOOK_STATUSES
        set_status(session, order, m.EXPIRED, now)
        if in_book:
            queue_message(session, "ticker", shapes.expired_order_update(order, now))
    return due


def expire_orders(now: datetime | None = None) -> list[int]:
    """Expire every order that is due, in one transaction; return their ids. Used by
    ``flexmeasures jobs expire-market-orders`` and lazily before reads."""
    now = now or utc_now()
    if db.session.scalar(select(m.MarketOrder.id).where(*_due(now)).limit(1)) is None:
        return []
    with locked_transaction() as session:
        expired = expire_due_orders(session, now)
        if expired:
            record_orderbook(session, now)
        return [order.id for order in expired]


def _existing(session: Session, user: User, key: str | None) -> m.MarketOrder | None:
    """The user's order made with this idempotency key, if any."""
    if key is None:
        return None
    query = select(m.MarketOrder).where(
        m.MarketOrder.user_id == user.id, m.MarketOrder.idempotency_key == key
    )
    return session.scalar(query)


def _new_order(session: Session, user: User, data: OrderInput, now: datetime) -> m.MarketOrder:
    """Store a received order and queue its "pending" status message. It is stored at once
    in the status the submit leaves it in before matching (awaiting_baseline_data for a sell
    without baseline, else matching_active): one INSERT, no UPDATE of the status after it
    (the transaction commits all statuses at once, and each one has its message)."""
    slots = int((data.delivery_end - data.delivery_start) / timedelta(minutes=15))
    waits = data.side == "sell" and data.baseline is None
    order = m.MarketOrder(
        **asdict(data),
        user_id=user.id,
        remaining_w=[data.power_w] * slots,
        status=m.AWAITING_BASELINE_DATA if waits else m.MATCHING_ACTIVE,
        created_at=now,
        updated_at=now,
    )
    session.add(order)
    session.flush()
    queue_status(session, order, m.PENDING, now)
    return order


def submit_order(
    user: User, data: OrderInput, now: datetime | None = None
) -> tuple[m.MarketOrder, bool]:
    """Submit an order and match it: (the order, True), or (the first order, False) when
    the user already submitted one with the same idempotency key. A sell without baseline
    waits (awaiting_baseline_data); other orders go accepted → matching_active and trade.

    Retries with one key are serialised by the market lock; should two still meet (e.g.
    SQLite files shared by several processes), the unique key refuses the second, which
    then answers the first order."""
    now = now or utc_now()
    try:
        return _submit(user, data, now)
    except IntegrityError:
        existing = _existing(db.session, user, data.idempotency_key)
        if existing is None:
            raise
        return existing, False


def _submit(user: User, data: OrderInput, now: datetime) -> tuple[m.MarketOrder, bool]:
    """``submit_order`` in one locked transaction."""
    with locked_transaction() as session:
        existing = _existing(session, user, data.idempotency_key)
        if existing is not None:
            return existing, False
        book_changed = bool(expire_due_orders(session, now))
        order = _new_order(session, user, data, now)
        if order.side == "sell" and order.baseline is None:
            set_status(session, order, m.AWAITING_BASELINE_DATA, now)
        else:
            activate(session, order, now)
            book_changed = True
        if book_changed:
            record_orderbook(session, now)
    return order, True


def activate(session: Session, order: m.MarketOrder, now: datetime) -> list[m.MarketTrade]:
    """Accept an order into matching and match it against the book (price-time priority,
    pay-as-bid, see ``flexmeasures.market.engine``); return the trades."""
    set_status(session, order, m.ACCEPTED, now)
    set_status(session, order, m.MATCHING_ACTIVE, now)
    candidates = _counterparts(session, order, now)
    resting = OrderBook.restore(book_order(row) for row in candidates)
    incoming = book_order(order)
    trades = resting.submit(incoming, now=now)
    by_id = {row.id: row for row in candidates}
    made = [_record_trade(session, trade, order, by_id, now) for trade in trades]
    order.remaining_w = list(incoming.remaining_w)
    if trades:
        filled = incoming.is_filled or order.side == "sell"
        set_status(session, order, m.FILLED if filled else m.PARTIAL_FILLED, now)
    return made


def as_side(side: str) -> Side:
    """A stored order's side as the engine's ``Side`` ("buy" or "sell")."""
    if side == "buy":
        return "buy"
    if side == "sell":
        return "sell"
    raise ValueError(f"Unknown order side {side!r}.")


def book_order(row: m.MarketOrder) -> BookOrder:
    """The engine's view of a stored order (sequence: its id, the time priority)."""
    return BookOrder(
        order_id=row.id,
        side=as_side(row.side),
        power_w=row.power_w,
        price_eur_per_kwh=row.price_eur_per_kwh,
        delivery_start=row.delivery_start,
        delivery_end=row.delivery_end,
        expiry_time=row.expiry_time,
        country_code=row.country_code,
        location_ids=frozenset(row.location_ids) if row.location_ids else None,
        sequence=row.id,
        remaining_w=list(row.remaining_w),
    )


def _counterparts(session: Session, order: m.MarketOrder, now: datetime) -> list[m.MarketOrder]:
    """Resting orders of the other side that could match: crossing price, window, country
    and deadline agree (the engine checks locations and quantities)."""
    o = m.MarketOrder
    if order.side == "buy":
        terms = (o.side == "sell", o.price_eur_per_kwh <= order.price_eur_per_kwh)
        window = (o.delivery_start >= order.delivery_start, o.delivery_end <= order.delivery_end)
    else:
        terms = (o.side == "buy", o.price_eur_per_kwh >= order.price_eur_per_kwh)
        window = (o.delivery_start <= order.delivery_start, o.delivery_end >= order.delivery_end)
    country = (
        or_(o.country_code.is_(None), o.country_code == order.country_code)
        if order.country_code
        else True
    )
    live = (o.expiry_time > now, o.delivery_start > now + EXPIRY_LEAD)
    query = select(o).where(o.status.in_(m.BOOK_STATUSES), *terms, *window, country, *live)
    return list(session.scalars(query.order_by(o.id)))


def _record_trade(
    session: Session,
    trade: Trade,
    incoming: m.MarketOrder,
    by_id: dict[int, m.MarketOrder],
    now: datetime,
) -> m.MarketTrade:
    """Store a trade and its contract, update the resting order, queue the messages."""
    buy = incoming if incoming.side == "buy" else by_id[trade.buy_order_id]
    sell = incoming if incoming.side == "sell" else by_id[trade.sell_order_id]
    row = m.MarketTrade(
        buy_order_id=buy.id,
        sell_order_id=sell.id,
        power_w=trade.power_w,
        price_eur_per_kwh=trade.price_eur_per_kwh,
        energy_kwh=trade.energy_kwh,
        delivery_start=trade.delivery_start,
        delivery_end=trade.delivery_end,
        aggressor_side=trade.aggressor_side,
        created_at=now,
    )
    contract = m.MarketContract(
        trade=row, buyer_id=buy.user_id, seller_id=sell.user_id, created_at=now, updated_at=now
    )
    session.add_all([row, contract])
    buy.remaining_w = list(trade.buy_remaining_w)
    sell.remaining_w = [0.0] * len(sell.remaining_w)
    resting = sell if incoming is buy else buy
    set_status(
        session, resting, m.FILLED if resting is sell or trade.buy_filled else m.PARTIAL_FILLED, now
    )
    set_contract_status(session, contract, m.VERIFICATION_INITIATED, now)
    queue_message(session, "ticker", shapes.ticker_update(row, sell, now))
    return row


def set_contract_status(
    session: Session,
    contract: m.MarketContract,
    status: str,
    now: datetime,
    details: dict[str, Any] | None = None,
) -> None:
    """Change a contract's status; queue a contract_status_update for buyer and seller."""
    contract.status = status
    contract.updated_at = now
    session.flush()
    data = shapes.contract_object(contract, details)
    message = shapes.event("contract_status_update", now, data, name=status)
    for user_id in sorted({contract.buyer_id, contract.seller_id}):
        queue_message(session, "trade", message, user_id=user_id)


def own_order(session: Session, user: User, order_id: int) -> m.MarketOrder:
    """The user's order with this id (admins: anyone's); MarketError 404 otherwise."""
    order = session.get(m.MarketOrder, order_id)
    if order is None or (order.user_id != user.id and not user.is_admin):
        raise MarketError(404, f"Order {order_id} is not one of your orders.")
    return order


def cancel_order(user: User, order_id: int, now: datetime | None = None) -> m.MarketOrder:
    """Cancel an open order of the user (what is left of a partially filled buy);
    MarketError 404 (not theirs) or 409 (no longer open)."""
    now = now or utc_now()
    with locked_transaction() as session:
        book_changed = bool(expire_due_orders(session, now))
        order = own_order(session, user, order_id)
        if order.status not in m.OPEN_STATUSES:
            raise MarketError(409, f"Order {order_id} is {order.status}: it cannot be cancelled.")
        book_changed |= order.status in m.BOOK_STATUSES
        set_status(session, order, m.CANCELLED, now)
        if book_changed:
            record_orderbook(session, now)
    return order


def list_orders(user: User, status: str | None = None) -> list[m.MarketOrder]:
    """The user's own orders, newest first, optionally of one status."""
    expire_orders()
    query = select(m.MarketOrder).where(m.MarketOrder.user_id == user.id)
    if status is not None:
        query = query.where(m.MarketOrder.status == status)
    return list(db.session.scalars(query.order_by(m.MarketOrder.id.desc())))


def contracts_of(order: m.MarketOrder) -> list[m.MarketContract]:
    """The contracts made by the order's trades, oldest first."""
    trade = m.MarketTrade
    query = (
        select(m.MarketContract)
        .join(trade, m.MarketContract.trade_id == trade.id)
        .where(or_(trade.buy_order_id == order.id, trade.sell_order_id == order.id))
        .order_by(m.MarketContract.id)
    )
    return list(db.session.scalars(query))


def contract_results(contract: m.MarketContract) -> dict[str, Any]:
    """The contract's stored ``verification_result`` and ``settlement`` (None until made)."""
    verification = db.session.scalar(
        select(m.MarketVerification).where(m.MarketVerification.contract_id == contract.id)
    )
    settled = db.session.scalar(
        select(m.MarketSettlement).where(m.MarketSettlement.contract_id == contract.id)
    )
    return {
        "verification_result": verification.result if verification else None,
        "settlement": settled.result if settled else None,
    }


def verification_of(order: m.MarketOrder) -> dict[str, Any]:
    """A sell's verification data: {"verification": {"status", "baseline", "metering"}}
    (status awaiting_baseline_data, awaiting_metering_data or metering_received); {} for a buy."""
    if order.side != "sell":
        return {}
    if order.baseline is None:
        status = "awaiting_baseline_data"
    else:
        status = "awaiting_metering_data" if order.metering is None else "metering_received"
    return {
        "verification": {"status": status, "baseline": order.baseline, "metering": order.metering}
    }
