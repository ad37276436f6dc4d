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

Data structures: resting orders are kept per side in buckets keyed by (country, delivery
window), each bucket a list sorted by priority key (bisect); orders for any country are filed
under every country too, and every order once more in an "everywhere" dictionary, where an
order for any country looks. A heap of deadlines serves expiry. A match only looks at the
buckets whose window and country can match at all (an incoming sell visits them best bid first
and stops once no bucket can beat the match found); which buckets those are is remembered per
(bucket dictionary, window) until a bucket of that dictionary that could be one of them (by its
delivery start) comes or goes. So the cost of a
submit depends on the part of the book that could match, not on the size of the book.
``benchmarks/bench_market_engine.py`` measures it.
"""

from __future__ import annotations

import heapq
import math
from bisect import bisect_left, insort
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from operator import itemgetter
from typing import Literal

Side = Literal["buy", "sell"]

SLOT_SECONDS = 900  # the market time unit: one quarter hour
EXPIRY_LEAD = timedelta(minutes=15)  # orders leave the book at the latest this long before delivery
EPSILON_W = 1e-6  # power differences below this (W) count as zero (float rounding)

_SIDES = ("buy", "sell")
_LENGTH_BITS = 20  # a window key is start slot << 20 | window length in quarter hours
_LENGTH_MASK = (1 << _LENGTH_BITS) - 1
_MAX_LOOKUPS = 2048  # beyond this many candidate windows, scan the buckets instead
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


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
    window_key: int = field(init=False, repr=False)  # identifies the delivery window
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
        if not 0 < self.end_slot - self.start_slot <= _LENGTH_MASK:
            raise ValueError("delivery_start must be before delivery_end (at most 29 years)")
        self.window_key = _window_key(self.start_slot, self.end_slot - self.start_slot)
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


@dataclass(frozen=True)
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


def _entry(order: BookOrder) -> tuple[float, int, int, BookOrder]:
    """A bucket entry: the priority key (unique, so the order itself is never compared) + order."""
    return (*_priority_key(order), order)


_TOP = itemgetter(0)  # a bucket's best entry (its sort key: price key, sequence, id)


def _fits(buy: BookOrder, sell: BookOrder) -> bool:
    """The buy has at least the sell's power left in every quarter hour of the sell's window."""
    first = sell.start_slot - buy.start_slot
    return min(buy.remaining_w[first : first + sell.end_slot - sell.start_slot]) >= (
        sell.power_w - EPSILON_W
    )


def _take(buy: BookOrder, sell: BookOrder) -> None:
    """Lower the buy's remaining power by the sell's power over the sell's window; empty sell."""
    offset = sell.start_slot - buy.start_slot
    remaining = buy.remaining_w
    for i in range(offset, offset + sell.slots):
        left = remaining[i] - sell.power_w
        remaining[i] = left if left > EPSILON_W else 0.0
    buy.max_remaining_w = max(remaining)
    sell.remaining_w = [0.0] * sell.slots
    sell.max_remaining_w = 0.0


def _best_buy(buckets: list[list[tuple]], sell: BookOrder, now: datetime | None) -> tuple | None:
    """The best-ranked entry, over buckets of buys whose window contains the sell's (sorted by
    their best entry), whose buy can take the sell, or None. A buy can take it when the prices
    cross, places agree, the buy is not past its deadline (with ``now``), and it has the sell's
    power left in every quarter hour of the sell's window (as ``_fits``, inlined: a hot loop).
    A bucket is scanned only down to the best match found so far; the scan stops at the first
    bucket whose best bid ranks below that."""
    best: tuple = (-sell.price_eur_per_kwh, math.inf, 0)  # bids must rank above this
    need = sell.power_w - EPSILON_W
    places = sell.location_ids
    start, slots = sell.start_slot, sell.end_slot - sell.start_slot
    for entries in buckets:
        if entries[0][0] > best[0]:
            break  # this and all later buckets' best bids rank below the best match so far
        for entry in entries:
            if entry >= best:
                break
            buy = entry[3]
            if buy.max_remaining_w < need or (now is not None and buy.deadline_at <= now):
                continue
            ids = buy.location_ids
            if places is not None and ids is not None and places.isdisjoint(ids):
                continue
            first = start - buy.start_slot
            if min(buy.remaining_w[first : first + slots]) >= need:
                best = entry
                break
    return best if len(best) > 3 else None


