"""The marketplace's transactions: submit, cancel and expire orders, take baseline and
metering data, and verify and settle contracts. Each call is ONE database transaction that
also records the stream messages telling about it (``flexmeasures.market.outbox``).

Correctness across processes: every changing transaction takes one lock for the whole
market (a PostgreSQL advisory transaction lock, held until commit or rollback; on SQLite, a
process-wide lock) before it reads or changes what others can see, and rebuilds the part of
the book an incoming order can match from the database (``engine.OrderBook.restore``). So
several web workers never fill an order twice, and a restart resumes the book as it was
committed: the database is the book. A submit stores its new order before it has the lock
(in the same statement on PostgreSQL): nobody sees that row before the commit. So an
order's id, its time priority, is given when it arrives, and orders arriving at once may
enter the book in another order than their ids (each still ranks by its id).

The submit's critical section is kept short: the token's user is checked, the input
validated and the order row built before it; under the lock, one query reads both the
counterparts and how many price levels the order's side shows, so that an order resting
outside the shown levels (and without trades or expiries) records no orderbook_update;
orders due to expire are looked for in the storing statement, and expired only if any are.

Durability without the disk in the critical section (PostgreSQL): a market transaction
commits asynchronously (``synchronous_commit`` off, set where it takes the lock), so the
advisory lock, released at the commit, is not held while the commit's WAL is flushed to
disk. Nothing is acknowledged before it is durable: right after the commit, and before
answering or handing the stream messages to the listeners, ``make_durable`` commits a tiny
transaction that flushes the WAL the server's usual way (``synchronous_commit`` as
configured), which covers every earlier commit, because WAL is flushed in order. The next
holder of the lock may already see (and trade with) a committed order whose flush is
still on its way; a crash in between loses both together, and neither was acknowledged
(the submitter retries with its idempotency key). Concurrent flushes share one disk write.
Reads that answer clients (GET order, the list, the streams' replays, resumes and
snapshots) call ``make_durable`` after reading, so they never show a change that is not
on disk yet either.

Expiry: an open order expires at its expiry time, and at the latest 15 minutes before its
delivery start. Every changing transaction (and every read of orders) first expires what is
due; ``flexmeasures jobs expire-market-orders --every 60`` does it when there is no traffic.

Units: power in W, price in €/kWh, energy in kWh, times aware UTC.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import datetime, timedelta
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import Row, inspect, or_, select, text
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, make_transient_to_detached

from flexmeasures.data import db
from flexmeasures.market import models as m
from flexmeasures.market import orderbook, queries, shapes
from flexmeasures.market.engine import BookOrder, OrderBook, Side, Trade
from flexmeasures.market.models import MarketUser
from flexmeasures.market.outbox import (
    Message,
    latest_sequence,
    notify_listeners,
    record_stream_messages,
    take_pending,
)
from flexmeasures.market.rules import OrderInput

EXPIRY_LEAD = timedelta(minutes=15)
# Price levels per side in an orderbook_update (FLEXMEASURES_MARKET_ORDERBOOK_DEPTH): the
# message is the seed's full-book shape, so it is capped to keep each submit cheap.
DEFAULT_ORDERBOOK_DEPTH = 20
ADVISORY_LOCK_KEY = 0x464D4B54  # "FMKT": the market's PostgreSQL advisory lock
_process_lock = threading.RLock()


class MarketError(Exception):
    """A request the market cannot do: an HTTP status and a message (404 unknown order,
    409 an order in a status that does not allow it, 503 a change whose durability the
    database did not confirm)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def utc_now() -> datetime:
    """The market's clock (aware UTC); tests replace it."""
    return m.utc_now()


QUEUE_KEY = "market_queued_messages"
BOOK_CHANGED_KEY = "market_book_changed"
_ADVISORY_LOCK = text(
    "SELECT pg_advisory_xact_lock(:key), set_config('synchronous_commit', 'off', true)"
)
# A transaction that writes WAL (a transactional logical message, no table row) and so
# flushes the WAL up to its commit when it commits (see the module docstring).
_DURABLE = text("SELECT pg_logical_emit_message(true, 'flexmeasures-market', '')")


