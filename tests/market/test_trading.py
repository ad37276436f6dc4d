"""From flexibility to orders, and what our orders go through (database, no marketplace)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import cast

import pandas as pd
import pytest
from sqlalchemy import select

from flexmeasures.cli import cli
from flexmeasures.data.models import (
    Commitment,
    TradingContract,
    TradingOrder,
    TradingSetting,
    TradingStatusChange,
)
from flexmeasures.data.queries import search_beliefs
from flexmeasures.market.connector import MarketConnector
from flexmeasures.market.trade_stream import cursor, handle_stream_message
from flexmeasures.market.trading import TradingError, plan_orders, record_plan
from flexmeasures.scheduling.jobs import scheduler_source_id
from tests.conftest import TEST_PASSWORD

from .trading_setup import add_forecast, add_prices, add_trading_battery, schedule

NOW = datetime(2030, 1, 7, 8, 0, tzinfo=UTC)  # order time
START, END = NOW + timedelta(hours=2), NOW + timedelta(hours=3)  # delivery window 10-11
MARKET_URL = "https://market.example.com"
WEAR, MARGIN, LEAD = 10.0, 0.01, timedelta(minutes=30)  # as add_trading_battery sets them


@pytest.fixture
def battery(db):
    """A 10 kW battery whose schedule discharges at full power from 10:00 (dear) to 12:00,
    against a forecast (baseline) of 0 MW made before the order time."""
    from flexmeasures.data.services.users import create_user

    owner = create_user("owner@trading.example.com", TEST_PASSWORD, "owner", ["Prosumer"])
    market = add_prices(START, [100.0, 20.0], known_at=NOW - timedelta(days=1))
    asset = add_trading_battery(owner, "trading battery", market)
    add_forecast(asset, START, END + timedelta(hours=1), 0.0, made_at=NOW - timedelta(hours=1))
    schedule(asset, START, END + timedelta(hours=1), soc_at_start=0.02)
    return asset


def test_the_discharge_against_the_forecast_is_offered(battery):
    # a forecast made after the order time is not the baseline
    add_forecast(battery, START, END, -0.01, made_at=NOW + timedelta(minutes=30))
    plan = plan_orders(battery.id, START, END, NOW, expected_price=0.2)
    # four quarter hours of equal power make one block (the default longest: one hour)
    [order] = plan.orders
    assert (order["delivery_start"], order["delivery_end"]) == (iso(START), iso(END))
    power_w = 0.01 * 1e6  # the battery's full discharge, below a baseline of 0
    cost = WEAR / 1000  # discharging at the window's dearest price loses no arbitrage
    assert order["side"] == "sell" and order["power"] == power_w
    assert order["price"] == pytest.approx(cost + MARGIN)
    assert pd.Timestamp(order["expiry_time"]) == START - LEAD
    ends = pd.date_range(START, END, freq="15min")[1:]
    assert order["baseline"]["data_points"] == [
        {"timestamp": iso(end), "value": 0.0} for end in ends
    ]
    again = plan_orders(battery.id, START, END, NOW + timedelta(minutes=5), expected_price=0.2)
    assert [o["idempotency_key"] for o in again.orders] == [
        o["idempotency_key"] for o in plan.orders
    ]


def iso(moment: datetime) -> str:
    """A time as the marketplace writes it."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_quarter_hour_orders_with_a_block_length_of_one(db, battery):
    db.session.get(TradingSetting, battery.id).max_block_quarter_hours = 1
    plan = plan_orders(battery.id, START, END, NOW, expected_price=0.2)
    starts = pd.date_range(START, END, freq="15min")[:-1]
    assert [o["delivery_start"] for o in plan.orders] == [iso(t) for t in starts]
    assert len({o["idempotency_key"] for o in plan.orders}) == 4


def test_nothing_is_offered_below_cost_or_when_switched_off(db, battery):
    assert plan_orders(battery.id, START, END, NOW, expected_price=0.001).orders == []
    db.session.get(TradingSetting, battery.id).enabled = False
    plan = plan_orders(battery.id, START, END, NOW, expected_price=0.2)
    assert not plan.enabled and plan.orders == [] and plan.slots["offer"].all()