def _crossing_sells(buckets: list[list[tuple]], buy: BookOrder, now: datetime | None) -> list:
    """The entries, in rank order, of buckets of sells (inside the buy's window) whose price
    crosses the buy's and whose place and deadline agree (one loop: a hot path)."""
    price = buy.price_eur_per_kwh
    places = buy.location_ids
    found = []
    for entries in buckets:
        for entry in entries:
            if entry[0] > price:
                break  # this and the rest of the bucket ask more than the buy bids
            sell = entry[3]
            if now is not None and sell.deadline_at <= now:
                continue
            ids = sell.location_ids
            if places is None or ids is None or not places.isdisjoint(ids):
                found.append(entry)
    found.sort()
    return found


def _window_key(start_slot: int, slots: int) -> int:
    """The bucket key of a delivery window (its start slot and its length in quarter hours)."""
    return (start_slot << _LENGTH_BITS) | slots


def _containing_count(slots: int, longest: int) -> int:
    """How many windows of at most ``longest`` quarter hours contain one of ``slots``."""
    n = max(longest - slots + 1, 0)
    return n * (n + 1) // 2


def _inside_count(slots: int, longest: int) -> int:
    """How many windows of at most ``longest`` quarter hours lie inside one of ``slots``."""
    m = min(longest, slots)
    return m * (m + 1) // 2 + m * (slots - m)


@lru_cache(maxsize=1024)
def _containing_offsets(slots: int, longest: int) -> tuple[int, ...]:
    """Key offsets, from a window's own key with length 0, of all windows of at most
    ``longest`` quarter hours that contain a window of ``slots`` quarter hours."""
    return tuple(
        -(before << _LENGTH_BITS) + length
        for before in range(0, longest - slots + 1)
        for length in range(before + slots, longest + 1)
    )


@lru_cache(maxsize=1024)
def _inside_offsets(slots: int, longest: int) -> tuple[int, ...]:
    """Key offsets, from a window's own key with length 0, of all windows of at most
    ``longest`` quarter hours that lie inside a window of ``slots`` quarter hours."""
    return tuple(
        (after << _LENGTH_BITS) + length
        for after in range(0, slots)
        for length in range(1, min(longest, slots - after) + 1)
    )


@lru_cache(maxsize=1024)
def _offsets(slots: int, longest: int, containing: bool) -> tuple[int, tuple[int, ...]]:
    """How many windows, and their key offsets (see ``_containing_offsets``), contain
    (``containing``) or lie inside a window of ``slots`` quarter hours, given the longest window
    held (a containing window is at least ``slots`` long)."""
    if containing:
        longest = max(longest, slots)
        return _containing_count(slots, longest), _containing_offsets(slots, longest)
    return _inside_count(slots, longest), _inside_offsets(slots, longest)


def _contains(key: int, start_slot: int, end_slot: int) -> bool:
    """Whether the window with this bucket key contains [start_slot, end_slot)."""
    start = key >> _LENGTH_BITS
    return start <= start_slot and start + (key & _LENGTH_MASK) >= end_slot


def _inside(key: int, start_slot: int, end_slot: int) -> bool:
    """Whether the window with this bucket key lies inside [start_slot, end_slot)."""
    start = key >> _LENGTH_BITS
    return start >= start_slot and start + (key & _LENGTH_MASK) <= end_slot


