"""The offer strategy (flexmeasures.market.strategy): flexibility to sell orders, pure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from flexmeasures.market.engine import BookOrder
from flexmeasures.market.strategy import (
    OfferSettings,
    deviation_cost,
    evaluate_slots,
    flexibility,
    offer_strategy,
)

T0 = datetime(2026, 8, 1, 10, 0, tzinfo=UTC)
Q = timedelta(minutes=15)
NOW = T0 - timedelta(hours=3)


def per_slot(*values: float) -> pd.Series:
    """A series per quarter hour from 10:00."""
    return pd.Series(values, index=pd.date_range(T0, periods=len(values), freq=Q), dtype=float)


def test_flexibility_is_schedule_minus_baseline():
    flex = flexibility(per_slot(1000, 1000, -500), per_slot(0, 1500, -2000))
    assert list(flex) == [-1000, 500, -1500]


def test_flexibility_needs_a_baseline_for_every_scheduled_quarter_hour():
    with pytest.raises(ValueError, match="baseline has no value"):
        flexibility(per_slot(1000), per_slot(0, 0))


def test_deviation_cost_is_lost_arbitrage_plus_wear_per_kwh():
    cost = deviation_cost(per_slot(0, 0, 0).index, per_slot(100, 250, 300), 20)
    # (300 - own price) / 1000 + 20 / 1000 EUR/kWh
    assert list(cost) == pytest.approx([0.22, 0.07, 0.02])
    assert list(deviation_cost(per_slot(0).index, None, 50)) == [0.05]


def test_only_consumption_decreases_with_positive_expected_value_are_offered():
    slots = evaluate_slots(
        baseline_w=per_slot(1000, 1000, 1000, 1000),
        schedule_w=per_slot(0, 1500, -1000, 600),
        market_price_eur_per_kwh=per_slot(0.10, 0.10, 0.10, 0.01),
        own_prices_eur_per_mwh=per_slot(50, 50, 50, 50),
        settings=OfferSettings(battery_wear_eur_per_mwh=20, margin_eur_per_kwh=0.005),
    )
    assert list(slots["offer_power_w"]) == [1000, 0, 2000, 400]
    assert list(slots["cost_eur_per_kwh"]) == pytest.approx([0.02] * 4)
    # expected value = (market - cost) x energy; the last market price is below cost
    assert list(slots["expected_value_eur"]) == pytest.approx([0.02, 0.0, 0.04, -0.001])
    assert list(slots["offer"]) == [True, False, True, False]
    assert list(slots["price_eur_per_kwh"]) == pytest.approx([0.025] * 4)


def test_orders_in_the_marketplace_shape_earliest_first():
    settings = OfferSettings(
        margin_eur_per_kwh=0.01,
        lead_time=timedelta(minutes=45),
        country_code="FI",
        location_ids=("FI_1",),
        metering_id="meter-7",
    )
    orders = offer_strategy(
        baseline_w=per_slot(2000, 2000, 2000),
        schedule_w=per_slot(0, 2000, 1000.7),
        market_price_eur_per_kwh=0.3,
        now=NOW,
        own_prices_eur_per_mwh=per_slot(120, 200, 80),
        settings=settings,
    )
    assert [o["delivery_start"] for o in orders] == ["2026-08-01T10:00:00Z", "2026-08-01T10:30:00Z"]
    first, second = orders
    assert first["side"] == "sell"
    assert first["power"] == 2000
    assert second["power"] == 999  # rounded down: never more than the schedule gives
    assert first["price"] == pytest.approx((200 - 120) / 1000 + 0.01)
    assert second["price"] == pytest.approx((200 - 80) / 1000 + 0.01)
    assert first["delivery_end"] == "2026-08-01T10:15:00Z"
    assert first["expiry_time"] == "2026-08-01T09:15:00Z"
    assert first["location"] == {"location_id": ["FI_1"], "country_code": "FI"}
    baseline = first["baseline"]
    assert baseline["metering_id"] == "meter-7"
    assert (baseline["reading_start"], baseline["reading_end"]) == (
        "2026-08-01T10:00:00Z",
        "2026-08-01T10:15:00Z",
    )
    assert baseline["data_points"] == [{"timestamp": "2026-08-01T10:15:00Z", "value": 0.5}]


def test_orders_fit_the_engine_and_the_seed_rules():
    orders = offer_strategy(per_slot(1000, 1000), per_slot(0, 200), 0.2, NOW)
    assert "baseline" not in orders[0]
    assert orders[0]["location"] == {"location_id": [None], "country_code": ""}
    for i, o in enumerate(orders):
        parse = pd.Timestamp
        book_order = BookOrder(
            order_id=i,
            side=o["side"],
            power_w=o["power"],
            price_eur_per_kwh=o["price"],
            delivery_start=parse(o["delivery_start"]),
            delivery_end=parse(o["delivery_end"]),
            expiry_time=parse(o["expiry_time"]),
        )
        assert NOW < book_order.expiry_time < book_order.delivery_start
        assert book_order.power_w > 0


def test_slots_too_close_to_delivery_are_not_offered():
    settings = OfferSettings(lead_time=timedelta(hours=1))
    orders = offer_strategy(
        per_slot(1000, 1000, 1000),
        per_slot(0, 0, 0),
        0.2,
        T0 - timedelta(minutes=50),
        None,
        settings,
    )
    # now 09:10: the 10:00 offer would expire at 09:00 (past), the 10:15 one at 09:15; the
    # block starts at 10:15 and expires a lead time before it
    assert [(o["delivery_start"], o["delivery_end"], o["expiry_time"]) for o in orders] == [
        ("2026-08-01T10:15:00Z", "2026-08-01T10:45:00Z", "2026-08-01T09:15:00Z")
    ]


def test_small_deviations_and_slots_without_a_market_price_are_not_offered():
    orders = offer_strategy(
        per_slot(1000, 1000, 1000),
        per_slot(950, 0, 0),
        per_slot(0.2, 0.2, float("nan")),
        NOW,
        settings=OfferSettings(min_power_w=100),
    )
    assert [o["delivery_start"] for o in orders] == ["2026-08-01T10:15:00Z"]


def test_price_is_rounded_up_to_a_hundredth_of_a_cent():
    orders = offer_strategy(
        per_slot(1000),
        per_slot(0),
        1.0,
        NOW,
        settings=OfferSettings(margin_eur_per_kwh=0.00001, battery_wear_eur_per_mwh=12.34),
    )
    assert orders[0]["price"] == 0.0124


def windows(orders: list[dict]) -> list[tuple[str, str, int]]:
    """Delivery start and end (HH:MM) and power (W) of each order."""
    return [(o["delivery_start"][11:16], o["delivery_end"][11:16], o["power"]) for o in orders]


def test_consecutive_quarter_hours_of_equal_power_make_one_block():
    orders = offer_strategy(
        per_slot(0, 0, 0, 0, 0, 0, 0),
        # 10:00-10:30 at 1000 W (1000.4 W rounds down to it), 10:30 at 2000 W, 10:45 a gap
        # (a consumption increase), 11:00-11:30 at 1000 W again
        per_slot(-1000, -1000.4, -2000, 500, -1000, -1000),
        0.2,
        NOW,
        settings=OfferSettings(metering_id="meter-7"),
    )
    assert windows(orders) == [
        ("10:00", "10:30", 1000),
        ("10:30", "10:45", 2000),
        ("11:00", "11:30", 1000),
    ]
    first = orders[0]
    assert first["expiry_time"] == "2026-08-01T09:00:00Z"
    # the baseline covers each quarter hour of the block, stamped at its end (kWh)
    assert first["baseline"]["reading_start"] == "2026-08-01T10:00:00Z"
    assert first["baseline"]["reading_end"] == "2026-08-01T10:30:00Z"
    assert first["baseline"]["data_points"] == [
        {"timestamp": "2026-08-01T10:15:00Z", "value": 0.0},
        {"timestamp": "2026-08-01T10:30:00Z", "value": 0.0},
    ]


def test_blocks_split_at_the_cap_and_a_cap_of_one_is_one_order_per_quarter_hour():
    baseline, schedule = per_slot(*[0] * 6), per_slot(*[-1000] * 6)
    assert windows(offer_strategy(baseline, schedule, 0.2, NOW)) == [
        ("10:00", "11:00", 1000),
        ("11:00", "11:30", 1000),
    ]
    capped = offer_strategy(
        baseline, schedule, 0.2, NOW, settings=OfferSettings(max_block_quarter_hours=1)
    )
    assert len(capped) == 6
    assert all(o["delivery_end"] > o["delivery_start"] for o in capped)
    assert windows(capped)[1] == ("10:15", "10:30", 1000)


def test_a_block_is_priced_at_its_dearest_quarter_hour_and_skips_unavailable_ones():
    own = per_slot(100, 100, 40, 100, 100)  # EUR/MWh: 10:30 is cheap, so deviating costs more
    settings = OfferSettings(margin_eur_per_kwh=0.01)
    baseline, schedule = per_slot(*[0] * 5), per_slot(*[-1000] * 5)
    slots = evaluate_slots(baseline, schedule, 0.5, own, settings)
    orders = offer_strategy(baseline, schedule, 0.5, NOW, own, settings)
    assert windows(orders) == [("10:00", "11:00", 1000), ("11:00", "11:15", 1000)]
    block = slots.loc[pd.Timestamp(T0) : pd.Timestamp(T0 + 3 * Q)]
    # never below any of its quarter hours' cost + margin: (100 - 40) / 1000 + 0.01
    assert orders[0]["price"] == pytest.approx(0.07)
    assert (orders[0]["price"] >= block["cost_eur_per_kwh"] + 0.01 - 1e-12).all()
    assert orders[1]["price"] == pytest.approx(0.01)
    taken = [pd.Timestamp(T0 + Q)]  # 10:15 already sold: the block cannot span it
    later = offer_strategy(baseline, schedule, 0.5, NOW, own, settings, unavailable=taken)
    assert windows(later) == [("10:00", "10:15", 1000), ("10:30", "11:15", 1000)]


@pytest.mark.parametrize(
    "settings, message",
    [
        ({"margin_eur_per_kwh": -0.01}, "margin"),
        ({"battery_wear_eur_per_mwh": -1}, "wear"),
        ({"lead_time": timedelta(0)}, "lead_time"),
        ({"max_block_quarter_hours": 0}, "max_block_quarter_hours"),
    ],
)
def test_bad_settings_are_refused(settings, message):
    with pytest.raises(ValueError, match=message):
        OfferSettings(**settings)