def test_a_missing_forecast_is_a_clear_error(battery):
    with pytest.raises(TradingError, match="no forecast"):
        plan_orders(battery.id, END + timedelta(hours=1), END + timedelta(hours=2), NOW)
    with pytest.raises(TradingError, match="quarter hours"):
        plan_orders(battery.id, START + timedelta(minutes=5), END, NOW)


def test_a_quarter_hour_with_a_live_order_is_not_offered_again(battery):
    first = plan_orders(battery.id, START, END, NOW, expected_price=0.2)
    [row, *_] = record_plan(first, MARKET_URL)
    later = plan_orders(battery.id, START, END, NOW + timedelta(minutes=20), expected_price=0.2)
    assert later.orders == []
    row.status = "expired"
    again = plan_orders(battery.id, START, END, NOW + timedelta(minutes=20), expected_price=0.2)
    assert [o["delivery_start"] for o in again.orders] == [first.orders[0]["delivery_start"]]


def test_every_quarter_hour_of_a_live_block_is_taken(battery):
    # a live order of ours from 10:15 to 10:45 (a block): a new plan for 10:00-11:00 offers
    # the quarter hours around it, never a block spanning it
    first = plan_orders(battery.id, START, END, NOW, expected_price=0.2)
    [row] = record_plan(first, MARKET_URL)
    quarter = timedelta(minutes=15)
    row.delivery_start, row.delivery_end = START + quarter, END - quarter
    row.baselines_w = [0.0, 0.0]
    later = plan_orders(battery.id, START, END, NOW + timedelta(minutes=20), expected_price=0.2)
    assert [(o["delivery_start"], o["delivery_end"]) for o in later.orders] == [
        (iso(START), iso(START + timedelta(minutes=15))),
        (iso(END - timedelta(minutes=15)), iso(END)),
    ]


def message(sequence: int, kind: str, data: dict, name: str) -> dict:
    """A trade stream message as the marketplace sends it."""
    return {
        "type": kind,
        "name": name,
        "created_at": "2030-01-07T08:01:00Z",
        "data": data,
        "sequence": sequence,
    }


def test_stream_messages_are_stored_and_a_fill_commits_the_asset(db, battery):
    plan = plan_orders(battery.id, START, END, NOW, expected_price=0.2)
    row = record_plan(plan, MARKET_URL)[0]
    key = row.idempotency_key
    order = {"order_id": 41, "idempotency_key": key, "status": "pending"}
    contract = {
        "contract_id": 5,
        "sell_order_id": 41,
        "buy_order_id": 40,
        "power": 10000.0,
        "price": row.price_eur_per_kwh,
        "energy": 2.5,
        "delivery_start": plan.orders[0]["delivery_start"],
        "delivery_end": plan.orders[0]["delivery_end"],
        "status": "verification_initiated",
    }
    stream = [
        message(1, "order_status_update", order, "pending"),
        message(2, "order_status_update", {**order, "status": "matching_active"}, "x"),
        message(3, "contract_status_update", contract, "verification_initiated"),
        message(4, "order_status_update", {**order, "status": "filled"}, "filled"),
        message(5, "order_status_update", {"order_id": 99, "status": "filled"}, "not ours"),
    ]
    for item in stream + stream[2:3]:  # a replayed message is handled once
        handle_stream_message(MARKET_URL, "seller", item)
    assert row.market_order_id == 41 and row.status == "filled"
    changes = db.session.scalars(
        select(TradingStatusChange.status).where(TradingStatusChange.order_id == row.id)
    ).all()
    assert sorted(changes) == sorted(
        ["pending", "matching_active", "filled", "verification_initiated"]
    )
    assert cursor(MARKET_URL, "seller").last_sequence == 5
    [stored] = db.session.scalars(select(TradingContract)).all()
    assert stored.market_contract_id == 5 and stored.order_id == row.id
    [commitment] = db.session.scalars(select(Commitment)).all()
    assert commitment.kind == "at most" and commitment.asset_id == battery.id
    assert commitment.power_in_mw == pytest.approx((row.baseline_w - 10000) / 1e6)
    assert commitment.start == row.delivery_start and commitment.end == row.delivery_end