class _Side:
    """Resting orders of one side, in buckets {country or None: {window key: entries}}.

    A window key (``_window_key``) stands for one delivery window; each bucket's entries are
    sorted by priority key (``_entry``), best first. To find the windows that contain (or lie
    inside) a given one, the side either looks up every possible key, using the longest window
    it has held, or, when that would be more look-ups than it has buckets, scans its buckets.

    An order for any country (None) is filed under None *and* under every country, so an order
    for one country finds all the orders that agree with it in that country's buckets alone.
    Every order is also filed in ``everywhere``, where an order for any country finds all the
    orders (each once).
    """

    def __init__(self) -> None:
        """An empty side."""
        self.buckets: dict[str | None, dict[int, list[tuple]]] = {None: {}}
        self.everywhere: dict[int, list[tuple]] = {}  # every order of this side
        self.longest = 0  # the most quarter hours any resting order of this side has ever had
        self.longest_asked = 0  # the most quarter hours of any window asked about (inside)
        # answers of ``related``, per (bucket dictionary's id, containing), per start slot of
        # the window asked about, by its window key; those a bucket could be part of are
        # forgotten when it comes or goes (``_forget``), all of them when ``longest`` grows
        self.related_cache: dict[tuple[int, bool], dict[int, dict[int, list[list[tuple]]]]] = {}

    def _filed_under(self, order: BookOrder) -> list[dict[int, list[tuple]]]:
        """The bucket dictionaries an order belongs in (creating its country's if new)."""
        if order.country_code is None:
            return [*self.buckets.values(), self.everywhere]
        by_window = self.buckets.get(order.country_code)
        if by_window is None:  # a new country starts with every "any" order
            by_window = {key: list(v) for key, v in self.buckets[None].items()}
            self.buckets[order.country_code] = by_window
        return [by_window, self.everywhere]

    def add(self, order: BookOrder) -> None:
        """Put an order in its bucket(s), keeping each bucket sorted by priority."""
        entry = _entry(order)
        key = order.window_key
        for by_window in self._filed_under(order):
            entries = by_window.get(key)
            if entries is None:
                by_window[key] = [entry]
                self._forget(by_window, key)
            else:
                insort(entries, entry)
        if order.slots > self.longest:
            self.longest = order.slots
            self.related_cache.clear()

    def remove(self, order: BookOrder) -> None:
        """Take an order out of its bucket(s) (it must be there)."""
        key = _priority_key(order)
        for by_window in self._filed_under(order):
            entries = by_window[order.window_key]
            del entries[bisect_left(entries, key)]
            if not entries:
                del by_window[order.window_key]
                self._forget(by_window, order.window_key)

    def agreeing(self, country_code: str | None) -> dict[int, list[tuple]]:
        """The bucket dictionary holding every order whose country agrees with
        ``country_code`` (equal, or either is None: "any"), each order once."""
        if country_code is None:
            return self.everywhere
        return self.buckets.get(country_code) or self.buckets[None]

    def related(self, order: BookOrder, containing: bool) -> list[list[tuple]]:
        """Buckets (entry lists) of agreeing country whose window contains the order's
        (``containing``) or lies inside it (see ``look_up``), remembered until a bucket that
        could be among them comes or goes (``_forget``). The list is shared: reorder it if you
        like, but do not add or remove buckets."""
        cache_key = (id(self.agreeing(order.country_code)), containing)
        by_start = self.related_cache.get(cache_key)
        if by_start is None:
            by_start = self.related_cache[cache_key] = {}
        memo = by_start.get(order.start_slot)
        if memo is None:
            memo = by_start[order.start_slot] = {}
        found = memo.get(order.window_key)
        if found is None:
            if not containing and order.end_slot - order.start_slot > self.longest_asked:
                self.longest_asked = order.end_slot - order.start_slot
            found = memo[order.window_key] = self.look_up(order, containing)
        return found

    def _forget(self, by_window: dict[int, list[tuple]], key: int) -> None:
        """Forget the remembered answers of ``related`` for this bucket dictionary that the
        bucket with this window key could belong to (it has just come or gone): windows
        asked about that contain it (starting at most ``longest_asked`` - its length quarter
        hours before it) or lie inside it (starting within it)."""
        start, length = key >> _LENGTH_BITS, key & _LENGTH_MASK
        asked_inside = self.related_cache.get((id(by_window), True))
        if asked_inside:
            for slot in range(start, start + length):
                asked_inside.pop(slot, None)
        asked_around = self.related_cache.get((id(by_window), False))
        if asked_around:
            for slot in range(start + length - self.longest_asked, start + 1):
                asked_around.pop(slot, None)

    def look_up(self, order: BookOrder, containing: bool) -> list[list[tuple]]:
        """Buckets (entry lists) of agreeing country whose window contains the order's
        (``containing``) or lies inside it.

        Looks up every window key that could qualify (windows are at most as long as the
        longest this side has held) when there are fewer of those than buckets (and at most
        ``_MAX_LOOKUPS``); otherwise scans the buckets.
        """
        start, end = order.start_slot, order.end_slot
        count, offsets = _offsets(end - start, self.longest, containing)
        by_window = self.agreeing(order.country_code)
        if count <= len(by_window) and count <= _MAX_LOOKUPS:
            return list(
                filter(None, map(by_window.get, map((start << _LENGTH_BITS).__add__, offsets)))
            )
        qualifies = _contains if containing else _inside
        return [v for k, v in by_window.items() if qualifies(k, start, end)]


