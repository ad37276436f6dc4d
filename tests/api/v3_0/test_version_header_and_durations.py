"""API responses name the FlexMeasures version that answered (the ``FlexMeasures-Version``
header, which the FlexMeasures client reads), and v3_0 refuses durations and resolutions
that are zero or negative with a 422 naming the field."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from sqlalchemy import func, select

from flexmeasures import __version__
from flexmeasures.data.models import Sensor, TimedBelief
from tests.api.auth_routes import auth_header

START = "2015-01-01T00:00:00+00:00"
NOT_POSITIVE = ["PT0M", "P0D", "-PT15M"]
PYPROJECT = Path(__file__).resolve().parents[3] / "pyproject.toml"


def test_api_answers_carry_the_package_version(client):
    package_version = tomllib.loads(PYPROJECT.read_text())["project"]["version"]
    assert __version__ == package_version  # the header tells the truth, no made-up version
    listed = client.get("/api/")
    assert listed.headers["FlexMeasures-Version"] == package_version
    assert listed.get_json()["flexmeasures_version"] == package_version
    refused = client.get("/api/v3_0/sensors")  # errors too (here: no token)
    assert refused.status_code == 401
    assert refused.headers["FlexMeasures-Version"] == package_version


def test_pages_outside_the_api_carry_no_version_header(client):
    assert "FlexMeasures-Version" not in client.get("/login").headers


@pytest.mark.parametrize("resolution", [*NOT_POSITIVE, 0, -15])
def test_new_sensor_with_a_resolution_that_is_not_positive_is_refused(
    client, tokens, assets, db, resolution
):
    before = db.session.scalar(select(func.count()).select_from(Sensor))
    response = client.post(
        "/api/v3_0/sensors",
        json={
            "name": "thermometer",
            "unit": "°C",
            "event_resolution": resolution,
            "generic_asset_id": assets["battery"].id,
        },
        headers=auth_header(tokens["admin"]),
    )
    assert response.status_code == 422, response.get_json()
    assert "positive" in response.get_json()["message"]["event_resolution"][0]
    assert db.session.scalar(select(func.count()).select_from(Sensor)) == before


@pytest.mark.parametrize("duration", NOT_POSITIVE)
def test_data_for_a_duration_that_is_not_positive_is_refused(client, tokens, assets, db, duration):
    battery = assets["battery"].id
    headers = auth_header(tokens["prosumer"])
    posted = client.post(
        f"/api/v3_0/sensors/{battery}/data",
        json={"start": START, "duration": duration, "values": [1, 2], "unit": "MW"},
        headers=headers,
    )
    assert posted.status_code == 422
    assert list(posted.get_json()["message"]) == ["duration"]
    count = select(func.count()).select_from(TimedBelief).where(TimedBelief.sensor_id == battery)
    assert db.session.scalar(count) == 0
    query = {"start": START, "duration": "PT1H", "resolution": duration}
    read = client.get(f"/api/v3_0/sensors/{battery}/data", query_string=query, headers=headers)
    assert read.status_code == 422
    assert list(read.get_json()["message"]) == ["resolution"]


@pytest.mark.parametrize("duration", NOT_POSITIVE)
def test_schedules_for_a_duration_that_is_not_positive_are_refused(
    client, tokens, assets, duration
):
    battery = assets["battery"].id
    headers = auth_header(tokens["prosumer"])
    body = {"start": START, "duration": duration, "flex-model": {"soc-at-start": "0.5 MWh"}}
    for path in (f"assets/{battery}", f"sensors/{battery}"):
        triggered = client.post(f"/api/v3_0/{path}/schedules/trigger", json=body, headers=headers)
        assert triggered.status_code == 422
        assert list(triggered.get_json()["message"]) == ["duration"]
    fetched = client.get(
        f"/api/v3_0/sensors/{battery}/schedules/some-job",
        query_string={"duration": duration},
        headers=headers,
    )
    assert fetched.status_code == 422 and list(fetched.get_json()["message"]) == ["duration"]


def test_a_malformed_duration_keeps_its_seed_status(client, tokens, assets):
    battery = assets["battery"].id
    response = client.post(
        f"/api/v3_0/sensors/{battery}/data",
        json={"start": START, "duration": "half an hour", "values": [1, 2], "unit": "MW"},
        headers=auth_header(tokens["prosumer"]),
    )
    assert response.status_code == 400
    assert response.get_json()["status"] == "INVALID_REQUEST"
