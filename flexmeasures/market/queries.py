"""The marketplace's frequent SQL statements, built once per process with bind parameters
(building a statement costs about as much CPU as running a small one) and read as plain rows
(lighter than ORM objects). ``flexmeasures.market.service`` runs them on the session's
connection (Core: no ORM processing, no autoflush).

Bind parameters, by name: ``now`` (aware UTC), ``latest_due_start`` (``now`` plus the
15 minutes before delivery at which orders leave the book), ``price`` (€/kWh), ``start`` and
``end`` (the incoming order's delivery window), ``country`` and ``depth`` (how many price
levels of a side an orderbook_update shows; NULL: all).

The book's statuses are written into the SQL as literals (not parameters), so that
PostgreSQL can use the partial indexes over the book also in prepared statements.
"""

from __future__ import annotations

from functools import cache

from sqlalchemy import (
    ColumnElement,
    DateTime,
    Insert,
    Integer,
    ScalarSelect,
    Select,
    Subquery,
    Text,
    and_,
    bindparam,
    cast,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    true,
    type_coerce,
)

from flexmeasures.market import models as m

TABLE = m.MarketOrder.__table__
o = TABLE.c  # plain table columns: Core statements, no ORM layer
SIDES = ("buy", "sell")
IN_BOOK = text(f"{TABLE.name}.{m.IN_BOOK_SQL}")
# What the engine needs of a resting order (``service.book_order``).
ENGINE_COLUMNS = (
    o.id,
    o.side,
    o.power_w,
    o.price_eur_per_kwh,
    o.delivery_start,
    o.delivery_end,
    o.expiry_time,
    o.country_code,
    o.location_ids,
    o.remaining_w,
)
# What an orderbook_update shows of a resting order (``shapes.book_entry``), as the driver
# reads it: the JSON columns as their text and the times without UTCDateTime's conversion
# (``orderbook`` parses and converts them only for an entry it has not seen).
BOOK_COLUMNS = (
    o.side,
    o.power_w,
    o.price_eur_per_kwh,
    type_coerce(o.delivery_start, DateTime(timezone=True)).label("delivery_start"),
    type_coerce(o.delivery_end, DateTime(timezone=True)).label("delivery_end"),
    cast(o.location_ids, Text).label("location_ids"),
    o.country_code,
    cast(o.remaining_w, Text).label("remaining_w"),
)
# The columns a submit stores of a new order (the others start NULL).
NEW_ORDER_COLUMNS = (
    "user_id",
    "side",
    "power_w",
    "remaining_w",
    "price_eur_per_kwh",
    "delivery_start",
    "delivery_end",
    "expiry_time",
    "country_code",
    "location_ids",
    "status",
    "idempotency_key",
    "baseline",
    "created_at",
    "updated_at",
)


def due_clause():
    """Open orders due to expire: expiry time at or before ``now``, or delivery starting at
    or before ``latest_due_start``."""
    return and_(
        o.status.in_(m.OPEN_STATUSES),
        or_(o.expiry_time <= bindparam("now"), o.delivery_start <= bindparam("latest_due_start")),
    )


@cache
def insert_order(lock: bool) -> Insert:
    """INSERT a new order (the NEW_ORDER_COLUMNS as parameters), RETURNING its ``id`` and
    ``due``: whether any (other) open order was due to expire (``due_clause``) when the
    statement started. ``lock`` (PostgreSQL): it then takes the market's advisory lock
    ``lock_key`` (held until the transaction ends), after storing the order, and makes the
    transaction commit asynchronously (``service.make_durable`` flushes it after)."""
    values = {name: bindparam(name, type_=o[name].type) for name in NEW_ORDER_COLUMNS}
    returning = [o.id, exists().where(due_clause()).label("due")]
    if lock:
        returning.append(func.pg_advisory_xact_lock(bindparam("lock_key")).label("locked"))
        asynchronous = func.set_config("synchronous_commit", "off", True)
        returning.append(asynchronous.label("asynchronous_commit"))
    return insert(TABLE).values(values).returning(*returning)