def _on_postgresql(session: Session) -> bool:
    """True if the session's database is PostgreSQL (which has advisory locks)."""
    return session.get_bind().dialect.name == "postgresql"


@contextmanager
def market_transaction() -> Iterator[Session]:
    """The session in a transaction that changes the market only once it holds the market
    lock (``take_market_lock``, or ``queries.insert_order(lock=True)``): work that cannot
    conflict (storing a new order, which no other transaction sees before the commit) may
    come first. Records the queued stream messages and commits at the end, rolls back on
    any error (nothing half-written). On PostgreSQL the market lock is its advisory lock
    (each thread has its own connection), and the commit is made durable after the lock
    is released, before the listeners hear of it (``make_durable``); elsewhere the
    process-wide lock is held throughout."""
    session = db.session
    on_postgresql = _on_postgresql(session)
    with nullcontext() if on_postgresql else _process_lock:
        try:
            yield session
            _record_queued(session)
            held = take_pending(session) if on_postgresql else []
            session.commit()
        except BaseException:
            session.info.pop(QUEUE_KEY, None)
            session.info.pop(BOOK_CHANGED_KEY, None)
            session.rollback()
            raise
    if on_postgresql:
        make_durable(session)
        notify_listeners(held)


def make_durable(session: Session) -> None:
    """Flush the WAL of every transaction committed so far to disk (PostgreSQL: commit a
    transaction writing a little WAL; see the module docstring). Nothing elsewhere.

    Raises MarketError 503 if the database cannot confirm it (the change before it is
    committed but may not be on disk: nothing is told to the listeners, and a retried
    submit finds its first order by the idempotency key)."""
    if not _on_postgresql(session):
        return
    try:
        session.execute(_DURABLE)
        session.commit()
    except SQLAlchemyError as error:
        session.rollback()
        raise MarketError(
            503,
            "The change was stored, but the database did not confirm it is on disk: "
            "check it (GET the order) or retry (with the same idempotency key).",
        ) from error


def take_market_lock(session: Session) -> None:
    """Serialise the rest of this ``market_transaction`` with every other market change
    (on PostgreSQL: take the advisory lock, held until the transaction ends)."""
    if _on_postgresql(session):
        session.execute(_ADVISORY_LOCK, {"key": ADVISORY_LOCK_KEY})


@contextmanager
def locked_transaction() -> Iterator[Session]:
    """The session in a ``market_transaction`` holding the market lock from its start."""
    with market_transaction() as session:
        take_market_lock(session)
        yield session


def queue_message(
    session: Session, stream: str, message: Message, user_id: int | None = None
) -> None:
    """Queue a stream message (a dict, or its JSON text) of this transaction (recorded, in
    order, before it commits)."""
    session.info.setdefault(QUEUE_KEY, []).append((stream, message, user_id))


def _record_queued(session: Session) -> None:
    """Record the queued messages, and one orderbook_update if the book changed."""
    changed_at = session.info.pop(BOOK_CHANGED_KEY, None)
    if changed_at is not None:
        session.flush()
        update = shapes.event_text("orderbook_update", changed_at, book_json())
        queue_message(session, "orderbook", update)
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


def book_json(depth: int | None = None) -> str:
    """The order book as JSON text: {"bids": {price: [orders]}, "asks": {...}}, bids by price
    descending, asks ascending, then by time (the orderbook_update data of the WebSocket
    seed), showing the best ``depth`` price levels per side (default: ``orderbook_depth()``;
    0: all). One query for both sides, reading only the rows of the levels shown and the
    columns the book shows; entries seen before are not built again (``orderbook``)."""
    depth = orderbook_depth() if depth is None else depth
    query = queries.book(bool(depth))
    rows = db.session.connection().execute(query, {"depth": depth or None}).all()
    return orderbook.book_text(rows)


def book(depth: int | None = None) -> dict[str, Any]:
    """The order book (``book_json``) as dicts."""
    return json.loads(book_json(depth))


