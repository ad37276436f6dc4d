"""The marketplace's matching engine: a pure, in-memory order book (no Flask, no database).

Rules (also in documentation/market-rules.md):

- **Continuous double auction.** Every submitted order is matched at once against the
  resting orders of the other side; what does not match rests in the book until it fills,
  is cancelled or expires.
- **When a buy and a sell match.** All of:

  1. *prices cross*: sell price <= buy price (EUR/kWh);
  2. *delivery*: the sell's window lies inside the buy's
     (buy start <= sell start and sell end <= buy end);
  3. *country*: equal, or either order has none ("any");
  4. *location ids*: the two sets intersect, or either order has none ("any");
  5. *quantity*: the buy still has at least the sell's power left in every quarter hour of
     the sell's window (see below).

- **Sells fill all-or-nothing**, against exactly one buy: a sell of P W from 10:00 to 11:00
  makes one trade of P W from 10:00 to 11:00 or none. Each trade makes one contract.
- **Buys fill partially, across several sells.** A buy of P W over its window asks for P W
  in each of its quarter hours. Its remaining quantity is kept *per quarter-hour slot*:
  ``BookOrder.remaining_w[i]`` is the power (W) still wanted in the i-th quarter hour of the
  buy's window. A trade of p W over some of the buy's slots lowers just those slots by p.
  Because a sell only matches when every slot of its window has p W left (rule 5), a buy never
  gets more than its power in any quarter hour. The buy is *filled* when every slot is at 0,
  *partially filled* when some but not all of its quantity is traded.
- **Price-time priority.** Bids rank by price descending, asks by price ascending; equal
  prices rank by ``sequence`` (lower = earlier). An incoming sell trades with the best-ranked
  buy it matches; an incoming buy walks the asks it matches in rank order and takes each one
  that still fits its remaining quantity, until it is filled or none is left (an ask that does
  not fit is skipped, not traded partially: sells are all-or-nothing).
- **Pay-as-bid price.** A trade's price is the limit price of the *resting* order, the one that
  was already bid (or asked) in the book when the other arrived: an incoming buy pays the
  ask's price, an incoming sell receives the bid's price. So each side gets its own limit price
  or better, and an order resting in the book is always traded at exactly the price it bid.
- **Expiry.** An order leaves the book at its expiry time, and at the latest 15 minutes before
  its delivery start (``expire(now)``): ``deadline = min(expiry_time, delivery_start - 15 min)``.
- **Restart.** ``OrderBook.restore(orders)`` rebuilds the book from stored resting orders
  (with their ``remaining_w``) without matching: the book never holds a matching pair at
  rest, so there is nothing to match.

All powers are in W, prices in EUR/kWh, energies in kWh, times timezone-aware (UTC) datetimes
on the quarter hour. The engine raises ``ValueError`` for malformed orders; the service checks
orders first and answers 422 with field messages, so the engine's errors are a last guard.

Data structures (``benchmarks/README.md`` has the measurements behind them):

- *Resting buys* (``_Bids``), for incoming sells: filed by country (None: "any") under every
  quarter hour of their window in which they still have power left (``_SlotBids``), as compact
  columns in priority order: prices, the orders and the power left in that quarter hour
  (two arrays of doubles and a list: no object per filing). A buy can take a sell only if
  it has power left in the sell's first quarter hour, so an incoming sell scans one list per
  agreeing country (its own, then "any", the second only down to the match found in the
  first), reading the power column and looking at an order only when that suffices. A quarter
  hour whose power is used up leaves its list at once. (A sell of at most ``EPSILON_W`` W
  fits even a used-up quarter hour: such sells are checked against every resting buy with
  ``_matches``, the rules written out plainly.)
- *Resting sells* (``_Asks``), for incoming buys: filed under the quarter hour they start in,
  per country, with orders for any country filed under every country too and every order once
  more in an "everywhere" dictionary (where an order for any country looks). An incoming buy
  looks up each quarter hour of its window and reads a list only if its cheapest ask crosses.
  An entry holds numbers only (price, sequence, order id, end, deadline); the order is looked
  up by id.
- A heap of deadlines serves expiry.
- The indexes add next to nothing for Python's cyclic garbage collector to track (arrays
  and floats are no containers, tuples of numbers it stops tracking at its first look), so
  resting orders do not make its full collections more frequent.

So the cost of a submit depends on the part of the book that could match, and, for a resting
buy, on the number of quarter hours it spans, not on the size of the book.
``benchmarks/bench_market_engine.py`` measures it.
"""

