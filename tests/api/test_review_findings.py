"""Regression tests for bugs found by reviewing the USEF-style API as a client would."""

from __future__ import annotations

import json

import pytest

from tests.factories import make_asset

START = "2015-01-01T00:00:00Z"


@pytest.fixture
def station(db, structure, users):
    """A charging station of the prosumer."""
    return make_asset(users["prosumer"], "CS 1", "charging_station", capacity_in_mw=1)


def _address(asset) -> str:
    return f"ea1.2018-06.localhost:{asset.owner_id}:{asset.id}"


@pytest.mark.parametrize(
    "fields",
    [
        {"horizon": "P99999999D"},
        {"horizon": "P99999999999D"},
        {"prior": "0001-01-01T00:00:00Z"},
        {"start": "9999-12-31T23:45:00Z"},
        {"duration": "P99999D", "values": [1]},
    ],
)
def test_post_meter_data_with_times_out_of_range_is_a_bad_request(client, tokens, station, fields):
    message = {
        "type": "PostMeterDataRequest",
        "connection": _address(station),
        "values": [1],
        "start": START,
        "duration": "PT15M",
        "unit": "MW",
        **fields,
    }
    response = client.post(
        "/api/v1_3/postMeterData", json=message, headers={"Authorization": tokens["mdc"]}
    )
    assert response.status_code == 400, response.json
    assert response.json["status"] == "INVALID_REQUEST"
    assert "supported" in response.json["message"]


def test_get_meter_data_over_a_huge_duration_is_a_bad_request(client, tokens, station):
    message = {
        "connection": _address(station),
        "start": START,
        "duration": "P99999D",
        "unit": "MW",
    }
    response = client.get(
        "/api/v1_3/getMeterData",
        query_string=message,
        headers={"Authorization": tokens["prosumer"]},
    )
    assert response.status_code == 400, response.json
    assert response.json["status"] == "INVALID_REQUEST"


def test_get_prognosis_accepts_a_rolling_horizon_as_repeating_interval(client, tokens, station):
    """Change log v1.3-7: a GET horizon is rolling whether or not it is written "R/PT6H"."""
    message = {
        "type": "GetPrognosisRequest",
        "connection": _address(station),
        "start": START,
        "duration": "PT1H30M",
        "horizon": "R/PT6H",
        "resolution": "PT15M",
        "unit": "MW",
    }
    response = client.get(
        "/api/v1_3/getPrognosis",
        query_string=message,
        headers={"Authorization": tokens["prosumer"]},
    )
    assert response.status_code == 200, response.json
    assert response.json["status"] == "PROCESSED"


@pytest.mark.parametrize("source", ["99999999999", "²"])
def test_get_meter_data_from_an_impossible_source_is_invalid_source(
    client, tokens, station, source
):
    message = {
        "connection": _address(station),
        "start": START,
        "duration": "PT15M",
        "unit": "MW",
    }
    response = client.get(
        "/api/v1_3/getMeterData",
        query_string={**message, "source": source},
        headers={"Authorization": tokens["prosumer"]},
    )
    assert response.status_code == 400, response.json
    assert response.json["status"] == "INVALID_SOURCE"


def test_connection_with_an_id_too_large_for_the_database_is_unrecognized(client, tokens, station):
    message = {
        "connection": f"ea1.2018-06.localhost:{station.owner_id}:99999999999",
        "start": START,
        "duration": "PT15M",
        "unit": "MW",
    }
    response = client.get(
        "/api/v1_3/getMeterData",
        query_string=message,
        headers={"Authorization": tokens["prosumer"]},
    )
    assert response.status_code == 400, response.json
    assert response.json["status"] == "UNRECOGNIZED_ASSET"  # well-formed: names nothing


def test_udi_event_with_an_id_too_large_for_the_database_is_unrecognized(
    client, tokens, db, structure, users
):
    battery = make_asset(users["prosumer"], min_soc_in_mwh=0, max_soc_in_mwh=5)
    message = {
        "type": "PostUdiEventRequest",
        "event": f"ea1.2018-06.localhost:{battery.owner_id}:{battery.id}:99999999999:soc",
        "value": 1.0,
        "unit": "MWh",
        "datetime": "2015-06-02T10:00:00+00:00",
    }
    response = client.post(
        "/api/v1_3/postUdiEvent", json=message, headers={"Authorization": tokens["prosumer"]}
    )
    assert response.status_code == 400, response.json
    assert response.json["status"] == "UNRECOGNIZED_UDI_EVENT"


def test_get_meter_data_with_an_unencoded_plus_in_the_start_offset(client, tokens, station):
    """A "+09:00" written unencoded in a query string arrives as " 09:00"."""
    response = client.get(
        f"/api/v1_3/getMeterData?connection={_address(station)}"
        "&start=2015-01-01T09:00:00+09:00&duration=PT30M&unit=MW",
        headers={"Authorization": tokens["prosumer"]},
    )
    assert response.status_code == 200, response.json
    assert response.json["start"] == "2015-01-01T09:00:00+09:00"
    assert response.json["values"] == [None, None]


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/api/v2_0/asset/99999999999"),
        ("PATCH", "/api/v2_0/asset/99999999999"),
        ("GET", "/api/v2_0/user/99999999999"),
        ("PATCH", "/api/v2_0/user/99999999999/password-reset"),
    ],
)
def test_rest_ids_beyond_the_database_range_are_not_found(client, tokens, method, path):
    response = client.open(
        path, method=method, json={"capacity_in_mw": 1}, headers={"Authorization": tokens["admin"]}
    )
    assert response.status_code == 404, response.json
    assert response.json["status"] in ("UNRECOGNIZED_ASSET", "UNRECOGNIZED_USER")


@pytest.mark.parametrize("connection", ["CS\x00 1", "CS 1\ud800"])
def test_text_that_cannot_be_stored_is_a_bad_request(client, tokens, station, connection):
    message = {
        "type": "PostMeterDataRequest",
        "connection": connection,
        "values": [1],
        "start": START,
        "duration": "PT15M",
        "unit": "MW",
    }
    response = client.post(
        "/api/v1_3/postMeterData",
        data=json.dumps(message),
        content_type="application/json",
        headers={"Authorization": tokens["mdc"]},
    )
    assert response.status_code == 400, response.json
    assert response.json["status"] == "INVALID_REQUEST"


def test_nul_in_a_query_parameter_is_a_bad_request(client, tokens, station):
    response = client.get(
        f"/api/v1_3/getMeterData?connection={_address(station)}"
        "&start=2015-01-01T00:00:00Z&duration=PT15M&source=a%00b",
        headers={"Authorization": tokens["prosumer"]},
    )
    assert response.status_code == 400, response.json
    assert response.json["status"] == "INVALID_REQUEST"


@pytest.mark.parametrize(
    "path, user", [("/api/v1_3/postMeterData", "mdc"), ("/api/v2_0/assets", "admin")]
)
def test_too_deeply_nested_json_is_a_bad_request(client, tokens, station, path, user):
    response = client.post(
        path,
        data="[" * 100_000 + "]" * 100_000,
        content_type="application/json",
        headers={"Authorization": tokens[user]},
    )
    assert response.status_code == 400, response.json
    assert response.json["status"] == "INVALID_REQUEST"
