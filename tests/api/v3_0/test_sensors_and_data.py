"""API v3_0 sensors and sensor data through the Flask test client: unit conversion, signs,
permissions, and JSON errors."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from flexmeasures.data.models import TimedBelief
from tests.api.auth_routes import auth_header

START = "2015-01-01T00:00:00+00:00"


def post_data(client, tokens, user, sensor_id, **body):
    """POST sensor data as a user."""
    message = {"start": START, "duration": "PT30M", **body}
    return client.post(
        f"/api/v3_0/sensors/{sensor_id}/data", json=message, headers=auth_header(tokens[user])
    )


def get_data(client, tokens, user, sensor_id, **args):
    """GET sensor data as a user."""
    query = {"start": START, "duration": "PT30M", **args}
    return client.get(
        f"/api/v3_0/sensors/{sensor_id}/data", query_string=query, headers=auth_header(tokens[user])
    )


def test_power_in_kw_is_stored_in_mw_and_read_in_either(client, tokens, assets):
    battery = assets["battery"].id
    posted = post_data(client, tokens, "prosumer", battery, values=[500, -250], unit="kW")
    assert posted.status_code == 200, posted.get_json()
    in_mw = get_data(client, tokens, "prosumer", battery)
    assert in_mw.get_json()["values"] == [0.5, -0.25] and in_mw.get_json()["unit"] == "MW"
    in_kw = get_data(client, tokens, "prosumer", battery, unit="kW")
    assert in_kw.get_json()["values"] == [500, -250] and in_kw.get_json()["unit"] == "kW"


def test_incompatible_units_are_refused_and_nothing_is_stored(client, tokens, assets, db):
    battery = assets["battery"].id
    response = post_data(client, tokens, "prosumer", battery, values=[1, 2], unit="kWh")
    assert response.status_code == 400
    assert response.get_json()["status"] == "INVALID_UNIT"
    assert "from kWh to MW" in response.get_json()["message"]
    count = select(func.count()).select_from(TimedBelief).where(TimedBelief.sensor_id == battery)
    assert db.session.scalar(count) == 0
    reading = get_data(client, tokens, "prosumer", battery, unit="EUR/MWh")
    assert reading.status_code == 400 and reading.get_json()["status"] == "INVALID_UNIT"


def test_a_pure_producer_gets_no_consumption(client, tokens, assets):
    response = post_data(client, tokens, "prosumer", assets["solar"].id, values=[1, 2], unit="kW")
    assert response.status_code == 400
    assert response.get_json()["status"] == "POWER_VALUE_TOO_BIG"


def test_who_may_post_and_read_data(client, tokens, assets):
    battery = assets["battery"].id
    assert post_data(client, tokens, "mdc", battery, values=[1, 2], unit="MW").status_code == 200
    refused = post_data(client, tokens, "other_prosumer", battery, values=[1, 2], unit="MW")
    assert refused.status_code == 403 and refused.get_json()["status"] == "INVALID_SENDER"
    assert get_data(client, tokens, "other_prosumer", battery).status_code == 403
    assert get_data(client, tokens, "mdc", battery).status_code == 403  # not theirs to see


def test_prices_are_converted_per_energy(client, tokens, assets):
    market = assets["battery"].market_id
    posted = post_data(
        client, tokens, "prosumer", market, values=[0.05], unit="EUR/kWh", duration="PT1H"
    )
    assert posted.status_code == 200, posted.get_json()
    read = get_data(client, tokens, "other_prosumer", market, duration="PT1H")
    assert read.get_json()["values"] == [pytest.approx(50.0)]
    assert read.get_json()["unit"] == "EUR/MWh"


def test_sensor_lifecycle_and_json_errors(client, tokens, assets):
    headers = auth_header(tokens["prosumer"])
    battery = assets["battery"].id
    new = {
        "name": "soc",
        "unit": "MWh",
        "event_resolution": "P0DT0H15M0S",
        "generic_asset_id": battery,
        "attributes": '{"a": 1}',
    }
    created = client.post("/api/v3_0/sensors", json=new, headers=headers)
    assert created.status_code == 201, created.get_json()
    sensor = created.get_json()
    assert sensor["event_resolution"] == "PT15M" and sensor["generic_asset_id"] == battery
    listed = client.get(f"/api/v3_0/sensors?asset_id={battery}", headers=headers).get_json()
    assert [s["id"] for s in listed] == [battery, sensor["id"]]
    assert (
        post_data(
            client, tokens, "prosumer", sensor["id"], values=[1000, 2000], unit="kWh"
        ).status_code
        == 200
    )
    refused = client.patch(
        f"/api/v3_0/sensors/{sensor['id']}", json={"unit": "kWh"}, headers=headers
    )
    assert refused.status_code == 422 and "unit" in refused.get_json()["message"]
    deleted = client.delete(f"/api/v3_0/sensors/{sensor['id']}", headers=headers)
    assert deleted.status_code == 204 and deleted.mimetype == "application/json"
    missing = client.get(f"/api/v3_0/sensors/{sensor['id']}", headers=headers)
    assert missing.status_code == 404 and missing.get_json()["status"] == "UNRECOGNIZED_SENSOR"


def test_invalid_sensor_fields_are_named(client, tokens, assets):
    headers = auth_header(tokens["prosumer"])
    response = client.post("/api/v3_0/sensors", json={"unit": "kW"}, headers=headers)
    assert response.status_code == 422
    assert {"name", "event_resolution", "generic_asset_id"} <= set(response.get_json()["message"])


def test_markets_are_changed_by_admins_only(client, tokens, assets):
    market = assets["battery"].market_id
    url = f"/api/v3_0/sensors/{market}"
    refused = client.patch(url, json={"name": "x"}, headers=auth_header(tokens["prosumer"]))
    assert refused.status_code == 403
    deleted = client.delete(url, headers=auth_header(tokens["admin"]))
    assert deleted.status_code == 403  # a market is no sensor of an asset


def test_an_asset_power_sensor_is_deleted_with_its_asset_only(client, tokens, assets):
    url = f"/api/v3_0/sensors/{assets['battery'].id}"
    response = client.delete(url, headers=auth_header(tokens["prosumer"]))
    assert response.status_code == 403
    assert client.get(url, headers=auth_header(tokens["prosumer"])).status_code == 200


def test_errors_without_token_are_json(client, assets):
    response = client.get("/api/v3_0/sensors")
    assert response.status_code == 401 and response.get_json()["status"] == "UNAUTHORIZED"
    assert client.put("/api/v3_0/sensors").get_json()["status"] == "INVALID_METHOD"


def test_api_lists_v3_0(client):
    assert "v3_0" in client.get("/api/").get_json()["versions"]


def test_the_sensor_list_holds_what_the_user_may_read(client, tokens, assets):
    def listed(user):
        response = client.get("/api/v3_0/sensors", headers=auth_header(tokens[user]))
        return {sensor["id"] for sensor in response.get_json()}

    market = assets["battery"].market_id
    own = {assets["battery"].id, assets["solar"].id}
    assert listed("prosumer") & {a.id for a in assets.values()} == own
    assert market in listed("prosumer") and market in listed("other_prosumer")
    assert {a.id for a in assets.values()} <= listed("admin")