def _next_level(side: str, after: ColumnElement | None) -> ScalarSelect:
    """The best price of a side in the book (worse than ``after``, if given): an index
    look-up (``market_order_book_side_price_idx``), whatever the number of orders."""
    table = TABLE.alias(f"level_{side}")
    price = table.c.price_eur_per_kwh
    query = select(price).where(text(f"{table.name}.{m.IN_BOOK_SQL}"), table.c.side == side)
    if after is not None:
        query = query.where(price < after if side == "buy" else price > after)
    # ORDER BY + LIMIT (not min/max): the index's order is then the plan's obvious choice,
    # also on a new table without statistics
    best_first = price.desc() if side == "buy" else price.asc()
    return query.order_by(best_first).limit(1).scalar_subquery()


def shown_levels(side: str) -> Subquery:
    """One row about the best ``depth`` price levels of a side in the book: ``levels``, how
    many there are (fewer than ``depth`` if the side has fewer), and ``worst``, the price
    of the worst of them (NULL if the side is empty). The levels are found one index
    look-up each (a recursive query: the next level is the best price worse than the last
    one), not by reading every order of the side (many orders may share a level)."""
    first = select(_next_level(side, None).label("price"), literal(1).label("n"))
    levels = first.cte(f"levels_{side}", recursive=True)
    depth = bindparam("depth", type_=Integer)
    more = and_(levels.c.price.is_not(None), or_(depth.is_(None), levels.c.n < depth))
    step = select(_next_level(side, levels.c.price), levels.c.n + 1).where(more)
    levels = levels.union_all(step)
    worst = func.min if side == "buy" else func.max
    return select(
        func.count(levels.c.price).label("levels"), worst(levels.c.price).label("worst")
    ).subquery(f"shown_{side}")


@cache
def book(capped: bool) -> Select:
    """The resting orders (BOOK_COLUMNS) by id; ``capped``: only those at the best
    ``depth`` price levels of their side."""
    query = select(*BOOK_COLUMNS).where(IN_BOOK)
    if capped:
        buy, sell = (select(shown_levels(side).c.worst).scalar_subquery() for side in SIDES)
        query = query.where(
            or_(
                and_(o.side == "buy", o.price_eur_per_kwh >= buy),
                and_(o.side == "sell", o.price_eur_per_kwh <= sell),
            )
        )
    return query.order_by(o.id)


def _crossing(side: str) -> tuple:
    """Resting orders of the other side whose price crosses an incoming order's ``price``
    and whose delivery window fits its ``start`` and ``end`` (a sell's lies inside a buy's)."""
    price, start, end = o.price_eur_per_kwh, o.delivery_start, o.delivery_end
    if side == "buy":  # a sell inside the window also starts before its end (index range)
        window = (start >= bindparam("start"), start < bindparam("end"), end <= bindparam("end"))
        return (o.side == "sell", price <= bindparam("price"), *window)
    window = (start <= bindparam("start"), end >= bindparam("end"))
    return (o.side == "buy", price >= bindparam("price"), *window)


@cache
def counterparts(side: str, any_country: bool) -> Select:
    """For an incoming order of ``side``: one row per resting order that could match it
    (ENGINE_COLUMNS; crossing price, fitting window, agreeing country unless
    ``any_country``, not due to expire; by id), each also carrying ``levels`` and ``worst``
    of the incoming order's side (see ``shown_levels``). Without counterparts: one row with
    ``levels`` and ``worst`` only (the other columns NULL). One round trip for both."""
    country = o.country_code.is_(None) | (o.country_code == bindparam("country"))
    live = (o.expiry_time > bindparam("now"), o.delivery_start > bindparam("latest_due_start"))
    shown = shown_levels(side)
    matching = and_(IN_BOOK, *_crossing(side), true() if any_country else country, *live)
    query = select(shown.c.levels, shown.c.worst, *ENGINE_COLUMNS)
    return query.select_from(shown.outerjoin(TABLE, matching)).order_by(o.id)