from __future__ import annotations

import heapq
import math
from array import array
from bisect import bisect_left, bisect_right, insort
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import repeat
from operator import attrgetter
from typing import Literal

Side = Literal["buy", "sell"]

SLOT_SECONDS = 900  # the market time unit: one quarter hour
EXPIRY_LEAD = timedelta(minutes=15)  # orders leave the book at the latest this long before delivery
EPSILON_W = 1e-6  # power differences below this (W) count as zero (float rounding)

_SIDES = ("buy", "sell")
_MAX_SLOTS = (1 << 20) - 1  # the longest delivery window, in quarter hours (29 years)
_MAX_LOOKUPS = 2048  # an incoming buy looks up at most this many start slots, else walks the lists
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NONE: dict = {}  # an empty filing (never written to)


def _slot(moment: datetime, name: str) -> int:
    """Quarter-hour slot number of a timezone-aware datetime on the quarter hour (UTC)."""
    if moment.tzinfo is None:
        raise ValueError(f"{name} must be timezone-aware (UTC)")
    seconds = (moment - _EPOCH).total_seconds()
    if seconds % SLOT_SECONDS:
        raise ValueError(f"{name} must be on the quarter hour with seconds 0")
    return int(seconds) // SLOT_SECONDS


def _any_if_empty_country(country_code: str | None) -> str | None:
    """A country code, with "" meaning "any" (None)."""
    return country_code or None


def _any_if_empty_locations(location_ids: Iterable[str | None] | None) -> frozenset[str] | None:
    """Location ids as a frozenset, with None, an empty list or a list of nulls meaning "any"."""
    if location_ids is None:
        return None
    ids = frozenset(i for i in location_ids if i)
    return ids or None


