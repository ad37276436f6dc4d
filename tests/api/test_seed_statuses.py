"""The seed's status codes: INVALID_DOMAIN for entity addresses that do not parse (change log
v1.2-3), UNRECOGNIZED_* for addresses that parse but name nothing known; 422
UNPROCESSABLE_ENTITY for a malformed getDeviceMessage duration; INVALID_UNIT for a
getMeterData request without unit."""

from __future__ import annotations

import pytest

from flexmeasures.data.models import Asset
from tests.factories import make_asset, make_temperature_sensor

START = "2015-01-01T00:00:00Z"


@pytest.fixture
def battery(db, structure, users) -> Asset:
    """A battery of the prosumer."""
    asset = make_asset(users["prosumer"])
    db.session.flush()
    return asset


def auth(tokens, user: str = "admin") -> dict[str, str]:
    return {"Authorization": tokens[user]}


def series(key: str, address: str, unit: str, message_type: str) -> dict:
    return {
        "type": message_type,
        key: address,
        "values": [1.0],
        "start": START,
        "duration": "PT15M",
        "unit": unit,
    }


def assert_status(response, status: str, http_status: int = 400) -> None:
    assert response.status_code == http_status, response.json
    assert response.json["status"] == status, response.json


@pytest.mark.parametrize(
    "address, status",
    [
        ("ea1.2018-06.localhost:1:three", "INVALID_DOMAIN"),  # does not parse
        ("ea1.2018-13.localhost:1:3", "INVALID_DOMAIN"),  # no month 13
        ("eal.2018-06.localhost:1:3", "INVALID_DOMAIN"),  # the seed's look-alike scheme
        ("1:2:3:4", "INVALID_DOMAIN"),
        ("no asset is called this", "INVALID_DOMAIN"),
        ("ea1.2018-06.localhost:1:999999", "UNRECOGNIZED_ASSET"),  # parses, names nothing
    ],
)
def test_connection_addresses(client, tokens, battery, address, status):
    message = series("connection", address, "MW", "PostMeterDataRequest")
    assert_status(
        client.post("/api/v2_0/postMeterData", json=message, headers=auth(tokens)), status
    )
    query = {"connection": address, "start": START, "duration": "PT15M", "unit": "MW"}
    for service in ("getMeterData", "getPrognosis"):
        got = client.get(f"/api/v2_0/{service}", query_string=query, headers=auth(tokens))
        assert_status(got, status)


def test_an_invalid_address_says_what_was_expected(client, tokens, battery):
    query = {"connection": "1:2:3:4", "start": START, "duration": "PT15M", "unit": "MW"}
    got = client.get("/api/v2_0/getMeterData", query_string=query, headers=auth(tokens))
    assert got.json["message"].startswith("Invalid entity address: Could not parse '1:2:3:4'")
    assert "<owner-id>:<asset-id>" in got.json["message"]


def test_an_asset_name_the_user_may_not_address_is_unrecognized(
    client, tokens, structure, users, db
):
    make_asset(users["other_prosumer"], name="their battery")
    db.session.flush()
    query = {"connection": "their battery", "start": START, "duration": "PT15M", "unit": "MW"}
    got = client.get("/api/v2_0/getMeterData", query_string=query, headers=auth(tokens, "prosumer"))
    assert_status(got, "UNRECOGNIZED_CONNECTION_GROUP")


@pytest.mark.parametrize(
    "address, status",
    [
        ("ea1.2018-06.localhost:epex da", "INVALID_DOMAIN"),
        ("ea1.2018-06.localhost:", "INVALID_DOMAIN"),
        ("kpx.da", "INVALID_DOMAIN"),
        ("ea1.2018-06.localhost:kpx_da", "UNRECOGNIZED_MARKET"),
        ("kpx_da", "UNRECOGNIZED_MARKET"),
    ],
)
def test_market_addresses(client, tokens, structure, users, address, status):
    message = series("market", address, "EUR/MWh", "PostPriceDataRequest")
    posted = client.post("/api/v2_0/postPriceData", json=message, headers=auth(tokens))
    assert_status(posted, status)


