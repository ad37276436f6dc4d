"""The analytics page: charts of power, prices and weather with their numbers, rendered
by the server; bad input is a message on the page. Also bokeh's JavaScript from the
installed package."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import bokeh
import pytest
from sqlalchemy import select

from flexmeasures.data.models import Market, TimedBelief
from flexmeasures.ui.bokeh_static import BOKEH_JS_FOLDER
from tests.charts.helpers import in_bokehs_key_order, lines
from tests.conftest import TEST_PASSWORD
from tests.factories import make_asset, make_temperature_sensor

DAY = datetime(2025, 3, 1, tzinfo=UTC)  # 09:00 in Seoul (FLEXMEASURES_TIMEZONE)
QUARTER = timedelta(minutes=15)


def add(db, sensor_id: int, source_id: int, values, horizon=timedelta(0), start=DAY) -> None:
    db.session.add_all(
        TimedBelief(
            sensor_id=sensor_id,
            event_start=start + i * QUARTER,
            source_id=source_id,
            belief_horizon=horizon,
            event_value=float(value),
        )
        for i, value in enumerate(values)
    )


@pytest.fixture
def world(db, structure, users):
    """A solar panel of the prosumer with measured and forecast power, prices of epex_da
    and temperatures, all for the first hour of DAY."""
    solar = make_asset(users["prosumer"], "Roof", "solar")
    other = make_asset(users["other_prosumer"], "Other roof", "solar")
    temperature = make_temperature_sensor()
    market = db.session.scalar(select(Market).filter_by(name="epex_da"))
    source = users["mdc"].data_source.id
    add(db, solar.id, source, [-1, -2, -3, -2])  # production: 2 MW for an hour = 2 MWh
    add(db, solar.id, source, [-1, -1, -3, -3], horizon=timedelta(hours=6))
    add(db, temperature.id, source, [5, 6, 7, 8])
    add(db, market.id, source, [40], start=DAY)
    db.session.commit()
    return {"solar": solar, "other": other, "temperature": temperature, "market": market}


def log_in(client, email: str = "prosumer@seita.nl") -> None:
    answer = client.post("/login", json={"email": email, "password": TEST_PASSWORD})
    assert answer.status_code == 200


def page(client, **params) -> str:
    params = {"start_date": "2025-03-01", "end_date": "2025-03-01", **params}
    answer = client.get("/analytics", query_string=params)
    assert answer.status_code == 200
    return answer.get_data(as_text=True)


def chart_texts(html: str) -> dict[str, str]:
    """The json_items embedded in the page as JSON text, by chart div id."""
    found = re.findall(
        r'<script type="application/json" data-chart="([\w-]+)">(.*?)</script>', html, re.S
    )
    return dict(found)


def chart_items(html: str) -> dict[str, dict]:
    """The json_items embedded in the page, by chart div id."""
    return {chart_id: json.loads(text) for chart_id, text in chart_texts(html).items()}


def test_the_page_shows_charts_with_data_and_the_numbers(client, world):
    log_in(client)
    html = page(client, resource=str(world["solar"].id), weather_sensor_id=world["temperature"].id)
    items = chart_items(html)
    assert set(items) == {"power-chart", "prices-chart", "weather-chart"}
    assert all(in_bokehs_key_order(text) for text in chart_texts(html).values())
    power = lines(items["power-chart"])
    measured = [v for v in power["Roof (measurements)"] if v == v]
    assert measured == [-1.0, -2.0, -3.0, -2.0]
    assert [
        v for v in lines(items["weather-chart"])["temperature Jeju (measurements)"] if v == v
    ] == [
        5.0,
        6.0,
        7.0,
        8.0,
    ]
    # Realised -2 MWh, expected -2 MWh; MAE 0.5 MW; WAPE 2/8 = 25 %
    row = re.search(r"<th scope=\"row\">Power</th>(.*?)</tr>", html, re.S).group(1)
    assert re.findall(r"<td>([^<]*)</td>", row) == ["-2.00 MWh", "-2.00 MWh", "0.500", "25.0 %"]
    assert "Ambient temperature (temperature Jeju)" in html  # its type's display name
    assert "Price (EPEX SPOT day-ahead market)" in html
    assert "bokeh.min.js?v=" in html and "js/charts.js" in html


def test_all_renewables_and_the_form_offers_only_own_assets(client, world):
    log_in(client)
    html = page(client, resource="renewables")
    assert "Roof (measurements)" in lines(chart_items(html)["power-chart"])  # the only one
    assert "Other roof" not in html and "All renewables" in html


@pytest.mark.parametrize(
    "params, message",
    [
        ({"resource": "999999"}, "No asset is known as &#39;999999&#39;."),
        ({"end_date": "2025-02-27"}, "The end date should not be before the start date."),
        ({"resolution": "PT1S", "start_date": "1990-01-01"}, "coarser resolution"),
        ({"resolution": "P30D"}, "at most the window"),
        ({"resolution": "soon"}, "The resolution &#39;soon&#39;"),
        ({"start_date": "yesterday"}, "no date like"),
        ({"market_id": "12345678"}, "There is no market with id 12345678."),
        ({"market_id": "x"}, "is unknown"),
    ],
)
def test_bad_input_is_a_message_on_the_page(client, world, params, message):
    log_in(client)
    html = page(client, **{"resource": str(world["solar"].id), **params})
    assert message in html
    assert chart_items(html) == {}


def test_another_users_asset_is_not_shown(client, world):
    log_in(client)
    html = page(client, resource=str(world["other"].id))
    assert "You may not see" in html and chart_items(html) == {}


def test_the_page_needs_a_login(client, world):
    answer = client.get("/analytics")
    assert answer.status_code in (302, 401)


def test_bokeh_javascript_comes_from_the_installed_package(client):
    answer = client.get("/ui/static/bokeh/bokeh.min.js")
    assert answer.status_code == 200
    assert answer.data == (BOKEH_JS_FOLDER / "bokeh.min.js").read_bytes()
    assert BOKEH_JS_FOLDER.is_relative_to(Path(bokeh.__file__).parent)
    assert client.get("/ui/static/bokeh/compiler.js").status_code == 404


@pytest.mark.parametrize("hide_nan, shown", [(False, "–"), (True, "")])
def test_numbers_without_forecasts_are_dashes_or_hidden(
    app, client, world, monkeypatch, hide_nan, shown
):
    monkeypatch.setitem(app.config, "FLEXMEASURES_HIDE_NAN_IN_UI", hide_nan)
    log_in(client)
    html = page(client, resource=str(world["solar"].id), weather_sensor_id=world["temperature"].id)
    row = re.search(r'<th scope="row">Ambient temperature[^<]*</th>(.*?)</tr>', html, re.S)
    assert re.findall(r"<td>([^<]*)</td>", row.group(1)) == ["6.50 °C", shown, shown, shown]
