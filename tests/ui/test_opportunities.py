"""The balancing actions page (/control): schedule deviations per asset and hour with
volume and expected value, most valuable first, narrowed to the selected hours; bad input
is a message on the page."""

from __future__ import annotations

import re
from datetime import timedelta

import pandas as pd
import pytest
from sqlalchemy import select

from flexmeasures.data.models import DataSource, Market, TimedBelief
from tests.charts.helpers import bands
from tests.ui.conftest import hours_ago, log_in
from tests.ui.test_analytics import add, chart_items

HOUR = hours_ago(-24)  # tomorrow: schedules are about the future
NEXT_HOUR = HOUR + timedelta(hours=1)
ROW = re.compile(
    r'<tr><td>([^<]+)</td><th scope="row">([^<]*)</th><td>([^<]*)</td><td>([^<]*)</td>'
)


@pytest.fixture
def deviations(db, assets):
    """Two hours tomorrow. First: the battery is forecast to consume 2 MW but scheduled
    to produce 2 MW, at 40 EUR/MWh. Next: it is forecast idle but scheduled to consume 2 MW,
    at 10 EUR/MWh. The solar park is scheduled as forecast."""
    scheduler = DataSource(name="FlexMeasures", type="scheduling script", model="Storage")
    db.session.add(scheduler)
    market = db.session.scalar(select(Market).filter_by(name="epex_da"))
    forecaster = db.session.scalar(select(DataSource).filter_by(user_id=assets["battery"].owner_id))
    db.session.flush()
    ahead = timedelta(hours=30)
    battery, solar = assets["battery"].id, assets["solar"].id
    add(db, battery, forecaster.id, [2.0] * 4 + [0.0] * 4, horizon=ahead, start=HOUR)
    add(db, battery, scheduler.id, [-2.0] * 4 + [2.0] * 4, horizon=ahead, start=HOUR)
    add(db, solar, forecaster.id, [-1.0] * 4, horizon=ahead, start=HOUR)
    add(db, solar, scheduler.id, [-1.0] * 4, horizon=ahead, start=HOUR)
    add(db, market.id, forecaster.id, [40.0], horizon=ahead, start=HOUR)
    add(db, market.id, forecaster.id, [10.0], horizon=ahead, start=NEXT_HOUR)
    db.session.commit()
    return market


def page(client, **params) -> str:
    log_in(client, "prosumer@seita.nl")
    answer = client.get("/control", query_string=params)
    assert answer.status_code == 200
    return answer.get_data(as_text=True)


def local(app, moment) -> pd.Timestamp:
    return pd.Timestamp(moment).tz_convert(app.config["FLEXMEASURES_TIMEZONE"])


def hour_label(app, moment) -> str:
    start = local(app, moment)
    return f"{start:%Y-%m-%d %H:%M}–{start + pd.Timedelta(hours=1):%H:%M}"


def test_deviations_per_hour_with_volume_and_value_most_valuable_first(app, client, deviations):
    end = (HOUR + timedelta(days=1)).date().isoformat()
    html = page(client, end_date=end, market_id=deviations.id)
    # first hour: (-2 - 2) MW × 1 h = 4 MWh less consumed, at 40 EUR/MWh: +160 EUR;
    # next hour: 2 MWh more consumed at 10 EUR/MWh: -20 EUR; solar does not deviate
    assert ROW.findall(html) == [
        (hour_label(app, HOUR), "home battery", "4.000", "160.00"),
        (hour_label(app, NEXT_HOUR), "home battery", "2.000", "-20.00"),
    ]
    assert re.search(r'"row">Total</th><td>6.000</td><td>140.00</td>', html)
    assert 'id="opportunity-0"' in html and 'id="opportunity-1"' in html


def test_only_the_selected_hours(app, client, deviations):
    start = local(app, NEXT_HOUR)
    html = page(
        client,
        start_date=start.date().isoformat(),
        end_date=start.date().isoformat(),
        from_hour=start.hour,
        to_hour=start.hour + 1,
        market_id=deviations.id,
    )
    assert ROW.findall(html) == [(hour_label(app, NEXT_HOUR), "home battery", "2.000", "-20.00")]


def test_no_deviations_is_said(client, assets):
    assert "No schedule deviates" in page(client)


@pytest.mark.parametrize(
    "params, message",
    [
        ({"start_date": "2025-03-05", "end_date": "2025-03-01"}, "should not be before"),
        ({"market_id": "999999"}, "no market with id 999999"),
        ({"from_hour": "25"}, "no hour from 0 to 23"),
        ({"to_hour": "0"}, "no hour from 1 to 24"),
        (
            {
                "start_date": "2025-03-01",
                "end_date": "2025-03-01",
                "from_hour": "5",
                "to_hour": "5",
            },
            "end of the window should be after its start",
        ),
        ({"resolution": "P1D"}, "Opportunities are per hour"),
    ],
)
def test_bad_input_is_a_message_on_the_page(client, assets, params, message):
    html = page(client, **params)
    assert 'role="alert"' in html and message in html


def test_the_before_after_chart_shows_the_forecasts_band(client, db, deviations, assets):
    forecaster = db.session.scalar(select(DataSource).filter_by(user_id=assets["battery"].owner_id))
    ahead = timedelta(hours=30)
    for probability, values in ((0.1, [1.0] * 4), (0.9, [3.0] * 4)):
        for i, value in enumerate(values):
            db.session.add(
                TimedBelief(
                    sensor_id=assets["battery"].id,
                    event_start=HOUR + i * timedelta(minutes=15),
                    source_id=forecaster.id,
                    belief_horizon=ahead,
                    cumulative_probability=probability,
                    event_value=value,
                )
            )
    db.session.commit()
    end = (HOUR + timedelta(days=1)).date().isoformat()
    item = chart_items(page(client, end_date=end, market_id=deviations.id))["opportunity-0"]
    (lower, upper), *others = bands(item)
    assert not others
    assert [v for v in lower if v == v][:4] == [1.0] * 4  # the 10 % quantile
    assert [v for v in upper if v == v][:4] == [3.0] * 4  # the 90 % quantile


def test_long_lists_show_the_most_valuable_and_count_all(client, deviations, monkeypatch):
    monkeypatch.setattr("flexmeasures.ui.opportunities.MAX_ROWS", 1)
    end = (HOUR + timedelta(days=1)).date().isoformat()
    html = page(client, end_date=end, market_id=deviations.id)
    assert [row[3] for row in ROW.findall(html)] == ["160.00"]
    assert "… and 1 less valuable hours" in html
    assert re.search(r'"row">Total</th><td>6.000</td><td>140.00</td>', html)


def test_an_hour_skipped_by_summer_time_is_no_server_error(app, client, assets, monkeypatch):
    monkeypatch.setitem(app.config, "FLEXMEASURES_TIMEZONE", "Europe/Amsterdam")
    # 02:00 does not exist on 30 March 2025 in Amsterdam: the window starts at 03:00 CEST
    html = page(client, start_date="2025-03-30", end_date="2025-03-30", from_hour="2", to_hour="4")
    assert 'role="alert"' not in html and "No schedule deviates" in html


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
