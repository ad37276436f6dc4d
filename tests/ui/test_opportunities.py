"""The balancing actions page (/control): schedule deviations per asset with volume and
expected value, most valuable first; bad input is a message on the page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from flexmeasures.data.models import DataSource, Market
from tests.ui.conftest import hours_ago, log_in
from tests.ui.test_analytics import add

HOUR = hours_ago(-24)  # tomorrow: schedules are about the future


@pytest.fixture
def deviations(db, assets):
    """Tomorrow's hour: the battery is forecast to consume 2 MW but scheduled to produce
    2 MW; the solar park is scheduled as forecast; the price is 40 EUR/MWh."""
    scheduler = DataSource(name="FlexMeasures", type="scheduling script", model="Storage")
    db.session.add(scheduler)
    market = db.session.scalar(select(Market).filter_by(name="epex_da"))
    forecaster = db.session.scalar(select(DataSource).filter_by(user_id=assets["battery"].owner_id))
    db.session.flush()
    ahead = timedelta(hours=30)
    add(db, assets["battery"].id, forecaster.id, [2.0] * 4, horizon=ahead, start=HOUR)
    add(db, assets["battery"].id, scheduler.id, [-2.0] * 4, horizon=ahead, start=HOUR)
    add(db, assets["solar"].id, forecaster.id, [-1.0] * 4, horizon=ahead, start=HOUR)
    add(db, assets["solar"].id, scheduler.id, [-1.0] * 4, horizon=ahead, start=HOUR)
    add(db, market.id, forecaster.id, [40.0], horizon=ahead, start=HOUR)
    db.session.commit()
    return market


def page(client, **params) -> str:
    log_in(client, "prosumer@seita.nl")
    answer = client.get("/control", query_string=params)
    assert answer.status_code == 200
    return answer.get_data(as_text=True)


def test_a_deviation_with_its_volume_and_value(client, deviations):
    end = (HOUR + timedelta(days=1)).date().isoformat()
    html = page(client, end_date=end, market_id=deviations.id)
    rows = re.findall(r'<th scope="row">([^<]*)</th><td>([^<]*)</td><td>([^<]*)</td>', html)
    # battery: (-2 - 2) MW × 1 h = -4 MWh less consumed, at 40 EUR/MWh: +160 EUR
    assert rows == [("home battery", "4.000", "160.00")]  # solar does not deviate
    assert 'id="opportunity-0"' in html


def test_no_deviations_is_said(client, assets):
    assert "No schedule deviates" in page(client)


@pytest.mark.parametrize(
    "params, message",
    [
        ({"start_date": "2025-03-05", "end_date": "2025-03-01"}, "should not be before"),
        ({"market_id": "999999"}, "no market with id 999999"),
    ],
)
def test_bad_input_is_a_message_on_the_page(client, assets, params, message):
    html = page(client, **params)
    assert 'role="alert"' in html and message in html


def test_what_was_sold_on_the_marketplace_is_listed(client, db, assets):
    from flexmeasures.data.models import TradingContract, TradingOrder

    def sold(asset, settled: float | None) -> TradingOrder:
        order = TradingOrder(
            asset_id=asset.id,
            market_url="https://m",
            market_order_id=asset.id,
            idempotency_key=f"k{asset.id}",
            run_id="r",
            side="sell",
            power_w=2000.0,
            price_eur_per_kwh=0.25,
            baseline_w=0.0,
            delivery_start=HOUR,
            delivery_end=HOUR + timedelta(minutes=15),
            expiry_time=HOUR - timedelta(hours=1),
            status="filled",
        )
        db.session.add(order)
        db.session.add(
            TradingContract(
                order=order,
                market_contract_id=asset.id,
                status="settlement_completed_success",
                power_w=2000.0,
                price_eur_per_kwh=0.25,
                energy_kwh=0.5,
                delivery_start=HOUR,
                delivery_end=HOUR + timedelta(minutes=15),
                net_amount_eur=settled,
            )
        )
        return order

    sold(assets["battery"], 0.125)
    sold(assets["wind"], 9.0)  # another prosumer's asset: not shown
    db.session.commit()
    html = page(client, end_date=(HOUR + timedelta(days=1)).date().isoformat())
    assert "Sold on the marketplace" in html
    assert "home battery" in html and "settlement_completed_success" in html
    assert "0.12" in html and "north wind" not in html
