"""Regression tests for bugs found by reviewing the USEF-style API as a client would."""

from __future__ import annotations

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
    message = {"connection": _address(station), "start": START, "duration": "P99999D"}
    response = client.get(
        "/api/v1_3/getMeterData",
        query_string=message,
        headers={"Authorization": tokens["prosumer"]},
    )
    assert response.status_code == 400, response.json
    assert response.json["status"] == "INVALID_REQUEST"


def test_get_connection_addresses_leave_out_the_port(app, client, tokens, station, monkeypatch):
    monkeypatch.setitem(app.config, "SERVER_NAME", "localhost:5123")
    response = client.get(
        "/api/v1_3/getConnection",
        headers={"Authorization": tokens["prosumer"]},
        base_url="http://localhost:5123",
    )
    assert response.status_code == 200, response.json
    assert response.json["connections"] == [_address(station)]