@dataclass(eq=False, slots=True)
class BookOrder:
    """An order as the engine sees it.

    ``power_w`` (W, > 0) is the power offered (sell) or asked (buy) in every quarter hour of
    [``delivery_start``, ``delivery_end``); ``price_eur_per_kwh`` is the limit price (EUR/kWh).
    ``country_code`` and ``location_ids`` None mean "any" ("" and empty/null-only lists are
    turned into None). ``sequence`` is the time priority (lower = earlier; the service passes
    the database id).

    ``remaining_w`` is the remaining quantity: one value per quarter hour of the delivery window,
    the power (W) still to be traded in that quarter hour. It starts at ``power_w`` everywhere
    (leave it None when submitting a new order); the engine lowers it as trades happen and the
    service stores it, so that ``OrderBook.restore`` can resume partially filled buys. For a sell
    (all-or-nothing) it is either all ``power_w`` or all 0. Give it when constructing the order
    and let the engine change it afterwards (it keeps ``max_remaining_w`` in step).
    """

    order_id: int
    side: Side
    power_w: float
    price_eur_per_kwh: float
    delivery_start: datetime
    delivery_end: datetime
    expiry_time: datetime
    country_code: str | None = None
    location_ids: frozenset[str] | None = None
    sequence: int = 0
    remaining_w: list[float] | None = None
    start_slot: int = field(init=False, repr=False)  # quarter hours since 1970 (UTC)
    end_slot: int = field(init=False, repr=False)
    deadline_at: datetime = field(init=False, repr=False)  # see ``deadline``
    max_remaining_w: float = field(init=False, repr=False)  # max(remaining_w), kept by the engine

    def __post_init__(self) -> None:
        """Check the order and fill in derived fields; raise ValueError for a malformed one."""
        if self.side not in _SIDES:
            raise ValueError(f"side must be 'buy' or 'sell', not {self.side!r}")
        if not (self.power_w > 0 and math.isfinite(self.power_w)):
            raise ValueError("power_w must be a finite number > 0")
        if not math.isfinite(self.price_eur_per_kwh):
            raise ValueError("price_eur_per_kwh must be a finite number")
        self.start_slot = _slot(self.delivery_start, "delivery_start")
        self.end_slot = _slot(self.delivery_end, "delivery_end")
        if not 0 < self.end_slot - self.start_slot <= _MAX_SLOTS:
            raise ValueError("delivery_start must be before delivery_end (at most 29 years)")
        if self.expiry_time.tzinfo is None:
            raise ValueError("expiry_time must be timezone-aware (UTC)")
        self.country_code = _any_if_empty_country(self.country_code)
        self.location_ids = _any_if_empty_locations(self.location_ids)
        self.deadline_at = min(self.expiry_time, self.delivery_start - EXPIRY_LEAD)
        self._init_remaining()
        self.max_remaining_w = max(self.remaining_w)

    def _init_remaining(self) -> None:
        """Default ``remaining_w`` to the full power per slot, or check a given one."""
        slots = self.end_slot - self.start_slot
        if self.remaining_w is None:
            self.remaining_w = [float(self.power_w)] * slots
            return
        self.remaining_w = [float(r) for r in self.remaining_w]
        if len(self.remaining_w) != slots:
            raise ValueError(f"remaining_w must have one value per quarter hour ({slots})")
        if any(r < -EPSILON_W or r > self.power_w + EPSILON_W for r in self.remaining_w):
            raise ValueError("remaining_w values must lie between 0 and power_w")

    @property
    def deadline(self) -> datetime:
        """When the order leaves the book: its expiry time, at the latest 15 min before delivery."""
        return self.deadline_at

    @property
    def slots(self) -> int:
        """Number of quarter hours in the delivery window."""
        return self.end_slot - self.start_slot

    @property
    def is_filled(self) -> bool:
        """True when nothing is left to trade in any quarter hour."""
        return self.max_remaining_w <= EPSILON_W

    @property
    def is_partially_filled(self) -> bool:
        """True when some, but not all, of the order's quantity has been traded."""
        return not self.is_filled and any(r < self.power_w - EPSILON_W for r in self.remaining_w)

    @property
    def filled_energy_kwh(self) -> float:
        """Energy traded so far (kWh): the traded power summed over the quarter hours, x 0.25 h."""
        return sum(self.power_w - r for r in self.remaining_w) * SLOT_SECONDS / 3600 / 1000

    @property
    def remaining_energy_kwh(self) -> float:
        """Energy still to be traded (kWh)."""
        return sum(self.remaining_w) * SLOT_SECONDS / 3600 / 1000


@dataclass(frozen=True, slots=True)
class Trade:
    """A match of one sell with one buy: ``power_w`` (W) over the sell's whole delivery window
    [``delivery_start``, ``delivery_end``) at ``price_eur_per_kwh`` (the resting order's price).

    ``aggressor_side`` is the side of the order whose arrival made the trade.
    ``buy_remaining_w`` is the buy's remaining power per quarter hour after this trade (see
    ``BookOrder.remaining_w``), so the service can store it and tell filled from partially filled.
    """

    buy_order_id: int
    sell_order_id: int
    power_w: float
    price_eur_per_kwh: float
    delivery_start: datetime
    delivery_end: datetime
    aggressor_side: Side
    buy_remaining_w: tuple[float, ...] = ()

    @property
    def energy_kwh(self) -> float:
        """Traded energy (kWh): power (W) x window length (h) / 1000."""
        hours = (self.delivery_end - self.delivery_start).total_seconds() / 3600
        return self.power_w * hours / 1000

    @property
    def value_eur(self) -> float:
        """Value of the trade (EUR): energy (kWh) x price (EUR/kWh)."""
        return self.energy_kwh * self.price_eur_per_kwh

    @property
    def buy_filled(self) -> bool:
        """True when this trade left the buy with nothing remaining."""
        return all(r <= EPSILON_W for r in self.buy_remaining_w)


def _priority_key(order: BookOrder) -> tuple[float, int, int]:
    """Sort key within a side: best price first (bids high to low, asks low to high), then time."""
    price = -order.price_eur_per_kwh if order.side == "buy" else order.price_eur_per_kwh
    return (price, order.sequence, order.order_id)