@pytest.mark.parametrize(
    "address, status",
    [
        ("ea1.2018-06.localhost:temperature:33.4843866", "INVALID_DOMAIN"),
        ("ea1.2018-06.localhost:temperature:91:126.477859", "INVALID_DOMAIN"),
        ("temperature:north:east", "INVALID_DOMAIN"),
        ("ea1.2018-06.localhost:humidity:33.4843866:126.477859", "UNRECOGNIZED_SENSOR"),
    ],
)
def test_weather_sensor_addresses(client, tokens, structure, users, db, address, status):
    make_temperature_sensor()
    db.session.flush()
    message = series("sensor", address, "°C", "PostWeatherDataRequest")
    posted = client.post("/api/v2_0/postWeatherData", json=message, headers=auth(tokens))
    assert_status(posted, status)


def event_addresses(battery: Asset) -> list[tuple[str, str]]:
    owner, asset = battery.owner_id, battery.id
    return [
        (f"ea1.2018-06.localhost:{owner}:{asset}:soc", "INVALID_DOMAIN"),  # no event id
        (f"ea1.2018-06.localhost:{owner}:{asset}:7:8", "INVALID_DOMAIN"),  # 8 is no type
        (f"{owner}:{asset}", "INVALID_DOMAIN"),
        (f"ea1.2018-06.localhost:{owner}:{asset}:99999999999:soc", "UNRECOGNIZED_UDI_EVENT"),
    ]


def test_udi_event_addresses(client, tokens, battery):
    for address, status in event_addresses(battery):
        message = {
            "type": "PostUdiEventRequest",
            "event": address,
            "value": 1.0,
            "unit": "MWh",
            "datetime": "2015-06-02T10:00:00+00:00",
        }
        posted = client.post(
            "/api/v1_3/postUdiEvent", json=message, headers=auth(tokens, "prosumer")
        )
        assert_status(posted, status)
        asked = client.get(
            "/api/v1_3/getDeviceMessage",
            query_string={"event": address},
            headers=auth(tokens, "prosumer"),
        )
        assert_status(asked, status)


@pytest.mark.parametrize("duration", ["six hours", "PT", "-PT1H", "PT0M", "", "P1Y2X"])
def test_malformed_device_message_duration_is_unprocessable(client, tokens, battery, duration):
    address = f"ea1.2018-06.localhost:{battery.owner_id}:{battery.id}:5:soc"
    asked = client.get(
        "/api/v1_3/getDeviceMessage",
        query_string={"event": address, "duration": duration},
        headers=auth(tokens, "prosumer"),
    )
    assert_status(asked, "UNPROCESSABLE_ENTITY", 422)
    assert asked.json["type"] == "GetDeviceMessageResponse"
    assert list(asked.json["message"]) == ["duration"]
    assert asked.json["message"]["duration"][0]


def test_get_meter_data_without_unit_is_refused(client, tokens, battery):
    query = {"connection": battery.id, "start": START, "duration": "PT15M"}
    got = client.get("/api/v2_0/getMeterData", query_string=query, headers=auth(tokens))
    assert_status(got, "INVALID_UNIT")
    assert "'unit' should be MW" in got.json["message"]
    with_unit = {**query, "unit": "MW"}
    got = client.get("/api/v2_0/getMeterData", query_string=with_unit, headers=auth(tokens))
    assert got.status_code == 200, got.json


def test_openapi_documents_what_changed(client):
    paths = client.get("/api/openapi.json").json["paths"]
    device_message = paths["/api/v2_0/getDeviceMessage"]["get"]["responses"]
    assert "422" in device_message
    meter_data = paths["/api/v2_0/getMeterData"]["get"]
    unit = [p for p in meter_data["parameters"] if p["name"] == "unit"]
    assert unit and unit[0]["required"] is True
    prognosis = paths["/api/v2_0/getPrognosis"]["get"]["responses"]["400"]
    assert "INVALID_DOMAIN" in prognosis["description"]