def test_the_next_schedule_delivers_what_was_sold(db, battery):
    plan = plan_orders(battery.id, START, END, NOW, expected_price=0.2)
    row = record_plan(plan, MARKET_URL)[0]
    row.market_order_id = 7
    contract = {
        "contract_id": 1,
        "sell_order_id": 7,
        "power": 10000.0,
        "price": 0.02,
        "energy": 2.5,
        "delivery_start": plan.orders[0]["delivery_start"],
        "delivery_end": plan.orders[0]["delivery_end"],
        "status": "verification_initiated",
    }
    handle_stream_message(MARKET_URL, "seller", message(1, "contract_status_update", contract, "v"))
    # prices now favour charging at 10:00: without the commitment the battery would charge
    add_prices(START, [-50.0, 20.0], known_at=NOW)
    schedule(battery, START, END, soc_at_start=0.02)
    found = search_beliefs([battery.id], START, END, source_ids=[scheduler_source_id()])
    # every quarter hour of the sold block (10:00-11:00) delivers: at most baseline - sold
    assert len(found) == 4
    assert (found["event_value"] <= (row.baseline_w - 10000) / 1e6 + 1e-9).all()


def test_a_sold_block_commits_each_quarter_hour_to_its_own_baseline(db, battery):
    plan = plan_orders(battery.id, START, END, NOW, expected_price=0.2)
    row = record_plan(plan, MARKET_URL)[0]
    row.market_order_id = 8
    row.baselines_w = [0.0, 0.0, 2000.0, 0.0]  # W per quarter hour of 10:00-11:00
    contract = {
        "contract_id": 2,
        "sell_order_id": 8,
        "power": 10000.0,
        "price": 0.02,
        "energy": 10.0,
        "delivery_start": iso(START),
        "delivery_end": iso(END),
        "status": "verification_initiated",
    }
    handle_stream_message(MARKET_URL, "seller", message(1, "contract_status_update", contract, "v"))
    found = db.session.scalars(select(Commitment).order_by(Commitment.start)).all()
    quarter = timedelta(minutes=15)
    assert [(c.start, c.end, c.kind, round(c.power_in_mw * 1e6)) for c in found] == [
        (START, START + 2 * quarter, "at most", -10000),
        (START + 2 * quarter, START + 3 * quarter, "at most", -8000),
        (START + 3 * quarter, END, "at most", -10000),
    ]