def _matches(buy: BookOrder, sell: BookOrder, now: datetime | None) -> bool:
    """Whether a buy and a sell match, all five rules of the module docstring in one place:
    prices cross, the sell's window lies inside the buy's, countries and location ids agree,
    and the buy has the sell's power left in every quarter hour of the sell's window; with
    ``now``, the buy is not past its deadline either. (The book's indexes find the same
    matches faster; this is the plain statement, used for the rare sells they leave out.)"""
    if sell.price_eur_per_kwh > buy.price_eur_per_kwh:
        return False
    if not buy.start_slot <= sell.start_slot < sell.end_slot <= buy.end_slot:
        return False
    if None not in (buy.country_code, sell.country_code) and buy.country_code != sell.country_code:
        return False
    if None not in (buy.location_ids, sell.location_ids) and buy.location_ids.isdisjoint(
        sell.location_ids
    ):
        return False
    if now is not None and buy.deadline_at <= now:
        return False
    return _fits(buy, sell)


def _fits(buy: BookOrder, sell: BookOrder) -> bool:
    """The buy has at least the sell's power left in every quarter hour of the sell's window."""
    first = sell.start_slot - buy.start_slot
    return min(buy.remaining_w[first : first + sell.end_slot - sell.start_slot]) >= (
        sell.power_w - EPSILON_W
    )


def _take(buy: BookOrder, sell: BookOrder) -> None:
    """Lower the buy's remaining power by the sell's power over the sell's window (differences
    below ``EPSILON_W`` become 0); empty the sell."""
    offset = sell.start_slot - buy.start_slot
    remaining = buy.remaining_w
    for i in range(offset, offset + sell.end_slot - sell.start_slot):
        left = remaining[i] - sell.power_w
        remaining[i] = left if left > EPSILON_W else 0.0
    buy.max_remaining_w = max(remaining)
    _empty(sell)


def _empty(sell: BookOrder) -> None:
    """Set a traded sell's remaining power to 0 in every quarter hour (in place)."""
    remaining = sell.remaining_w
    for i in range(len(remaining)):
        remaining[i] = 0.0
    sell.max_remaining_w = 0.0


class _Filing:
    """One dictionary of entries by slot (quarter hours since 1970): ``lists`` {slot: entries},
    each list sorted by priority key (its first three items: price key, sequence, order id,
    unique in the book), best first; and ``cheapest`` {slot: the price key of its first entry},
    so that a look at many slots reads one number each."""

    __slots__ = ("lists", "cheapest")

    def __init__(self, lists: dict[int, list[tuple]] | None = None) -> None:
        """Nothing filed, or (a copy of) these lists."""
        self.lists = {slot: list(v) for slot, v in (lists or {}).items()}
        self.cheapest = {slot: v[0][0] for slot, v in self.lists.items()}

    def insert(self, slot: int, entry: tuple) -> None:
        """Put an entry into the slot's list, keeping it sorted by priority key."""
        entries = self.lists.get(slot)
        if entries is None:
            self.lists[slot] = [entry]
        else:
            insort(entries, entry)
        self.cheapest[slot] = self.lists[slot][0][0]

    def delete(self, slot: int, key: tuple) -> None:
        """Take the entry with this priority key out of the slot's list (it must be there)."""
        entries = self.lists[slot]
        del entries[bisect_left(entries, key)]
        if entries:
            self.cheapest[slot] = entries[0][0]
        else:
            del self.lists[slot], self.cheapest[slot]


class _Filed:
    """Entries of one side of the book, filed by country and by slot (``_Filing``).

    An order for any country (None) is filed under None *and* under every country, so an order
    for one country finds all the orders that agree with it in that country's lists alone.
    Every order is also filed in ``everywhere``, where an order for any country finds all the
    orders (each once).
    """

    def __init__(self) -> None:
        """Nothing filed."""
        self.by_country: dict[str | None, _Filing] = {None: _Filing()}
        self.everywhere = _Filing()

    def filed_under(self, country_code: str | None) -> list[_Filing]:
        """The filings an order of this country belongs in (creating its country's)."""
        if country_code is None:
            return [*self.by_country.values(), self.everywhere]
        filing = self.by_country.get(country_code)
        if filing is None:  # a new country starts with every "any" order
            filing = self.by_country[country_code] = _Filing(self.by_country[None].lists)
        return [filing, self.everywhere]

    def agreeing(self, country_code: str | None) -> _Filing:
        """The filing holding every order whose country agrees with ``country_code``
        (equal, or either is None: "any"), each order once."""
        if country_code is None:
            return self.everywhere
        return self.by_country.get(country_code) or self.by_country[None]


