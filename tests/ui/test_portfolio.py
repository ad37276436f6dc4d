"""The portfolio overview: per asset type energy and money at the market's prices, the
stacked profile and the schedule change charts; bad input is a message on the page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from flexmeasures.data.models import DataSource, Market
from tests.ui.conftest import hours_ago, log_in, measure
from tests.ui.test_analytics import add

HOUR = hours_ago(24)
QUARTERS = [HOUR + timedelta(minutes=15 * i) for i in range(4)]


@pytest.fixture
def portfolio(db, assets):
    """An hour in which the prosumer's solar park produces 4 MW and the battery consumes
    2 MW (a forecast of it) while the market's price is 40 EUR/MWh."""
    measure(assets["solar"], {t: -4.0 for t in QUARTERS})
    measure(assets["battery"], {t: 2.0 for t in QUARTERS})
    measure(assets["wind"], {t: -10.0 for t in QUARTERS})  # another prosumer's
    market = db.session.scalar(select(Market).filter_by(name="epex_da"))
    source = db.session.scalar(select(DataSource).filter_by(user_id=assets["solar"].owner_id))
    add(db, market.id, source.id, [40.0], start=HOUR)  # an hourly price
    db.session.commit()
    return market


def schedule_battery(db, assets) -> None:
    """A schedule for the battery: 1 MW in each quarter of HOUR (made 30 hours ahead)."""
    scheduler = DataSource(name="FlexMeasures", type="scheduling script", model="Storage")
    db.session.add(scheduler)
    db.session.flush()
    add(db, assets["battery"].id, scheduler.id, [1.0] * 4, horizon=timedelta(hours=30), start=HOUR)
    db.session.commit()


def page(client, **params) -> str:
    log_in(client, "prosumer@seita.nl")
    answer = client.get("/portfolio", query_string=params)
    assert answer.status_code == 200
    return answer.get_data(as_text=True)


def row(html: str, name: str) -> str:
    start = html.index(f'<th scope="row">{name}</th>')
    return html[start : html.index("</tr>", start)]


def cells(html_row: str) -> list[str]:
    return re.findall(r"<td>([^<]*)</td>", html_row)


@pytest.mark.parametrize("resolution", ["PT15M", "PT1H"])
def test_money_and_energy_per_asset_type(client, portfolio, resolution):
    html = page(client, resolution=resolution, market_id=portfolio.id)
    # solar: 4 MW × 1 h = 4 MWh produced at 40 EUR/MWh = 160 EUR revenues
    assert cells(row(html, "solar")) == ["4.000", "0.000", "0.00", "160.00", "160.00"]
    # battery: 2 MW × 1 h = 2 MWh consumed = 80 EUR costs, a loss of 80 EUR
    assert cells(row(html, "battery")) == ["0.000", "2.000", "80.00", "0.00", "-80.00"]
    assert cells(row(html, "Total")) == ["4.000", "2.000", "80.00", "160.00", "80.00"]
    assert "wind" not in html.split("<table")[1]  # another prosumer's asset
    assert 'id="stacked-chart"' in html and 'id="schedule-change-chart"' in html


def test_the_switch_shows_production(client, portfolio):
    assert "Stacked production per asset type" in page(client, show="production")
    assert "Stacked consumption per asset type" in page(client)


@pytest.mark.parametrize(
    "params, message",
    [
        ({"start_date": "2025-03-05", "end_date": "2025-03-01"}, "should not be before"),
        ({"market_id": "999999"}, "no market with id 999999"),
        ({"market_id": "abc"}, "is unknown"),
        ({"start_date": "yesterday"}, "is no date"),
        ({"resolution": "P1000D"}, "resolution"),
    ],
)
def test_bad_input_is_a_message_on_the_page(client, portfolio, params, message):
    html = page(client, **params)
    assert 'role="alert"' in html and message in html


def test_the_page_needs_a_login(client, portfolio):
    assert client.get("/portfolio").status_code == 302


def test_opportunities_are_highlighted_on_both_charts(client, db, portfolio, assets):
    # the battery is scheduled to consume 1 MW more than forecast (it has no forecast) in
    # the hour, at 40 EUR/MWh: a cost; both charts shade that hour and the page says so
    schedule_battery(db, assets)
    html = page(client, market_id=portfolio.id)
    assert "Shaded in the charts: opportunities" in html
    assert html.count('"name":"opportunity-cost"') == 2


def test_no_schedules_no_highlights(client, portfolio):
    html = page(client, market_id=portfolio.id)
    assert "Shaded in the charts" not in html and '"name":"opportunity-' not in html
