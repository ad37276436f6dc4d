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