_TIME = attrgetter("sequence", "order_id")  # time priority among equal prices


class _SlotBids:
    """The buys filed under one quarter hour (slot), best first, as three columns in priority
    order: ``prices`` (minus the bid price, an ``array`` of doubles, ascending), ``orders``
    (the BookOrders) and ``left`` (an ``array``: the power, W, each buy has left in this
    quarter hour). Among equal prices the buys rank by (sequence, order id), unique in the book.

    The columns are compact (an array of doubles is one block of memory, and the columns hold
    no objects of their own), because on a busy machine the engine's time goes mostly to
    reading memory: a scan for a sell reads ``left`` alone and looks at the order only for the
    few buys with enough power left there (about 20 bids read and 6 orders looked at per
    incoming sell); a position is found by bisecting ``prices`` and, among equal prices only,
    the orders. ``top_sequence`` is the highest sequence ever filed here: a buy with a higher
    one goes after every buy of its price without looking at them.
    """

    __slots__ = ("prices", "orders", "left", "top_sequence")

    def __init__(self) -> None:
        """No buys."""
        self.prices = array("d")
        self.orders: list[BookOrder] = []
        self.left = array("d")
        self.top_sequence = -math.inf

    def rank(self, order: BookOrder) -> int:
        """How many buys of this list rank before the buy ``order`` (which is not in it)."""
        prices = self.prices
        price = -order.price_eur_per_kwh
        high = bisect_right(prices, price)
        if high and prices[high - 1] == price:  # among equal prices: by sequence and id
            low = bisect_left(prices, price, 0, high)
            return bisect_left(self.orders, _TIME(order), low, high, key=_TIME)
        return high

    def index(self, order: BookOrder) -> int:
        """Where the buy ``order`` (which is in this list) is."""
        prices, orders = self.prices, self.orders
        high = bisect_right(prices, -order.price_eur_per_kwh)
        if orders[high - 1] is order:  # the last of its price
            return high - 1
        return orders.index(order, bisect_left(prices, prices[high - 1], 0, high), high)

    def delete(self, order: BookOrder) -> bool:
        """Take out the buy ``order``; return whether the list is empty now."""
        i = self.index(order)
        del self.prices[i], self.orders[i], self.left[i]
        return not self.orders

    def first_taker(self, count: int, sell: BookOrder, now: datetime | None) -> BookOrder | None:
        """The first buy among the best ``count`` that can take the sell (which starts in this
        slot), or None. It can when it has the sell's power left in this quarter hour and in
        the others of the sell's window, its window reaches the sell's end, location ids agree
        and it is not past its deadline (countries and the window's start are the caller's)."""
        need = sell.power_w - EPSILON_W
        start, end = sell.start_slot, sell.end_slot
        left, orders = self.left, self.orders
        places = sell.location_ids
        for i in range(count):
            if left[i] < need:
                continue  # too little power in this quarter hour
            buy = orders[i]
            if buy.end_slot < end:
                continue  # the buy's window ends too soon
            first = start - buy.start_slot
            if end - start > 1 and min(buy.remaining_w[first : first + end - start]) < need:
                continue
            ids = buy.location_ids
            if places is not None and ids is not None and places.isdisjoint(ids):
                continue
            if now is None or buy.deadline_at > now:
                return buy
        return None


