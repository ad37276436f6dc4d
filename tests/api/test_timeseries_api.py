"""Posting and getting power, prognoses, prices and weather through every API version:
notation, recording times, resolutions, statuses and atomicity."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from flexmeasures.data.models import Asset, TimedBelief
from tests.factories import make_asset, make_temperature_sensor

VERSIONS = ["v1", "v1_1", "v1_2", "v1_3", "v2_0"]
LATER_VERSIONS = VERSIONS[1:]
START = "2015-01-01T00:00:00Z"
VALUES = [306.66, 306.66, 0, 0, 306.66, 306.66]


@pytest.fixture
def assets(db, structure, users) -> dict[str, Asset]:
    """Two charging stations and a solar panel of the prosumer, one of the other prosumer."""
    made = {}
    for name, type_name, owner in [
        ("CS 1", "charging_station", "prosumer"),
        ("CS 2", "charging_station", "prosumer"),
        ("solar", "solar", "prosumer"),
        ("CS 9", "charging_station", "other_prosumer"),
    ]:
        made[name] = make_asset(users[owner], name, type_name, capacity_in_mw=400)
    return made


def address(asset: Asset) -> str:
    return f"ea1.2018-06.localhost:{asset.owner_id}:{asset.id}"


def meter_data(connections, values=VALUES, **extra):
    return {
        "type": "PostMeterDataRequest",
        "groups": [{"connections": connections, "values": values}],
        "start": START,
        "duration": "PT1H30M",
        "unit": "MW",
        **extra,
    }


def auth(tokens, user="mdc"):
    return {"Authorization": tokens[user]}


def count_beliefs(db) -> int:
    return db.session.scalar(select(func.count()).select_from(TimedBelief))


@pytest.mark.parametrize("version", VERSIONS)
def test_post_and_get_meter_data(client, tokens, assets, version):
    cs1 = assets["CS 1"]
    posted = client.post(
        f"/api/{version}/postMeterData",
        json=meter_data([address(cs1)]),
        headers=auth(tokens),
    )
    assert posted.status_code == 200, posted.json
    assert posted.json == {
        "type": "PostMeterDataResponse",
        "status": "PROCESSED",
        "message": "Request has been processed.",
    }
    got = client.get(
        f"/api/{version}/getMeterData",
        query_string={
            "connection": address(cs1),
            "start": START,
            "duration": "PT1H30M",
            "unit": "MW",
        },
        headers=auth(tokens, "prosumer"),
    )
    assert got.status_code == 200, got.json
    assert got.json["type"] == "GetMeterDataResponse"
    assert got.json["values"] == VALUES
    assert got.json["connection"] == address(cs1)
    assert got.json["start"] == START and got.json["duration"] == "PT1H30M"
    assert got.json["unit"] == "MW"


def test_get_meter_data_with_json_body_and_name_lookup(client, tokens, assets):
    client.post("/api/v1_3/postMeterData", json=meter_data(["CS 1", "CS 2"]), headers=auth(tokens))
    got = client.get(
        "/api/v1_3/getMeterData",
        json={
            "type": "GetMeterDataRequest",
            "connection": "CS 1",
            "start": START,
            "duration": "PT1H30M",
            "unit": "MW",
        },
        headers=auth(tokens, "prosumer"),
    )
    assert got.status_code == 200, got.json
    assert got.json["values"] == VALUES


def test_downsampled_and_multiple_connections(client, tokens, assets):
    cs1, cs2 = assets["CS 1"], assets["CS 2"]
    client.post(
        "/api/v2_0/postMeterData",
        json=meter_data([address(cs1), address(cs2)]),
        headers=auth(tokens),
    )
    got = client.get(
        "/api/v2_0/getMeterData",
        query_string=[
            ("connection", address(cs1)),
            ("connection", address(cs2)),
            ("start", START),
            ("duration", "PT1H30M"),
            ("resolution", "PT30M"),
            ("unit", "MW"),
        ],
        headers=auth(tokens, "prosumer"),
    )
    assert got.status_code == 200, got.json
    assert [g["values"] for g in got.json["groups"]] == [[306.66, 0, 306.66]] * 2


def test_upsampled_post(client, tokens, assets, db):
    half_hourly = meter_data([address(assets["CS 1"])], values=[1.0, 2.0, 3.0])
    assert (
        client.post("/api/v1_3/postMeterData", json=half_hourly, headers=auth(tokens)).status_code
        == 200
    )
    assert count_beliefs(db) == 6


def test_one_bad_group_stores_nothing(client, tokens, assets, db):
    message = meter_data([address(assets["CS 1"])])
    message["groups"].append({"connection": "ea1.2018-06.localhost:99999", "values": VALUES})
    response = client.post("/api/v2_0/postMeterData", json=message, headers=auth(tokens))
    assert response.status_code == 400
    assert response.json["status"] == "UNRECOGNIZED_ASSET"
    assert count_beliefs(db) == 0


def test_repost_is_refused_and_stores_nothing(client, tokens, assets, db):
    message = meter_data([address(assets["CS 1"])])
    assert (
        client.post("/api/v1_3/postMeterData", json=message, headers=auth(tokens)).status_code
        == 200
    )
    again = client.post("/api/v1_3/postMeterData", json=message, headers=auth(tokens))
    assert again.status_code == 400
    assert again.json["status"] == "ALREADY_RECEIVED_AND_SUCCESSFULLY_PROCESSED"
    assert count_beliefs(db) == 6


@pytest.mark.parametrize(
    "change, status",
    [
        ({"unit": "kW"}, "INVALID_UNIT"),
        ({"start": "2015-01-01T00:00:00"}, "INVALID_TIMEZONE"),
        ({"type": "GetMeterDataRequest"}, "INVALID_MESSAGE_TYPE"),
        ({"duration": "PT1H1S"}, "INVALID_RESOLUTION"),
        ({"duration": "pt1h30m", "unit": "kW"}, "INVALID_UNIT"),  # lower case is fine
        ({"start": None}, "REQUIRED_INFO_MISSING"),
        (
            {
                "groups": [
                    {"connection": "ea1.2018-06.io.flexmeasures.company:1:1", "values": VALUES}
                ]
            },
            "INVALID_DOMAIN",
        ),
    ],
)
def test_post_meter_data_statuses(client, tokens, assets, db, change, status):
    message = {**meter_data([address(assets["CS 1"])]), **change}
    response = client.post("/api/v1_3/postMeterData", json=message, headers=auth(tokens))
    assert response.status_code == 400, response.json
    assert response.json["status"] == status
    assert response.json["type"] == "PostMeterDataResponse"
    assert count_beliefs(db) == 0


def test_coarser_resolution_that_cannot_be_matched(client, tokens, assets, db):
    message = meter_data([address(assets["CS 1"])], values=[1.0] * 4)  # 22.5 minutes each
    response = client.post("/api/v1_3/postMeterData", json=message, headers=auth(tokens))
    assert response.status_code == 400
    assert response.json["status"] == "REQUIRED_INFO_MISSING"


def test_signs_of_pure_producers(client, tokens, assets):
    message = meter_data([address(assets["solar"])])
    response = client.post("/api/v1_3/postMeterData", json=message, headers=auth(tokens))
    assert response.json["status"] == "POWER_VALUE_TOO_BIG"
    negative = meter_data([address(assets["solar"])], values=[-v for v in VALUES])
    assert (
        client.post("/api/v1_3/postMeterData", json=negative, headers=auth(tokens)).status_code
        == 200
    )


def test_roles_and_ownership(client, tokens, assets):
    message = meter_data([address(assets["CS 1"])])
    as_prosumer = client.post(
        "/api/v1_3/postMeterData", json=message, headers=auth(tokens, "prosumer")
    )
    assert as_prosumer.status_code == 403
    assert as_prosumer.json["status"] == "INVALID_SENDER"
    no_token = client.post("/api/v1_3/postMeterData", json=message)
    assert no_token.status_code == 401 and no_token.json["status"] == "UNAUTHORIZED"
    others = client.get(
        "/api/v1_3/getMeterData",
        query_string={
            "connection": address(assets["CS 9"]),
            "start": START,
            "duration": "PT1H30M",
            "unit": "MW",
        },
        headers=auth(tokens, "prosumer"),
    )
    assert others.status_code == 400 and others.json["status"] == "UNRECOGNIZED_CONNECTION_GROUP"


def test_prognosis_and_meter_data_kept_apart_and_prior_time_travel(client, tokens, assets, db):
    cs1 = address(assets["CS 1"])
    forecast = meter_data(
        [cs1], values=[1.0] * 6, type="PostPrognosisRequest", prior="2014-12-31T18:00:00Z"
    )
    assert (
        client.post("/api/v2_0/postPrognosis", json=forecast, headers=auth(tokens)).status_code
        == 200
    )
    measured = meter_data([cs1], values=[2.0] * 6, prior="2015-01-01T02:00:00Z")
    assert (
        client.post("/api/v2_0/postMeterData", json=measured, headers=auth(tokens)).status_code
        == 200
    )
    assert count_beliefs(db) == 12
    query = {"connection": cs1, "start": START, "duration": "PT1H30M", "unit": "MW"}
    latest = client.get(
        "/api/v2_0/getMeterData", query_string=query, headers=auth(tokens, "prosumer")
    )
    assert latest.json["values"] == [2.0] * 6
    before = client.get(
        "/api/v2_0/getMeterData",
        query_string={**query, "prior": "2015-01-01T00:00:00Z"},
        headers=auth(tokens, "prosumer"),
    )
    assert before.json["values"] == [None] * 6  # no meter data yet; a prognosis is none
    prognosed_before = client.get(
        "/api/v2_0/getPrognosis",
        query_string={**query, "prior": "2015-01-01T00:00:00Z"},
        headers=auth(tokens, "prosumer"),
    )
    assert prognosed_before.json["values"] == [1.0] * 6
    prognosis = client.get(
        "/api/v2_0/getPrognosis",
        query_string={**query, "horizon": "PT6H"},
        headers=auth(tokens, "prosumer"),
    )
    assert prognosis.json["type"] == "GetPrognosisResponse"
    assert prognosis.json["values"] == [1.0] * 6


def test_horizon_inference_per_version(client, tokens, assets, db):
    cs1 = address(assets["CS 1"])
    client.post("/api/v1_3/postMeterData", json=meter_data([cs1]), headers=auth(tokens))
    horizons = set(db.session.scalars(select(TimedBelief.belief_horizon)))
    assert horizons == {timedelta(0)}  # recorded right after each event
    client.post(
        "/api/v2_0/postPrognosis",
        json=meter_data([cs1], type="PostPrognosisRequest", start="2015-01-02T00:00:00Z"),
        headers=auth(tokens),
    )
    latest = db.session.scalars(
        select(TimedBelief.belief_horizon).where(
            TimedBelief.event_start == datetime(2015, 1, 2, tzinfo=UTC)
        )
    ).all()
    assert latest[0] < -timedelta(days=365)  # recorded at arrival, long after the fact


def test_horizon_and_prior_take_the_earliest(client, tokens, assets, db):
    cs1 = address(assets["CS 1"])
    message = meter_data([cs1], horizon="PT1H", prior="2014-12-31T23:00:00Z")
    assert (
        client.post("/api/v2_0/postMeterData", json=message, headers=auth(tokens)).status_code
        == 200
    )
    horizons = db.session.scalars(
        select(TimedBelief.belief_horizon).order_by(TimedBelief.event_start)
    ).all()
    # the first event ends at 00:15: 1 h before is 23:15, the prior 23:00 is earlier
    assert horizons[0] == timedelta(hours=1, minutes=15)
    assert horizons[-1] == timedelta(hours=2, minutes=30)


@pytest.mark.parametrize("version", LATER_VERSIONS)
def test_post_price_data(client, tokens, db, structure, version):
    message = {
        "type": "PostPriceDataRequest",
        "market": "ea1.2018-06.localhost:epex_da",
        "values": [52.37, 51.14, 49.09],
        "start": "2021-01-01T00:00:00+01:00",
        "duration": "PT3H",
        "prior": "2020-12-31T13:00:00+01:00",
        "unit": "EUR/MWh",
    }
    response = client.post(f"/api/{version}/postPriceData", json=message, headers=auth(tokens))
    assert response.status_code == 200, response.json
    assert response.json["type"] == "PostPriceDataResponse"
    assert count_beliefs(db) == 3
    wrong_unit = client.post(
        f"/api/{version}/postPriceData", json={**message, "unit": "KRW/kWh"}, headers=auth(tokens)
    )
    assert wrong_unit.json["status"] == "INVALID_UNIT"
    unknown = client.post(
        f"/api/{version}/postPriceData",
        json={**message, "market": "ea1.2018-06.localhost:kpx_da"},
        headers=auth(tokens),
    )
    assert unknown.json["status"] == "UNRECOGNIZED_MARKET"


def test_post_weather_data_at_a_sensor_not_elsewhere(client, tokens, db, structure):
    sensor = make_temperature_sensor()
    message = {
        "type": "PostWeatherDataRequest",
        "groups": [
            {
                "sensor": "ea1.2018-06.localhost:temperature:33.4843866:126.477859",
                "values": [20.04, 20.23, 20.41, 20.51, 20.55, 20.57],
            }
        ],
        "start": "2021-01-01T15:00:00+09:00",
        "duration": "PT1H30M",
        "prior": "2021-01-01T12:00:00+09:00",
        "unit": "°C",
    }
    response = client.post("/api/v2_0/postWeatherData", json=message, headers=auth(tokens))
    assert response.status_code == 200, response.json
    stored = db.session.scalars(select(TimedBelief.sensor_id)).all()
    assert set(stored) == {sensor.id} and len(stored) == 6
    elsewhere = {**message, "start": "2021-01-02T15:00:00+09:00"}
    elsewhere["groups"] = [{**message["groups"][0], "sensor": "temperature:33.5:126.5"}]
    refused = client.post("/api/v2_0/postWeatherData", json=elsewhere, headers=auth(tokens))
    assert refused.status_code == 400
    assert refused.json["status"] == "UNRECOGNIZED_SENSOR"
    assert "The nearest one is temperature Jeju" in refused.json["message"]
    assert count_beliefs(db) == 6
    wrong_unit = client.post(
        "/api/v2_0/postWeatherData", json={**message, "unit": "K"}, headers=auth(tokens)
    )
    assert wrong_unit.json["status"] == "INVALID_UNIT"


def test_get_connection_and_service(client, tokens, assets):
    connections = client.get("/api/v1_3/getConnection", headers=auth(tokens, "prosumer"))
    assert connections.status_code == 200
    assert connections.json["names"] == ["solar", "CS 2", "CS 1"]
    assert connections.json["connections"][-1] == address(assets["CS 1"])
    as_mdc = client.get("/api/v1_3/getConnection", headers=auth(tokens, "mdc"))
    assert len(as_mdc.json["connections"]) == len(assets)  # MDC may address every asset
    service = client.get("/api/v1/getService")
    assert service.json["version"] == "1.0"
    by_name = {s["name"]: s for s in service.json["services"]}
    assert by_name["postMeterData"]["access"] == ["MDC"]
    mdc_services = client.get("/api/v2_0/getService", query_string={"access": "MDC"})
    assert "postMeterData" in {s["name"] for s in mdc_services.json["services"]}


def test_query_parameters_the_message_has_no_field_for_are_refused(client, tokens, assets):
    """An unknown query key is INVALID_REQUEST (the document lists the message's fields)."""
    headers = auth(tokens, "prosumer")
    refused = client.get(
        "/api/v1_3/getConnection?colour=blue&type=GetConnectionRequest", headers=headers
    )
    assert refused.status_code == 400
    assert refused.json["status"] == "INVALID_REQUEST" and "colour" in refused.json["message"]
    assert refused.json["type"] == "GetConnectionResponse"
    token_in_query = client.get(
        "/api/v1_3/getConnection", query_string={"auth_token": tokens["prosumer"]}
    )
    assert token_in_query.status_code == 200


def test_api_versions_listed(client):
    assert client.get("/api/").json["versions"] == [*VERSIONS, "v3_0"]  # v3_0 has no USEF services


def test_wrong_method_malformed_json_and_large_bodies(app, client, tokens, assets, db):
    wrong_method = client.get("/api/v1_3/postMeterData", headers=auth(tokens))
    assert wrong_method.status_code == 405
    assert wrong_method.json["status"] == "INVALID_METHOD"
    assert "POST" in wrong_method.headers["Allow"].split(", ")
    malformed = client.post(
        "/api/v1_3/postMeterData",
        data="{not json",
        content_type="application/json",
        headers=auth(tokens),
    )
    assert malformed.status_code == 400 and malformed.json["status"] == "INVALID_REQUEST"
    wrong_types = client.post(
        "/api/v1_3/postMeterData",
        json={
            **meter_data([address(assets["CS 1"])]),
            "groups": [{"connection": "CS 1", "values": "1,2"}],
        },
        headers=auth(tokens),
    )
    assert wrong_types.status_code == 400
    limit = app.config["MAX_CONTENT_LENGTH"]
    too_large = client.post(
        "/api/v1_3/postMeterData",
        data=b"[" + b"1," * (limit // 2) + b"1]",
        content_type="application/json",
        headers=auth(tokens),
    )
    assert too_large.status_code == 413
    assert str(limit) in too_large.json["message"]
    assert count_beliefs(db) == 0


def test_ten_years_of_quarter_hours_fit_under_the_size_limit(app):
    values = ", ".join(["306.66"] * (10 * 365 * 96 + 2 * 96))
    assert len(values.encode()) < app.config["MAX_CONTENT_LENGTH"]


def test_get_statuses(client, tokens, assets):
    query = {
        "connection": address(assets["CS 1"]),
        "start": START,
        "duration": "PT1H30M",
        "unit": "MW",
    }
    headers = auth(tokens, "prosumer")
    for extra, status in [
        ({"resolution": "PT20M"}, "INVALID_RESOLUTION"),
        ({"resolution": "PT5M"}, "INVALID_RESOLUTION"),
        ({"resolution": "fifteen minutes"}, "INVALID_RESOLUTION"),
        ({"source": "Supplier"}, "INVALID_SOURCE"),
        ({"unit": "kW"}, "INVALID_UNIT"),
        ({"start": "2015-01-01T00:00:00"}, "INVALID_TIMEZONE"),
        ({"connection": "ea1.2018-06.localhost:1:999999"}, "UNRECOGNIZED_ASSET"),
        ({"connection": "no such name"}, "INVALID_DOMAIN"),  # no address, no asset's name
        ({"connection": "ea1.2018-06.localhost:1:three"}, "INVALID_DOMAIN"),
    ]:
        response = client.get(
            "/api/v2_0/getMeterData", query_string={**query, **extra}, headers=headers
        )
        assert response.status_code == 400, (extra, response.json)
        assert response.json["status"] == status, extra
        assert response.json["type"] == "GetMeterDataResponse"


def test_source_selection_by_role_and_user_id(client, tokens, users, assets):
    cs1 = address(assets["CS 1"])
    client.post(
        "/api/v2_0/postMeterData", json=meter_data([cs1], values=[1.0] * 6), headers=auth(tokens)
    )
    client.post(
        "/api/v2_0/postMeterData",
        json=meter_data([cs1], values=[2.0] * 6, prior="2015-01-01T01:30:00Z"),
        headers=auth(tokens, "admin"),
    )
    query = {"connection": cs1, "start": START, "duration": "PT1H30M", "unit": "MW"}
    headers = auth(tokens, "prosumer")
    by_role = client.get(
        "/api/v2_0/getMeterData", query_string={**query, "source": "MDC"}, headers=headers
    )
    assert by_role.json["values"] == [1.0] * 6
    by_id = client.get(
        "/api/v2_0/getMeterData",
        query_string={**query, "source": str(users["admin"].id)},
        headers=headers,
    )
    assert by_id.json["values"] == [2.0] * 6


def test_unknown_weather_sensor_type_and_no_sensors(client, tokens, structure):
    message = {
        "type": "PostWeatherDataRequest",
        "sensor": "ea1.2018-06.localhost:temperature:33.5:126.5",
        "values": [20.0],
        "start": "2021-01-01T15:00:00+09:00",
        "duration": "PT15M",
        "unit": "°C",
    }
    none_yet = client.post("/api/v2_0/postWeatherData", json=message, headers=auth(tokens))
    assert none_yet.json["status"] == "UNRECOGNIZED_SENSOR"
    unknown_type = client.post(
        "/api/v2_0/postWeatherData",
        json={**message, "sensor": "ea1.2018-06.localhost:humidity:33.5:126.5"},
        headers=auth(tokens),
    )
    assert unknown_type.json["status"] == "UNRECOGNIZED_SENSOR"


def test_localhost_addresses_work_on_the_loopback_address(client, tokens, assets, db):
    """A server reached at 127.0.0.1 takes the ea1...localhost addresses it hands out."""
    message = meter_data([address(assets["CS 1"])])
    response = client.post(
        "/api/v2_0/postMeterData",
        json=message,
        headers=auth(tokens),
        base_url="http://127.0.0.1:5000",
    )
    assert response.status_code == 200, response.json
    elsewhere = meter_data(
        [f"ea1.2018-06.com.example:{assets['CS 1'].owner_id}:{assets['CS 1'].id}"]
    )
    refused = client.post("/api/v2_0/postMeterData", json=elsewhere, headers=auth(tokens))
    assert refused.json["status"] == "INVALID_DOMAIN"
    assert "ea1.<YYYY-MM>.localhost:..." in refused.json["message"]


def test_upsampling_is_limited(client, tokens, assets, db):
    message = meter_data([address(assets["CS 1"])], values=[1.0], duration="P18250D")
    response = client.post("/api/v2_0/postMeterData", json=message, headers=auth(tokens))
    assert response.status_code == 400
    assert response.json["status"] == "INVALID_REQUEST"
    assert "split the message" in response.json["message"]
    assert count_beliefs(db) == 0