def test_dry_run_prints_the_offers(app, db, battery, monkeypatch):
    db.session.commit()
    monkeypatch.setattr("flexmeasures.cli.commands.trading.now_utc", lambda: NOW)
    result = app.test_cli_runner().invoke(
        cli,
        [
            "add",
            "trading-orders",
            "--asset-id",
            str(battery.id),
            "--from",
            START.isoformat(),
            "--to",
            END.isoformat(),
            "--expected-price",
            "0.2",
            "--dry-run",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "1 order(s) to offer (4 of 4 quarter hours worth offering" in result.output
    assert "2030-01-07 10:45" in result.output  # the quarter hours
    assert "2030-01-07 10:00 - 11:00" in result.output  # the block: its window, W, EUR/kWh
    assert "10000 W at 0.0200 EUR/kWh" in result.output
    assert db.session.scalar(select(TradingOrder.id)) is None  # nothing recorded or sent


class PollingOnlyMarket:
    """A marketplace whose stream cannot be reached but whose REST API answers."""

    def __init__(self, details: dict[int, dict]) -> None:
        from flexmeasures.market.connector import ConnectorSettings

        self.settings = ConnectorSettings(MARKET_URL, "seller", "pw", backoff=0, max_backoff=0)
        self.details = details
        self.asked: list[int] = []

    def access_token(self) -> str:
        return "token"

    def get_order(self, order_id: int) -> dict:
        self.asked.append(order_id)
        return self.details[order_id]


def test_without_a_stream_the_follower_polls(db, battery):
    import threading

    from flexmeasures.market.trade_stream import TradeStreamFollower

    plan = plan_orders(battery.id, START, END, NOW, expected_price=0.2)
    row = record_plan(plan, MARKET_URL)[0]
    row.market_order_id = 7
    db.session.commit()
    contract = {
        "contract_id": 3,
        "sell_order_id": 7,
        "power": 10000.0,
        "price": 0.02,
        "energy": 2.5,
        "delivery_start": plan.orders[0]["delivery_start"],
        "delivery_end": plan.orders[0]["delivery_end"],
        "status": "verification_initiated",
    }
    market = PollingOnlyMarket(
        {7: {"order": {"order_id": 7, "status": "filled"}, "contracts": [contract]}}
    )
    stop = threading.Event()
    attempts = []

    def refuse(*args):
        attempts.append(args)
        if market.asked:
            stop.set()
        raise ConnectionRefusedError("the stream is away")

    TradeStreamFollower(cast(MarketConnector, market), max_failures=2, connect=refuse).run(stop)
    # no polling after the first failure; a poll after each failure from the second on
    assert len(attempts) == 3 and market.asked == [7, 7]
    assert row.status == "filled"
    assert db.session.scalar(select(Commitment.external_id)).endswith("contract-3")


class MeteringMarket(PollingOnlyMarket):
    """A marketplace that answers metering with a given error (None: accepted)."""

    def __init__(self, details: dict[int, dict], error: Exception | None) -> None:
        super().__init__(details)
        self.error = error
        self.metering: list[dict] = []

    def submit_metering(self, order_id: int, metering_data: dict) -> dict:
        self.metering.append(metering_data)
        if self.error:
            raise self.error
        return {}


def test_metering_waits_for_measurements_and_a_409_counts_as_sent(db, battery):
    from flexmeasures.market.connector import MarketConnectorError
    from flexmeasures.market.delivery import submit_due_metering

    from .trading_setup import add_measurements

    plan = plan_orders(battery.id, START, END, NOW, expected_price=0.2)
    row = record_plan(plan, MARKET_URL)[0]
    row.market_order_id, row.status = 7, "filled"
    db.session.commit()
    details = {7: {"order": {"order_id": 7, "status": "filled"}, "contracts": []}}
    after = row.delivery_end + timedelta(minutes=5)
    market = MeteringMarket(details, None)
    assert submit_due_metering(cast(MarketConnector, market), after) == {"sent": 0, "waiting": 1}
    assert "no measurements" in row.error and market.metering == []
    add_measurements(battery, row.delivery_start, row.delivery_end, -0.01)
    market = MeteringMarket(details, MarketConnectorError(409, "metering received already"))
    assert submit_due_metering(cast(MarketConnector, market), after) == {"sent": 1, "waiting": 0}
    [sent] = market.metering
    # one data point per quarter hour of the block, stamped at its end: -0.01 MW for a
    # quarter hour is 2.5 kWh produced
    ends = pd.date_range(row.delivery_start, row.delivery_end, freq="15min")[1:]
    assert sent["data_points"] == [{"timestamp": iso(end), "value": -2.5} for end in ends]
    assert row.metering_submitted_at == after and row.error is None


def test_trading_without_a_configured_marketplace_says_what_to_set(app, db, battery):
    runner = app.test_cli_runner()
    for args in (
        ["jobs", "trade", "--poll"],
        [
            "add",
            "trading-orders",
            "--asset-id",
            str(battery.id),
            "--from",
            START.isoformat(),
            "--to",
            END.isoformat(),
        ],
    ):
        result = runner.invoke(cli, args)
        assert result.exit_code == 1
        assert "FLEXMEASURES_TRADING_MARKET_URL" in result.output


def test_planning_many_assets_together_gives_each_the_plan_it_gets_alone(db, battery):
    from flexmeasures.data.models import Asset
    from flexmeasures.market.trading import plan_many

    owner, market = battery.owner, db.session.get(Asset, battery.id).market
    half = add_trading_battery(owner, "half-full battery", market)
    db.session.get(TradingSetting, half.id).max_block_quarter_hours = 1
    add_forecast(half, START, END + timedelta(hours=1), 0.002, made_at=NOW - timedelta(hours=1))
    schedule(half, START, END + timedelta(hours=1), soc_at_start=0.005)
    unforecast = add_trading_battery(owner, "battery without a forecast", market)
    ids = [battery.id, half.id, unforecast.id, 10**6]
    together = plan_many(ids, START, END, NOW, expected_price=0.2)
    assert list(together) == ids
    for asset_id in (battery.id, half.id):
        alone = plan_orders(asset_id, START, END, NOW, expected_price=0.2)
        plan = together[asset_id]
        assert not isinstance(plan, TradingError)
        assert plan.orders == alone.orders and plan.run_id == alone.run_id
        pd.testing.assert_frame_equal(plan.slots, alone.slots)
    assert together[battery.id].orders != together[half.id].orders  # not one asset's twice
    assert "no forecast" in str(together[unforecast.id])
    assert "no asset with id" in str(together[10**6])


class SubmitMarket:
    """A marketplace that takes every order (answering an order id per idempotency key),
    refusing those with a price above ``refuse_above`` (422)."""

    def __init__(self, refuse_above: float = 1.0) -> None:
        from flexmeasures.market.connector import ConnectorSettings

        self.settings = ConnectorSettings(MARKET_URL, "seller", "pw", backoff=0, max_backoff=0)
        self.refuse_above = refuse_above
        self.keys: list[str] = []

    def submit_order(self, order: dict, key: str) -> dict:
        from flexmeasures.market.connector import MarketConnectorError

        if order["price"] > self.refuse_above:
            raise MarketConnectorError(422, {"price": ["too dear"]})
        self.keys.append(key)
        return {"order_id": 100 + len(self.keys), "status": "matching_active"}


def test_placing_many_records_before_submitting_and_stores_every_answer(db, battery):
    from flexmeasures.market.trading import place_many

    owner = battery.owner
    other = add_trading_battery(owner, "second battery", battery.market, battery_wear=5000.0)
    add_forecast(other, START, END + timedelta(hours=1), 0.0, made_at=NOW - timedelta(hours=1))
    schedule(other, START, END + timedelta(hours=1), soc_at_start=0.02)
    market = SubmitMarket(refuse_above=1.0)  # the second battery's wear makes it 5.01 EUR/kWh
    plans, counts = place_many(
        cast(MarketConnector, market), [battery.id, other.id], START, END, NOW, 10.0
    )
    assert counts == {"submitted": 1, "failed": 1}
    rows = {row.asset_id: row for row in db.session.scalars(select(TradingOrder))}
    assert rows[battery.id].status == "matching_active" and rows[battery.id].market_order_id
    assert market.keys == [rows[battery.id].idempotency_key]
    assert rows[other.id].status == "failed" and "too dear" in rows[other.id].error
    # a second round in the same quarter hour offers nothing new and resubmits nothing
    plans, counts = place_many(
        cast(MarketConnector, market), [battery.id, other.id], START, END, NOW, 10.0
    )
    assert all(plan.orders == [] for plan in plans.values()) and counts["submitted"] == 0


def test_a_trading_round_offers_every_trading_asset_and_names_those_it_cannot(db, battery):
    from flexmeasures.market.reporting import order_lines, trading_round

    unforecast = add_trading_battery(battery.owner, "battery without a forecast", battery.market)
    market = SubmitMarket()
    # at 09:50 the round offers 10:00-11:00; with a lead time of 30 minutes the quarter hours
    # from 10:30 on can still be offered
    now = START - timedelta(minutes=10)
    lines = trading_round(cast(MarketConnector, market), now, timedelta(hours=1), poll=False)
    assert lines[:2] == [
        f"Asset {battery.id}: 1 new order(s).",
        f"Asset {unforecast.id}: nothing offered (Asset {unforecast.id} has no forecast "
        f"for the quarter hour {START.isoformat()}.)",
    ]
    assert "Submitted 1 order(s), 0 failed." in lines
    [row] = db.session.scalars(select(TradingOrder)).all()
    assert (row.delivery_start, row.delivery_end) == (START + timedelta(minutes=30), END)
    assert any("2030-01-07 10:30-11:00    10000" in line for line in order_lines(battery.id))


def test_without_known_market_prices_the_lost_arbitrage_counts_as_zero(battery):
    # two days before the order time the prices (known a day before) were not known yet;
    # a forecast was
    early = NOW - timedelta(days=2)
    add_forecast(battery, START, END, 0.0, made_at=early - timedelta(hours=1))
    plan = plan_orders(battery.id, START, END, early, expected_price=0.2)
    assert plan.inputs[3] is None  # no own prices
    assert list(plan.slots["cost_eur_per_kwh"]) == pytest.approx([WEAR / 1000] * 4)
    assert [o["price"] for o in plan.orders] == pytest.approx([WEAR / 1000 + MARGIN])