class _Bids:
    """Resting buys, for incoming sells: each buy is filed under every quarter hour (slot) of
    its window in which it still has power left (``_SlotBids``), by its country (None: "any").
    The buys that can take a sell starting at slot s are in the slot-s lists of the sell's
    country and of "any" (of every country, for a sell for any country). A quarter hour whose
    power is used up leaves its list at once (``take``).

    A buy's ``remaining_w`` is referred to by the lists, and the engine changes it in place:
    that is why an order in the book must not be changed from outside.
    """

    def __init__(self) -> None:
        """No bids."""
        self.by_country: dict[str | None, dict[int, _SlotBids]] = {None: {}}

    def add(self, buy: BookOrder) -> None:
        """File a buy under each slot where it has power left, at its place in priority order:
        by price, then by (sequence, order id), which only needs looking at the buys of the
        same price when its sequence is not above every one filed in that list before."""
        by_slot = self.by_country.get(buy.country_code)
        if by_slot is None:
            by_slot = self.by_country[buy.country_code] = {}
        get = by_slot.get
        price, sequence = -buy.price_eur_per_kwh, buy.sequence
        for slot, left in enumerate(buy.remaining_w, buy.start_slot):
            if left > 0:
                bids = get(slot)
                if bids is None:
                    bids = by_slot[slot] = _SlotBids()
                prices = bids.prices  # its place: by price, then by time (see _SlotBids)
                i = bisect_right(prices, price)
                if sequence > bids.top_sequence:
                    bids.top_sequence = sequence
                elif i and prices[i - 1] == price:
                    i = bids.rank(buy)
                prices.insert(i, price)
                bids.orders.insert(i, buy)
                bids.left.insert(i, left)

    def take(self, buy: BookOrder, sell: BookOrder) -> None:
        """Trade a resting buy with a sell, as ``_take`` does, and follow it in the lists: in
        each quarter hour of the sell's window, record what the buy has left, or take it out
        of that quarter hour's list where nothing is left."""
        by_slot = self.by_country[buy.country_code]
        remaining, power, first = buy.remaining_w, sell.power_w, buy.start_slot
        for i in range(sell.start_slot - first, sell.end_slot - first):
            was = remaining[i]
            left = was - power
            left = remaining[i] = left if left > EPSILON_W else 0.0
            if was > 0:
                bids = by_slot[first + i]
                if left > 0:
                    bids.left[bids.index(buy)] = left
                elif bids.delete(buy):
                    del by_slot[first + i]
        buy.max_remaining_w = max(remaining)
        _empty(sell)

    def remove(self, buy: BookOrder) -> None:
        """Take a buy out of the book (out of every list it is in)."""
        by_slot = self.by_country[buy.country_code]
        for slot, left in enumerate(buy.remaining_w, buy.start_slot):
            if left > 0 and by_slot[slot].delete(buy):
                del by_slot[slot]

    def best_for(self, sell: BookOrder, now: datetime | None) -> BookOrder | None:
        """The best-ranked buy that matches the sell (all rules), or None; for a sell of more
        than ``EPSILON_W`` W (a buy with no power left in the sell's first quarter hour cannot
        take a bigger one, and those are the lists looked at).

        Looks in the sell's first slot's list of each agreeing country, in each only at the
        buys ranked before the best match found so far (at first: the buys whose price
        crosses the sell's)."""
        if sell.country_code is None:
            filings = self.by_country.values()
        else:
            filings = (self.by_country.get(sell.country_code, _NONE), self.by_country[None])
        best = None
        for by_slot in filings:
            bids = by_slot.get(sell.start_slot)
            if bids is not None:
                if best is None:
                    count = bisect_right(bids.prices, -sell.price_eur_per_kwh)
                else:
                    count = bids.rank(best)
                best = bids.first_taker(count, sell, now) or best
        return best