class OrderBook:
    """A continuous double auction over flexibility orders (see the module docstring for rules).

    ``submit`` matches an incoming order and returns its trades; the BookOrder objects passed in
    are updated in place (``remaining_w``). Fully filled orders leave the book; the rest rest.
    """

    def __init__(self) -> None:
        """An empty book."""
        self._orders: dict[int, BookOrder] = {}
        self._sides = {"buy": _Side(), "sell": _Side()}
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
            trades = [self._trade(order, sell, sell) for sell in self._sells_for(order, now)]
        if not order.is_filled:
            self._rest(order)
        return trades

    def _trade(self, buy: BookOrder, sell: BookOrder, resting: BookOrder) -> Trade:
        """Record a match: update quantities, drop the filled resting order, make the Trade."""
        _take(buy, sell)
        if resting.is_filled:
            self._drop(resting)
        return Trade(
            buy_order_id=buy.order_id,
            sell_order_id=sell.order_id,
            power_w=sell.power_w,
            price_eur_per_kwh=resting.price_eur_per_kwh,
            delivery_start=sell.delivery_start,
            delivery_end=sell.delivery_end,
            aggressor_side="buy" if resting is sell else "sell",
            buy_remaining_w=tuple(buy.remaining_w),
        )

    def _best_buy_for(self, sell: BookOrder, now: datetime | None) -> BookOrder | None:
        """The best-ranked resting buy that matches an incoming sell, or None.

        Looks only at buy buckets whose window contains the sell's and whose best bid crosses;
        visits them best bid first and stops as soon as the next bucket's best bid ranks below
        the match found so far.
        """
        buckets = self._sides["buy"].related(sell, True)
        # best bid first (in place: the remembered list stays nearly sorted, which Timsort
        # sorts in about linear time); the result does not depend on the order of ties
        buckets.sort(key=_TOP)
        best = _best_buy(buckets, sell, now)
        return best[3] if best is not None else None

    def _sells_for(self, buy: BookOrder, now: datetime | None) -> Iterator[BookOrder]:
        """Resting sells matching an incoming buy, in rank order, each fitting what is left.

        Looks only at sell buckets whose window lies inside the buy's and, in each, at the asks
        crossing the buy's price.
        """
        for entry in _crossing_sells(self._sides["sell"].related(buy, False), buy, now):
            if buy.max_remaining_w <= EPSILON_W:  # filled
                return
            if _fits(buy, entry[3]):
                yield entry[3]

    def _rest(self, order: BookOrder) -> None:
        """Put an order into the book (no matching)."""
        self._orders[order.order_id] = order
        self._sides[order.side].add(order)
        heapq.heappush(self._deadlines, (order.deadline_at, order.sequence, order.order_id))

    def _drop(self, order: BookOrder) -> None:
        """Take a resting order out of the book."""
        del self._orders[order.order_id]
        self._sides[order.side].remove(order)

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