def orderbook_snapshot() -> tuple[int, dict[str, Any]]:
    """The orderbook stream's last sequence number and the whole committed book (every
    price level, see ``book``) as that message left it: read under the market lock, so no
    change commits in between."""
    with locked_transaction():
        return latest_sequence("orderbook", None), book(depth=0)


def due_parameters(now: datetime) -> dict[str, datetime]:
    """The bind parameters of ``queries.due_clause`` (and the book's "not due") at ``now``."""
    return {"now": now, "latest_due_start": now + EXPIRY_LEAD}


def expire_due_orders(session: Session, now: datetime) -> list[m.MarketOrder]:
    """Expire the open orders that are due (in the caller's locked transaction); queue
    their messages (an expired_order_update for those that were in the book)."""
    query = select(m.MarketOrder).where(queries.due_clause()).order_by(m.MarketOrder.id)
    due = list(session.scalars(query, due_parameters(now)))
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
    anything_due = select(m.MarketOrder.id).where(queries.due_clause()).limit(1)
    if db.session.scalar(anything_due, due_parameters(now)) is None:
        return []
    with locked_transaction() as session:
        expired = expire_due_orders(session, now)
        if expired:
            record_orderbook(session, now)
        return [order.id for order in expired]


def _existing(session: Session, user: MarketUser, key: str | None) -> m.MarketOrder | None:
    """The user's order made with this idempotency key, if any."""
    if key is None:
        return None
    query = select(m.MarketOrder).where(
        m.MarketOrder.user_id == user.id, m.MarketOrder.idempotency_key == key
    )
    return session.scalar(query)


def _new_order(
    session: Session, user: MarketUser, data: OrderInput, now: datetime
) -> tuple[m.MarketOrder, bool]:
    """Store a received order and take the market lock (one statement on PostgreSQL: the
    INSERT, then the lock; no other transaction sees the order before the commit). It is
    stored in the status the submit leaves it in before matching (awaiting_baseline_data
    for a sell without baseline, else matching_active). Returns the order, as an object not
    (yet) in the session, and whether any open order is due to expire. A second order of
    the user with the same idempotency key waits for the first one's transaction and is
    then refused (IntegrityError)."""
    slots = int((data.delivery_end - data.delivery_start) / timedelta(minutes=15))
    waits = data.side == "sell" and data.baseline is None
    values = {
        **vars(data),
        "user_id": user.id,
        "remaining_w": [data.power_w] * slots,
        "status": m.AWAITING_BASELINE_DATA if waits else m.MATCHING_ACTIVE,
        "created_at": now,
        "updated_at": now,
    }
    lock = _on_postgresql(session)
    parameters = {**values, **due_parameters(now), "lock_key": ADVISORY_LOCK_KEY}
    stored = session.connection().execute(queries.insert_order(lock), parameters).one()
    if not lock:
        take_market_lock(session)
    return m.MarketOrder(**values, id=stored.id, metering=None), bool(stored.due)


def submit_order(
    user: MarketUser, data: OrderInput, now: datetime | None = None
) -> tuple[m.MarketOrder, bool]:
    """Submit an order and match it: (the order, True), or (the first order, False) when
    the user already submitted one with the same idempotency key. A sell without baseline
    waits (awaiting_baseline_data); other orders go accepted → matching_active and trade.

    The unique idempotency key per user refuses a retry's INSERT (after the first order's
    transaction commits, if it is still running), which then answers the first order."""
    now = now or utc_now()
    try:
        return _submit(user, data, now)
    except IntegrityError:
        existing = _existing(db.session, user, data.idempotency_key)
        if existing is None:
            raise
        make_durable(db.session)  # its first submit may still be flushing
        return existing, False


def _submit(user: MarketUser, data: OrderInput, now: datetime) -> tuple[m.MarketOrder, bool]:
    """``submit_order`` in one transaction: the order is stored, then matched under the
    market lock (expiring the orders that are due first, if any are)."""
    with market_transaction() as session:
        order, anything_due = _new_order(session, user, data, now)
        book_changed = anything_due and bool(expire_due_orders(session, now))
        queue_status(session, order, m.PENDING, now)
        if order.status == m.AWAITING_BASELINE_DATA:
            queue_status(session, order, m.AWAITING_BASELINE_DATA, now)
        elif activate(session, order, now):
            book_changed = True
        if book_changed:
            record_orderbook(session, now)
    return order, True