class _Asks:
    """Resting sells, for incoming buys: each sell is filed under the slot its delivery starts
    in, so the sells inside a buy's window [start, end) are those in the lists of slots start
    to end - 1 that end by ``end``. An entry is (price, sequence, order id, end slot, deadline):
    numbers only, so the garbage collector soon stops tracking it; the order is in ``orders``.

    To find them the book looks up every slot of the buy's window, or, when the window has
    more quarter hours than there are lists (or more than ``_MAX_LOOKUPS``), walks the lists.
    """

    def __init__(self, orders: dict[int, BookOrder]) -> None:
        """No asks; ``orders`` are the book's resting orders by id."""
        self.orders = orders
        self.filed = _Filed()

    def add(self, sell: BookOrder) -> None:
        """File a sell under its start slot."""
        entry = (
            sell.price_eur_per_kwh,
            sell.sequence,
            sell.order_id,
            sell.end_slot,
            sell.deadline_at,
        )
        for filing in self.filed.filed_under(sell.country_code):
            filing.insert(sell.start_slot, entry)

    def remove(self, sell: BookOrder) -> None:
        """Take a sell out of the book."""
        key = (sell.price_eur_per_kwh, sell.sequence, sell.order_id)
        for filing in self.filed.filed_under(sell.country_code):
            filing.delete(sell.start_slot, key)

    def crossing(self, buy: BookOrder, now: datetime | None) -> list[tuple]:
        """The entries, in rank order, of the sells inside the buy's window whose price crosses
        the buy's and whose country, location ids and deadline agree (quantities are left to
        the caller: they change as the buy trades)."""
        filing = self.filed.agreeing(buy.country_code)
        start, end = buy.start_slot, buy.end_slot
        price = buy.price_eur_per_kwh
        if end - start <= len(filing.lists) and end - start <= _MAX_LOOKUPS:
            get = filing.cheapest.get
            if min(map(get, range(start, end), repeat(math.inf))) > price:
                return []  # no ask in the window crosses (most buys)
            slots: Iterable[int] = range(start, end)
        else:
            slots = [slot for slot in filing.lists if start <= slot < end]
        found: list[tuple] = []
        for slot in slots:
            if filing.cheapest.get(slot, math.inf) <= price:
                _collect(filing.lists[slot], buy, now, found, self.orders)
        found.sort()
        return found


def _collect(
    entries: list[tuple], buy: BookOrder, now: datetime | None, found: list, orders: dict
) -> None:
    """Add to ``found`` the entries of asks (one start slot's list, cheapest first) that cross
    the buy's price, end within its window, agree on location ids and are not past their
    deadline (with ``now``)."""
    price, end, places = buy.price_eur_per_kwh, buy.end_slot, buy.location_ids
    for entry in entries:
        if entry[0] > price:
            return  # this and the rest of the list ask more than the buy bids
        if entry[3] > end or (now is not None and entry[4] <= now):
            continue
        ids = orders[entry[2]].location_ids
        if places is None or ids is None or not places.isdisjoint(ids):
            found.append(entry)


