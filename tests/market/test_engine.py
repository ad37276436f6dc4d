"""The matching engine's rules (flexmeasures.market.engine): pure unit tests, no database."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from flexmeasures.market import engine
from flexmeasures.market.engine import BookOrder, OrderBook

T0 = datetime(2026, 8, 1, 10, 0, tzinfo=UTC)
Q = timedelta(minutes=15)
H = timedelta(hours=1)


def order(
    order_id: int,
    side: str,
    power_w: float = 1000,
    price: float = 0.2,
    start: datetime = T0,
    end: datetime | None = None,
    expiry: datetime | None = None,
    country: str | None = "FI",
    places: frozenset[str] | None = None,
    sequence: int | None = None,
    remaining_w: list[float] | None = None,
) -> BookOrder:
    """A BookOrder with defaults: one hour from 10:00, expiring at 08:00, in Finland."""
    return BookOrder(
        order_id=order_id,
        side=side,
        power_w=power_w,
        price_eur_per_kwh=price,
        delivery_start=start,
        delivery_end=end or start + H,
        expiry_time=expiry or T0 - 2 * H,
        country_code=country,
        location_ids=places,
        sequence=order_id if sequence is None else sequence,
        remaining_w=remaining_w,
    )


def book_of(*orders: BookOrder) -> OrderBook:
    """A book into which the orders were submitted in turn (asserting none of them traded)."""
    book = OrderBook()
    for o in orders:
        assert book.submit(o) == []
    return book


# --- when a buy and a sell match ---------------------------------------------------------


@pytest.mark.parametrize(
    "buy_price, sell_price, matches",
    [(0.30, 0.20, True), (0.20, 0.20, True), (0.19, 0.20, False)],
)
def test_prices_must_cross(buy_price, sell_price, matches):
    book = book_of(order(1, "buy", price=buy_price))
    trades = book.submit(order(2, "sell", price=sell_price))
    assert bool(trades) is matches


@pytest.mark.parametrize(
    "sell_start, sell_end, matches",
    [
        (T0, T0 + H, True),  # same window
        (T0 + Q, T0 + 2 * Q, True),  # strictly inside
        (T0 - Q, T0 + Q, False),  # starts before the buy
        (T0 + 3 * Q, T0 + 5 * Q, False),  # ends after the buy
        (T0 + H, T0 + H + Q, False),  # after the buy
    ],
)
def test_sell_window_must_lie_inside_the_buy_window(sell_start, sell_end, matches):
    book = book_of(order(1, "buy"))
    trades = book.submit(order(2, "sell", power_w=500, start=sell_start, end=sell_end))
    assert bool(trades) is matches


def test_a_sell_window_wider_than_the_buy_does_not_match_either_way():
    book = book_of(order(1, "sell", start=T0, end=T0 + 2 * H))
    assert book.submit(order(2, "buy", start=T0, end=T0 + H)) == []
    assert len(book) == 2


@pytest.mark.parametrize(
    "buy_country, sell_country, matches",
    [("FI", "FI", True), ("FI", "DE", False), (None, "DE", True), ("DE", None, True)],
)
def test_countries_must_agree(buy_country, sell_country, matches):
    book = book_of(order(1, "buy", country=buy_country))
    assert bool(book.submit(order(2, "sell", country=sell_country))) is matches


def test_any_country_orders_meet_countries_that_arrive_later_and_trade_once():
    book = book_of(order(1, "sell", power_w=300, country=None), order(2, "sell", country="DE"))
    book.submit(order(3, "buy", power_w=100, price=0.1, country="FR"))  # too cheap: rests
    book.cancel(3)
    (trade,) = book.submit(order(4, "buy", power_w=300, country="ES"))  # a country new to the book
    assert trade.sell_order_id == 1
    book.submit(order(5, "sell", power_w=300, country=None))
    trades = book.submit(order(6, "buy", power_w=5000, country=None))
    assert sorted(t.sell_order_id for t in trades) == [2, 5]  # each sell once
    assert len(book) == 1  # the partly filled buy


def test_a_cancelled_any_country_order_is_gone_for_every_country():
    book = book_of(order(1, "buy", country=None), order(2, "sell", price=0.5, country="FI"))
    book.cancel(1)
    assert book.submit(order(3, "sell", country="DE")) == []
    assert book.submit(order(4, "sell", country="FI")) == []
    assert [o.order_id for o in book.asks()] == [3, 4, 2]


def test_empty_country_code_means_any():
    book = book_of(order(1, "buy", country=""))
    assert book.get(1).country_code is None
    assert book.submit(order(2, "sell", country="ES"))


@pytest.mark.parametrize(
    "buy_places, sell_places, matches",
    [
        ({"FI_1", "FI_2"}, {"FI_2"}, True),
        ({"FI_1"}, {"FI_2"}, False),
        (None, {"FI_2"}, True),
        ({"FI_1"}, None, True),
        ({"FI_1"}, [None], True),  # a list holding null means "any"
        ([], {"FI_1"}, True),
    ],
)
def test_location_ids_must_intersect_or_be_any(buy_places, sell_places, matches):
    book = book_of(order(1, "buy", places=buy_places))
    assert bool(book.submit(order(2, "sell", places=sell_places))) is matches


def test_matching_location_ids_do_not_overrule_the_country():
    book = book_of(order(1, "buy", country="FI", places=frozenset({"X"})))
    assert book.submit(order(2, "sell", country="DE", places=frozenset({"X"}))) == []


# --- the trade -------------------------------------------------------------------------


def test_trade_covers_the_sell_window_and_power_at_the_resting_price():
    book = book_of(order(1, "buy", power_w=3000, price=0.30))
    (trade,) = book.submit(order(2, "sell", power_w=2000, price=0.10, start=T0 + Q, end=T0 + 3 * Q))
    assert (trade.buy_order_id, trade.sell_order_id) == (1, 2)
    assert trade.power_w == 2000
    assert (trade.delivery_start, trade.delivery_end) == (T0 + Q, T0 + 3 * Q)
    assert trade.energy_kwh == pytest.approx(2000 * 0.5 / 1000)
    assert trade.price_eur_per_kwh == 0.30  # the bid was resting: the buyer pays its bid
    assert trade.aggressor_side == "sell"
    assert trade.value_eur == pytest.approx(1.0 * 0.30)


def test_an_incoming_buy_pays_the_resting_ask():
    book = book_of(order(1, "sell", price=0.10))
    (trade,) = book.submit(order(2, "buy", price=0.30))
    assert trade.price_eur_per_kwh == 0.10
    assert trade.aggressor_side == "buy"


# --- price-time priority ---------------------------------------------------------------


def test_an_incoming_sell_takes_the_highest_bid():
    book = book_of(order(1, "buy", price=0.20), order(2, "buy", price=0.25), order(3, "buy", 0.22))
    (trade,) = book.submit(order(4, "sell", price=0.1))
    assert trade.buy_order_id == 2


def test_equal_bids_rank_by_time():
    book = book_of(order(7, "buy", sequence=20), order(8, "buy", sequence=10))
    (trade,) = book.submit(order(9, "sell", sequence=30))
    assert trade.buy_order_id == 8


def test_an_incoming_buy_takes_the_cheapest_asks_first_then_earliest():
    asks = [
        order(1, "sell", power_w=400, price=0.15, sequence=5),
        order(2, "sell", power_w=400, price=0.10, sequence=6),
        order(3, "sell", power_w=400, price=0.15, sequence=4),
    ]
    book = book_of(*asks)
    trades = book.submit(order(4, "buy", power_w=800, price=0.2))
    assert [t.sell_order_id for t in trades] == [2, 3]
    assert [t.price_eur_per_kwh for t in trades] == [0.10, 0.15]
    assert [o.order_id for o in book.asks()] == [1]


def test_best_bid_is_found_across_different_windows():
    # two bids whose windows both contain the sell, in different buckets
    book = book_of(
        order(1, "buy", price=0.21, start=T0 - H, end=T0 + H),
        order(2, "buy", price=0.24, start=T0, end=T0 + 2 * H),
        order(3, "buy", price=0.23, start=T0, end=T0 + H),
    )
    (trade,) = book.submit(order(4, "sell", power_w=100, price=0.2, start=T0 + Q, end=T0 + H))
    assert trade.buy_order_id == 2


@pytest.mark.parametrize("first_sequence, second_sequence, winner", [(20, 10, 2), (10, 20, 1)])
def test_equal_bids_in_different_windows_rank_by_time(first_sequence, second_sequence, winner):
    book = book_of(
        order(1, "buy", price=0.25, start=T0, end=T0 + H, sequence=first_sequence),
        order(2, "buy", price=0.25, start=T0 - H, end=T0 + H, sequence=second_sequence),
        order(3, "buy", price=0.25, start=T0, end=T0 + 2 * H, sequence=30),
    )
    (trade,) = book.submit(order(4, "sell", power_w=100, price=0.2, start=T0 + Q, end=T0 + H))
    assert trade.buy_order_id == winner


def test_a_better_bid_that_cannot_take_the_sell_is_passed_over():
    book = book_of(
        order(1, "buy", power_w=500, price=0.30),  # too small for the sell
        order(2, "buy", power_w=5000, price=0.25, country="DE"),  # other country
        order(3, "buy", power_w=5000, price=0.21),
    )
    (trade,) = book.submit(order(4, "sell", power_w=1000, price=0.2))
    assert trade.buy_order_id == 3


def test_bids_and_asks_are_listed_in_priority_order():
    book = book_of(
        order(1, "buy", price=0.10),
        order(2, "buy", price=0.12, sequence=9),
        order(3, "buy", price=0.12, sequence=8),
        order(4, "sell", price=0.40, sequence=2),
        order(5, "sell", price=0.30),
        order(6, "sell", price=0.40, sequence=1),
    )
    assert [o.order_id for o in book.bids()] == [3, 2, 1]
    assert [o.order_id for o in book.asks()] == [5, 6, 4]
    assert len(book) == 6


# --- quantities: all-or-nothing sells, partial buys ---------------------------------------


def test_a_sell_larger_than_the_buy_does_not_fill_partially():
    book = book_of(order(1, "buy", power_w=1000))
    assert book.submit(order(2, "sell", power_w=1500)) == []
    assert book.get(2).remaining_w == [1500.0] * 4
    assert book.get(1).remaining_w == [1000.0] * 4


def test_a_sell_fills_against_one_buy_only():
    book = book_of(order(1, "buy", power_w=600), order(2, "buy", power_w=600))
    assert book.submit(order(3, "sell", power_w=1000)) == []


def test_a_buy_fills_partially_across_several_sells_per_quarter_hour():
    book = book_of(order(1, "buy", power_w=1000, price=0.3))
    first = book.submit(order(2, "sell", power_w=600, start=T0, end=T0 + 2 * Q))
    assert first[0].buy_remaining_w == (400.0, 400.0, 1000.0, 1000.0)
    assert not first[0].buy_filled
    buy = book.get(1)
    assert buy.is_partially_filled and not buy.is_filled
    assert buy.filled_energy_kwh == pytest.approx(0.6 * 0.5)
    # another 600 W in the first half hour would over-fill it: refused
    assert book.submit(order(3, "sell", power_w=600, start=T0, end=T0 + 2 * Q)) == []
    # 400 W over the whole hour fits in every quarter hour
    (second,) = book.submit(order(4, "sell", power_w=400, start=T0, end=T0 + H))
    assert second.buy_remaining_w == (0.0, 0.0, 600.0, 600.0)
    (third,) = book.submit(order(5, "sell", power_w=600, start=T0 + 2 * Q, end=T0 + H))
    assert third.buy_filled
    assert book.get(1) is None  # filled orders leave the book
    assert [o.order_id for o in book.asks()] == [3]


def test_an_incoming_buy_skips_an_ask_that_no_longer_fits_and_takes_a_later_one():
    book = book_of(
        order(1, "sell", power_w=700, price=0.10),
        order(2, "sell", power_w=700, price=0.11),
        order(3, "sell", power_w=300, price=0.12),
    )
    trades = book.submit(order(4, "buy", power_w=1000, price=0.2))
    assert [t.sell_order_id for t in trades] == [1, 3]
    assert trades[-1].buy_filled
    assert book.get(4) is None
    assert [o.order_id for o in book.asks()] == [2]


def test_a_partially_filled_incoming_buy_rests_with_what_is_left():
    book = book_of(order(1, "sell", power_w=250, price=0.1, start=T0 + Q, end=T0 + 2 * Q))
    (trade,) = book.submit(order(2, "buy", power_w=1000, price=0.2))
    resting = book.get(2)
    assert resting.remaining_w == [1000.0, 750.0, 1000.0, 1000.0]
    assert resting.remaining_energy_kwh == pytest.approx(3.75 * 0.25)
    assert trade.buy_remaining_w == tuple(resting.remaining_w)


# --- expiry, cancel, restore -----------------------------------------------------------


def test_expire_at_expiry_time():
    book = book_of(order(1, "buy", expiry=T0 - H), order(2, "sell", price=0.5, expiry=T0 - 2 * H))
    assert book.expire(T0 - 2 * H - timedelta(seconds=1)) == []
    assert [o.order_id for o in book.expire(T0 - 2 * H)] == [2]
    assert [o.order_id for o in book.expire(T0 - H + timedelta(milliseconds=100))] == [1]
    assert len(book) == 0


def test_expire_at_the_latest_15_minutes_before_delivery():
    late_expiry = T0 - timedelta(minutes=5)  # later than start - 15 min
    book = book_of(order(1, "buy", expiry=late_expiry))
    assert book.get(1).deadline == T0 - 15 * timedelta(minutes=1)
    assert book.expire(T0 - timedelta(minutes=16)) == []
    assert [o.order_id for o in book.expire(T0 - timedelta(minutes=15))] == [1]


def test_submit_with_now_does_not_trade_with_orders_past_their_deadline():
    book = book_of(order(1, "buy", expiry=T0 - H))
    assert book.submit(order(2, "sell", expiry=T0 - Q), now=T0 - H) == []
    assert [o.order_id for o in book.expire(T0 - H)] == [1]


def test_an_incoming_order_past_its_deadline_does_not_trade_and_expires():
    book = book_of(order(1, "buy", expiry=T0 - H))
    now = T0 - H - Q  # 08:45: after the sell's expiry (08:00), before the buy's (09:00)
    assert book.submit(order(2, "sell", expiry=T0 - 2 * H), now=now) == []
    assert [o.order_id for o in book.expire(now)] == [2]
    assert book.get(1) is not None


def test_expire_reports_each_order_once_and_skips_removed_ones():
    book = book_of(order(1, "buy"), order(2, "buy", price=0.1))
    book.cancel(1)
    assert [o.order_id for o in book.expire(T0)] == [2]
    assert book.expire(T0 + H) == []


def test_cancel_removes_the_order_and_it_no_longer_matches():
    book = book_of(order(1, "buy", price=0.3), order(2, "buy", price=0.25))
    cancelled = book.cancel(1)
    assert cancelled is not None and cancelled.order_id == 1
    assert book.cancel(1) is None
    assert book.cancel(99) is None
    (trade,) = book.submit(order(3, "sell"))
    assert trade.buy_order_id == 2


def test_restore_resumes_partially_filled_buys_without_matching():
    stored = [
        order(1, "buy", power_w=1000, price=0.3, remaining_w=[0, 400, 1000, 1000]),
        order(2, "sell", power_w=2000, price=0.1),  # crosses, but cannot fit: stays
        order(3, "buy", remaining_w=[0, 0, 0, 0]),  # nothing left: not restored
    ]
    book = OrderBook.restore(stored)
    assert len(book) == 2
    assert book.get(3) is None
    assert book.submit(order(4, "sell", power_w=500, start=T0, end=T0 + 2 * Q)) == []
    (trade,) = book.submit(order(5, "sell", power_w=400, start=T0 + Q, end=T0 + 2 * Q))
    assert trade.buy_remaining_w == (0.0, 0.0, 1000.0, 1000.0)


def test_restore_refuses_duplicate_ids():
    with pytest.raises(ValueError, match="twice"):
        OrderBook.restore([order(1, "buy"), order(1, "sell")])


# --- malformed orders --------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"side": "hold"}, "side"),
        ({"power_w": 0}, "power_w"),
        ({"power_w": float("inf")}, "power_w"),
        ({"price": float("nan")}, "price_eur_per_kwh"),
        ({"start": T0 + timedelta(minutes=7)}, "quarter hour"),
        ({"end": T0}, "before delivery_end"),
        ({"start": datetime(2026, 8, 1, 10)}, "timezone-aware"),
        ({"remaining_w": [1000.0]}, "one value per quarter hour"),
        ({"remaining_w": [1001.0] * 4}, "between 0 and power_w"),
    ],
)
def test_malformed_orders_are_refused(changes, message):
    with pytest.raises(ValueError, match=message):
        order(1, **{"side": "buy", **changes})


def test_an_order_id_already_in_the_book_is_refused():
    book = book_of(order(1, "buy"))
    with pytest.raises(ValueError, match="already"):
        book.submit(order(1, "sell", price=0.5))


# --- property: random order flow ----------------------------------------------------------


def random_order(rng: random.Random, order_id: int) -> BookOrder:
    """A random order within one day, with a few countries and location ids."""
    side = rng.choice(["buy", "sell"])
    start = T0 + Q * rng.randint(0, 40)
    return order(
        order_id,
        side,
        power_w=100 * rng.randint(1, 20),
        price=round(rng.uniform(0.05, 0.35), 2),
        start=start,
        end=start + Q * rng.randint(1, 8),
        country=rng.choice(["FI", "DE", None]),
        places=rng.choice([None, frozenset({"a"}), frozenset({"a", "b"}), frozenset({"c"})]),
        sequence=order_id,
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_flow_never_overfills_a_buy_and_every_trade_is_valid(seed):
    rng = random.Random(seed)
    book = OrderBook()
    orders: dict[int, BookOrder] = {}
    trades = []
    for order_id in range(1, 1501):
        incoming = random_order(rng, order_id)
        orders[order_id] = incoming
        trades += book.submit(incoming)
        if order_id % 300 == 0:
            book.cancel(rng.randint(1, order_id))
    assert trades, "the random flow should produce trades"
    bought: dict[tuple[int, datetime], float] = {}
    sold: dict[int, int] = {}
    for trade in trades:
        buy, sell = orders[trade.buy_order_id], orders[trade.sell_order_id]
        assert buy.side == "buy" and sell.side == "sell"
        assert sell.price_eur_per_kwh <= trade.price_eur_per_kwh <= buy.price_eur_per_kwh
        assert buy.delivery_start <= sell.delivery_start < sell.delivery_end <= buy.delivery_end
        assert buy.country_code is None or sell.country_code in (None, buy.country_code)
        assert None in (buy.location_ids, sell.location_ids) or buy.location_ids & sell.location_ids
        assert trade.power_w == sell.power_w
        sold[sell.order_id] = sold.get(sell.order_id, 0) + 1
        t = sell.delivery_start
        while t < sell.delivery_end:
            bought[buy.order_id, t] = bought.get((buy.order_id, t), 0) + trade.power_w
            t += Q
    assert max(sold.values()) == 1  # every sell fills at most once, and wholly
    for (buy_id, _), power in bought.items():
        assert power <= orders[buy_id].power_w + 1e-6
    # no crossing, compatible pair is left resting in the book
    probe = OrderBook.restore(book.bids())
    for sell in book.asks():
        assert probe.submit(_copy(sell, 10**6 + sell.order_id)) == []


def _copy(o: BookOrder, order_id: int) -> BookOrder:
    """The same order, untraded, under another id (to probe a book without changing it)."""
    return replace(o, order_id=order_id, remaining_w=None)


def test_window_look_ups_and_bucket_scans_find_the_same_trades(monkeypatch):
    """The book finds related windows by key look-ups or, past a limit, by scanning its
    buckets: both ways must make the same trades."""

    def flow() -> list:
        rng = random.Random(7)
        book = OrderBook()
        return [t for i in range(1, 801) for t in book.submit(random_order(rng, i))]

    by_look_ups = flow()
    monkeypatch.setattr(engine, "_MAX_LOOKUPS", 0)
    assert flow() == by_look_ups
    assert by_look_ups


def test_a_month_long_buy_matches():
    month = order(1, "buy", power_w=5000, start=T0, end=T0 + timedelta(days=30))
    book = book_of(month, order(2, "buy", price=0.1))
    (trade,) = book.submit(order(3, "sell", start=T0 + timedelta(days=20), end=T0 + 21 * 24 * H))
    assert trade.buy_order_id == 1
    assert book.submit(order(4, "sell", power_w=9000)) == []


# --- the book's indexes against the rules stated plainly -----------------------------------


def test_equal_bids_filed_out_of_time_order_still_rank_by_time_and_cancel_the_right_one():
    # filed per quarter hour in price order; equal prices placed by sequence, whatever the
    # order of arrival
    arrivals = [(1, 20), (2, 10), (3, 15)]  # (order id, sequence)
    book = book_of(*(order(i, "buy", price=0.25, sequence=s) for i, s in arrivals))
    book.cancel(3)
    sells = [order(10 + i, "sell", power_w=1000, price=0.2) for i in range(3)]
    assert [t.buy_order_id for s in sells for t in book.submit(s)] == [2, 1]


def test_a_used_up_quarter_hour_is_passed_over_but_the_others_still_trade():
    book = book_of(order(1, "buy", power_w=1000, price=0.3), order(2, "buy", price=0.2))
    (first,) = book.submit(order(3, "sell", power_w=1000, start=T0 + Q, end=T0 + 2 * Q))
    assert first.buy_order_id == 1 and first.buy_remaining_w == (1000.0, 0.0, 1000.0, 1000.0)
    (second,) = book.submit(order(4, "sell", power_w=500, start=T0 + Q, end=T0 + 2 * Q))
    assert second.buy_order_id == 2  # buy 1 has nothing left from 10:15
    (third,) = book.submit(order(5, "sell", power_w=500, start=T0 + 2 * Q, end=T0 + H))
    assert third.buy_order_id == 1


def test_a_sell_below_the_rounding_threshold_fits_a_used_up_quarter_hour():
    """Power differences below EPSILON_W count as zero, so a sell that small fits a quarter
    hour with nothing left (the book checks such sells against every resting buy)."""
    book = book_of(order(1, "buy", price=0.3, remaining_w=[1000, 0, 1000, 1000]))
    tiny = engine.EPSILON_W / 2
    (trade,) = book.submit(order(2, "sell", power_w=tiny, start=T0 + Q, end=T0 + 2 * Q))
    assert trade.buy_order_id == 1
    too_dear = order(3, "sell", power_w=tiny, price=0.4, start=T0 + Q, end=T0 + 2 * Q)
    assert book.submit(too_dear) == []


def test_a_partially_filled_buy_cancelled_and_restored_trades_what_it_has_left():
    book = book_of(order(1, "buy", power_w=1000, price=0.3))
    book.submit(order(2, "sell", power_w=600, start=T0, end=T0 + 2 * Q))
    stored = book.cancel(1)
    assert book.submit(order(3, "sell", power_w=100)) == []  # gone
    restored = OrderBook.restore([replace(stored, remaining_w=list(stored.remaining_w))])
    assert restored.submit(order(4, "sell", power_w=500, start=T0, end=T0 + Q)) == []
    (trade,) = restored.submit(order(5, "sell", power_w=400, start=T0, end=T0 + H))
    assert trade.buy_remaining_w == (0.0, 0.0, 600.0, 600.0)
    assert [o.order_id for o in restored.expire(T0)] == [1, 4]


def _expected_buy(book: OrderBook, sell: BookOrder, now: datetime) -> int | None:
    """The buy the rules pick for an incoming sell, by checking every resting bid."""
    for bid in book.bids():  # best first
        if engine._matches(bid, sell, now):
            return bid.order_id
    return None


def _expected_sells(book: OrderBook, buy: BookOrder, now: datetime) -> list[int]:
    """The sells the rules give an incoming buy: every matching ask in rank order that still
    fits what is left of it."""
    left = list(buy.remaining_w)
    taken = []
    for ask in book.asks():
        probe = replace(buy, remaining_w=left)
        live = ask.deadline > now and max(left) > engine.EPSILON_W
        if live and engine._matches(probe, ask, now):
            first = ask.start_slot - buy.start_slot
            for i in range(first, first + ask.end_slot - ask.start_slot):
                rest = left[i] - ask.power_w
                left[i] = rest if rest > engine.EPSILON_W else 0.0
            taken.append(ask.order_id)
    return taken


@pytest.mark.parametrize("seed", [4, 5])
def test_every_trade_is_the_one_the_rules_pick_with_cancels_and_expiry(seed):
    rng = random.Random(seed)
    book = OrderBook()
    for order_id in range(1, 701):
        now = T0 - 2 * H + timedelta(seconds=order_id * 9)
        incoming = replace(random_order(rng, order_id), expiry_time=now + Q * rng.randint(0, 8))
        if incoming.deadline <= now:  # too late to trade: it rests until expire
            assert book.submit(incoming, now=now) == []
        elif incoming.side == "sell":
            expected = _expected_buy(book, incoming, now)
            trades = book.submit(incoming, now=now)
            assert [t.buy_order_id for t in trades] == ([expected] if expected else [])
        else:
            expected_sells = _expected_sells(book, incoming, now)
            trades = book.submit(incoming, now=now)
            assert [t.sell_order_id for t in trades] == expected_sells
        if order_id % 11 == 0:
            book.cancel(rng.randint(1, order_id))
        if order_id % 50 == 0:
            book.expire(now)
            book = OrderBook.restore([*book.bids(), *book.asks()])
