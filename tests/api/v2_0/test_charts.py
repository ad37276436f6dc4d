"""GET /api/v2_0/charts/power: a bokeh json_item of measured, forecast and scheduled power,
with the seed's parameters; bad parameters get 400 with a message."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest

from flexmeasures.app import create_app
from flexmeasures.data.models import DataSource, TimedBelief
from tests.api.v2_0.conftest import START
from tests.charts.helpers import bands, in_bokehs_key_order, lines
from tests.conftest import TEST_DATABASE_URI

CHART = "/api/v2_0/charts/power"
HOUR = {"start_time": "2015-01-01T00:00:00+00:00", "end_time": "2015-01-01T01:00:00+00:00"}


def chart(client, tokens, user="prosumer", **params):
    """Ask for a chart of the first hour of 2015 (the ``beliefs`` fixture's data)."""
    query = urlencode({**HOUR, "resolution": "PT15M", **params})
    return client.get(f"{CHART}?{query}", headers={"Authorization": tokens[user]})


def test_a_chart_of_an_asset_shows_its_measurements(client, tokens, beliefs):
    answer = chart(client, tokens, resource="battery")
    assert answer.status_code == 200
    item = answer.get_json()
    assert set(item) >= {"target_id", "root_id", "doc", "version"}
    assert lines(item) == {"battery (measurements)": [0.0, 1.0, 2.0, 3.0]}
    assert in_bokehs_key_order(answer.get_data(as_text=True))


def test_production_positive_and_coarser_resolution(client, tokens, beliefs):
    answer = chart(
        client, tokens, resource="battery", consumption_as_positive="false", resolution="PT30M"
    )
    assert lines(answer.get_json()) == {"battery (measurements)": [-0.5, -2.5]}


def test_the_seeds_time_notation_is_understood(client, tokens, beliefs):
    answer = chart(
        client,
        tokens,
        resource="battery",
        start_time="2015-01-01:00:00:00UTC",
        end_time="2015-01-01:01:00:00UTC",
        show_individual_traces_for="none",
    )
    assert answer.status_code == 200


def test_an_asset_type_sums_the_users_assets_or_shows_each(client, tokens, beliefs, assets):
    summed = chart(client, tokens, user="admin", resource="battery")
    assert lines(summed.get_json()) == {"battery (measurements)": [0.0, 2.0, 4.0, 6.0]}
    each = chart(
        client, tokens, user="admin", resource="battery", show_individual_traces_for="power"
    )
    assert set(lines(each.get_json())) == {
        "battery (measurements)",
        "other battery (measurements)",
    }


@pytest.fixture
def forecasts_and_schedule(db, assets, users):
    """Forecasts (0.1, 0.5, 0.9 probabilities) and a schedule for the prosumer's battery."""
    battery = assets["battery"]
    scheduler = DataSource(name="FlexMeasures", type="scheduling script", model="Storage")
    db.session.add(scheduler)
    db.session.flush()
    for i in range(4):
        start = START + i * timedelta(minutes=15)
        for probability, offset in ((0.1, -1.0), (0.5, 0.0), (0.9, 1.0)):
            db.session.add(
                TimedBelief(
                    sensor_id=battery.id,
                    event_start=start,
                    source_id=users["prosumer"].data_source.id,
                    belief_horizon=timedelta(hours=6),
                    cumulative_probability=probability,
                    event_value=10.0 + offset,
                )
            )
        db.session.add(
            TimedBelief(
                sensor_id=battery.id,
                event_start=start,
                source_id=scheduler.id,
                belief_horizon=timedelta(hours=1),
                event_value=-2.0,
            )
        )
    db.session.commit()


def test_forecasts_with_their_band_and_schedules(client, tokens, forecasts_and_schedule):
    item = chart(client, tokens, resource="battery").get_json()
    found = lines(item)
    assert found["battery (forecasts)"] == [10.0] * 4
    assert found["battery (schedules)"] == [-2.0] * 4
    assert bands(item) == [([9.0] * 4, [11.0] * 4)]


@pytest.mark.parametrize(
    "params, status, words",
    [
        ({"resource": "nothing like it"}, "UNRECOGNIZED_ASSET", "nothing like it"),
        ({"resource": "battery", "start_time": "yesterday"}, "INVALID_REQUEST", "start_time"),
        ({"resource": "battery", "start_time": "2015-01-01T00:00:00"}, "INVALID_REQUEST", "zone"),
        (
            {"resource": "battery", "end_time": "2014-12-31T00:00:00+00:00"},
            "INVALID_REQUEST",
            "after its start",
        ),
        ({"resource": "battery", "resolution": "P2D"}, "INVALID_RESOLUTION", "window"),
        (
            {"resource": "battery", "end_time": "2099-01-01T00:00:00+00:00", "resolution": "PT1S"},
            "INVALID_RESOLUTION",
            "coarser",
        ),
        ({"resource": "battery", "resolution": "-PT15M"}, "INVALID_REQUEST", "resolution"),
        ({"resource": "battery", "show_individual_traces_for": "all"}, "INVALID_REQUEST", "show"),
        ({"resource": "battery", "colour": "red"}, "UNEXPECTED_PARAMS", "colour"),
        ({}, "INVALID_REQUEST", "resource"),
    ],
)
def test_bad_parameters_get_400_with_a_message(client, tokens, assets, params, status, words):
    answer = chart(client, tokens, **params)
    assert answer.status_code == 400, answer.get_json()
    body = answer.get_json()
    assert body["status"] == status
    assert words in body["message"]


def test_another_users_asset_is_forbidden(client, tokens, assets):
    answer = chart(client, tokens, resource=str(assets["other battery"].id))
    assert answer.status_code == 403
    assert answer.get_json()["status"] == "INVALID_SENDER"


def test_a_token_is_required(client, assets):
    answer = client.get(f"{CHART}?{urlencode({**HOUR, 'resource': 'battery'})}")
    assert answer.status_code == 401
    assert answer.get_json()["status"] == "UNAUTHORIZED"


def test_web_pages_elsewhere_may_fetch_charts_with_a_token():
    """The seed's JavaScript: a cross-origin GET with an Authorization header (preflight)."""
    origin = "https://example.com"
    app = create_app(
        "testing",
        settings={"SQLALCHEMY_DATABASE_URI": TEST_DATABASE_URI, "CORS_ORIGINS": [origin]},
    )
    answer = app.test_client().options(
        CHART,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "Content-Type, Authorization",
        },
    )
    assert answer.headers["Access-Control-Allow-Origin"] == origin
    assert "authorization" in answer.headers["Access-Control-Allow-Headers"].lower()


def test_in_demo_mode_the_demo_years_data_are_shown_as_this_years(
    app, client, tokens, beliefs, monkeypatch
):
    monkeypatch.setitem(app.config, "FLEXMEASURES_MODE", "demo")
    monkeypatch.setitem(app.config, "FLEXMEASURES_DEMO_YEAR", 2015)  # the beliefs' year
    this_year = datetime.now(UTC).year
    shown = {
        "start_time": f"{this_year}-01-01T00:00:00+00:00",
        "end_time": f"{this_year}-01-01T01:00:00+00:00",
    }
    answer = chart(client, tokens, resource="battery", **shown)
    assert answer.status_code == 200
    assert lines(answer.get_json()) == {"battery (measurements)": [0.0, 1.0, 2.0, 3.0]}