class OrderBook:
    """A continuous double auction over flexibility orders (see the module docstring for rules).

    ``submit`` matches an incoming order and returns its trades; the BookOrder objects passed in
    are updated in place (``remaining_w``). Fully filled orders leave the book; the rest rest.
    """

    def __init__(self) -> None:
        """An empty book."""
        self._orders: dict[int, BookOrder] = {}
        self._bids = _Bids()
        self._asks = _Asks(self._orders)
        self._deadlines: list[tuple[datetime, int, int]] = []

    def __len__(self) -> int:
        """Number of resting orders (both sides)."""
        return len(self._orders)

    def __contains__(self, order_id: object) -> bool:
        """Whether an order with this id rests in the book."""
        return order_id in self._orders

    def get(self, order_id: int) -> BookOrder | None:
        """The resting order with this id, or None (unknown, filled, cancelled or expired)."""
        return self._orders.get(order_id)

    def bids(self) -> list[BookOrder]:
        """Resting buys, best first: price descending, then time (sequence ascending)."""
        return self._sorted("buy")

    def asks(self) -> list[BookOrder]:
        """Resting sells, best first: price ascending, then time (sequence ascending)."""
        return self._sorted("sell")

    def _sorted(self, side: Side) -> list[BookOrder]:
        """Resting orders of one side in priority order."""
        orders = [o for o in self._orders.values() if o.side == side]
        return sorted(orders, key=_priority_key)

    def submit(self, order: BookOrder, now: datetime | None = None) -> list[Trade]:
        """Match an incoming order against the book; rest whatever is left of it.

        Returns the trades it made, best-ranked counterpart first. With ``now`` given, no order
        past its deadline (see ``expire``) trades: not the resting ones, nor the incoming one
        (it rests, untraded); ``expire(now)`` removes and reports them. Raises ValueError for an
        order id already in the book.
        """
        if order.order_id in self._orders:
            raise ValueError(f"order {order.order_id} is already in the book")
        if now is not None and order.deadline_at <= now:
            trades = []
        elif order.side == "sell":
            buy = self._best_buy_for(order, now)
            trades = [self._trade(buy, order, buy)] if buy is not None else []
        else:
            asks = self._asks.crossing(order, now)
            trades = [self._trade(order, s, s) for s in self._fitting(order, asks)] if asks else []
        if not order.is_filled:
            self._rest(order)
        return trades

    def _trade(self, buy: BookOrder, sell: BookOrder, resting: BookOrder) -> Trade:
        """Record a match: update quantities and the book, make the Trade."""
        if resting is buy:
            self._bids.take(buy, sell)
            if buy.is_filled:
                self._drop(buy)
        else:
            _take(buy, sell)
            self._drop(sell)
        return Trade(  # positional (buy, sell, power, price, window, aggressor, remaining)
            buy.order_id,
            sell.order_id,
            sell.power_w,
            resting.price_eur_per_kwh,
            sell.delivery_start,
            sell.delivery_end,
            "buy" if resting is sell else "sell",
            tuple(buy.remaining_w),
        )

    def _best_buy_for(self, sell: BookOrder, now: datetime | None) -> BookOrder | None:
        """The best-ranked resting buy that matches an incoming sell, or None.

        A sell of at most ``EPSILON_W`` W fits even a quarter hour with nothing left, which the
        bids' index leaves out: for such a sell every resting buy is checked.
        """
        if sell.power_w > EPSILON_W:
            return self._bids.best_for(sell, now)
        buys = (o for o in self._orders.values() if o.side == "buy" and _matches(o, sell, now))
        return min(buys, key=_priority_key, default=None)

    def _fitting(self, buy: BookOrder, asks: list[tuple]) -> Iterator[BookOrder]:
        """The sells of these ask entries (in rank order) that still fit what is left of the
        buy, each checked after the trades with the ones before; none once it is filled."""
        for entry in asks:
            if buy.max_remaining_w <= EPSILON_W:  # filled
                return
            sell = self._orders[entry[2]]
            if _fits(buy, sell):
                yield sell

    def _rest(self, order: BookOrder) -> None:
        """Put an order into the book (no matching)."""
        self._orders[order.order_id] = order
        if order.side == "buy":
            self._bids.add(order)
        else:
            self._asks.add(order)
        heapq.heappush(self._deadlines, (order.deadline_at, order.sequence, order.order_id))

    def _drop(self, order: BookOrder) -> None:
        """Take a resting order out of the book."""
        del self._orders[order.order_id]
        if order.side == "buy":
            self._bids.remove(order)
        else:
            self._asks.remove(order)

    def cancel(self, order_id: int) -> BookOrder | None:
        """Remove a resting order; return it, or None if it is not in the book."""
        order = self._orders.get(order_id)
        if order is not None:
            self._drop(order)
        return order

    def expire(self, now: datetime) -> list[BookOrder]:
        """Remove and return the resting orders whose deadline has come (earliest first).

        An order's deadline is its expiry time, or 15 minutes before its delivery start if
        that is earlier: it expires when ``deadline <= now``.
        """
        expired = []
        while self._deadlines and self._deadlines[0][0] <= now:
            deadline, _, order_id = heapq.heappop(self._deadlines)
            order = self._orders.get(order_id)
            if order is not None and order.deadline_at == deadline:
                self._drop(order)
                expired.append(order)
        return expired

    @classmethod
    def restore(cls, orders: Iterable[BookOrder]) -> OrderBook:
        """Rebuild a book from stored resting orders (with their ``remaining_w``), without matching.

        Orders with nothing remaining are left out; duplicate ids raise ValueError.
        """
        book = cls()
        for order in orders:
            if order.order_id in book._orders:
                raise ValueError(f"order {order.order_id} is given twice")
            if not order.is_filled:
                book._rest(order)
        return book