def activate(session: Session, order: m.MarketOrder, now: datetime) -> bool:
    """Accept an order into matching and match it against the book (price-time priority,
    pay-as-bid, see ``flexmeasures.market.engine``), recording its trades. Returns whether
    the book an orderbook_update shows changed: it did, unless the order rests untraded
    outside the shown price levels of its side (``orderbook_depth``)."""
    if order.status != m.MATCHING_ACTIVE:
        order.status = m.MATCHING_ACTIVE
        order.updated_at = now
    queue_status(session, order, m.ACCEPTED, now)
    queue_status(session, order, m.MATCHING_ACTIVE, now)
    depth = orderbook_depth()
    rows = _counterparts(session, order, depth, now)
    resting = OrderBook.restore(book_order(row) for row in rows if row.id is not None)
    incoming = book_order(order)
    trades = resting.submit(incoming, now=now)
    if trades:
        _record_trades(session, order, incoming, trades, now)
        return True
    levels, worst = rows[0].levels, rows[0].worst
    if not depth or levels < depth:
        return True
    return (
        order.price_eur_per_kwh >= worst
        if order.side == "buy"
        else order.price_eur_per_kwh <= worst
    )


def _counterparts(session: Session, order: m.MarketOrder, depth: int, now: datetime) -> list:
    """The rows of ``queries.counterparts`` for the order: the resting orders of the other
    side that could match it (crossing price, window, country and deadline agree; the
    engine checks locations and quantities), and the shown levels of its own side."""
    query = queries.counterparts(order.side, not order.country_code)
    parameters = {
        "price": order.price_eur_per_kwh,
        "start": order.delivery_start,
        "end": order.delivery_end,
        "country": order.country_code,
        "depth": depth or None,
        **due_parameters(now),
    }
    session.flush()  # the query runs on the connection: no autoflush
    return list(session.connection().execute(query, parameters))


def _record_trades(
    session: Session, order: m.MarketOrder, incoming: BookOrder, trades: list[Trade], now: datetime
) -> None:
    """Store the incoming order's trades (ORM: the order and its counterparts become
    objects of the session), update it and queue the messages."""
    if inspect(order).transient:
        make_transient_to_detached(order)
        session.add(order)
    other = "sell_order_id" if order.side == "buy" else "buy_order_id"
    ids = [getattr(trade, other) for trade in trades]
    by_id = {
        row.id: row
        for row in session.scalars(select(m.MarketOrder).where(m.MarketOrder.id.in_(ids)))
    }
    for trade in trades:
        _record_trade(session, trade, order, by_id, now)
    order.remaining_w = list(incoming.remaining_w)
    filled = incoming.is_filled or order.side == "sell"
    set_status(session, order, m.FILLED if filled else m.PARTIAL_FILLED, now)


def as_side(side: str) -> Side:
    """A stored order's side as the engine's ``Side`` ("buy" or "sell")."""
    if side == "buy":
        return "buy"
    if side == "sell":
        return "sell"
    raise ValueError(f"Unknown order side {side!r}.")


def book_order(row: m.MarketOrder | Row) -> BookOrder:
    """The engine's view of a stored order, or of a row of ``queries.ENGINE_COLUMNS``
    (sequence: its id, the time priority)."""
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


def own_order(session: Session, user: MarketUser, order_id: int) -> m.MarketOrder:
    """The user's order with this id (admins: anyone's); MarketError 404 otherwise."""
    order = session.get(m.MarketOrder, order_id)
    if order is None or (order.user_id != user.id and not user.is_admin):
        raise MarketError(404, f"Order {order_id} is not one of your orders.")
    return order


def cancel_order(user: MarketUser, order_id: int, now: datetime | None = None) -> m.MarketOrder:
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


def list_orders(user: MarketUser, status: str | None = None) -> list[m.MarketOrder]:
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
