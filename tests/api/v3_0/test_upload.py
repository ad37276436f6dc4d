"""API v3_0 sensor data upload: CSV files in a multipart form, validated like the rest."""

from __future__ import annotations

import io

import pytest

from tests.api.auth_routes import auth_header

CSV = b"event_start,event_value\n2015-01-01T01:00:00+01:00,500\n2015-01-01T01:15:00+01:00,250\n"


def upload(client, tokens, sensor_id, *files, user="prosumer", **form):
    data = {"uploaded-files": [(io.BytesIO(c), name) for name, c in files], **form}
    return client.post(
        f"/api/v3_0/sensors/{sensor_id}/data/upload",
        data=data,
        content_type="multipart/form-data",
        headers=auth_header(tokens[user]),
    )


def read(client, tokens, sensor_id, **args):
    query = {"start": "2015-01-01T00:00:00Z", "duration": "PT30M", **args}
    response = client.get(
        f"/api/v3_0/sensors/{sensor_id}/data",
        query_string=query,
        headers=auth_header(tokens["prosumer"]),
    )
    return response.get_json()


def test_an_uploaded_csv_is_stored_in_the_sensors_unit(client, tokens, assets):
    battery = assets["battery"].id
    response = upload(
        client,
        tokens,
        battery,
        ("power.csv", CSV),
        unit="kW",
        **{"belief-time-measured-instantly": "True"},
    )
    assert response.status_code == 200, response.get_json()
    assert read(client, tokens, battery)["values"] == [0.5, 0.25]
    # measured instantly: recorded right after each event, so a prior then sees them
    at_end = read(client, tokens, battery, prior="2015-01-01T00:30:00Z")
    assert at_end["values"] == [0.5, 0.25]


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ((), "Upload one or more CSV files"),
        ((("a.csv", b"event_start,event_value\n"),), "Cannot read a.csv: it has no rows"),
        ((("a.csv", b"event_start,event_value\nyesterday,1\nnow,2\n"),), "row 2"),
        (
            (
                (
                    "a.csv",
                    b"event_start,event_value\n2015-01-01T00:00:00,1\n2015-01-01T00:15:00,2\n",
                ),
            ),
            "UTC offset",
        ),
        ((("a.csv", CSV), ("b.csv", CSV)), "repeats"),
        ((("a.csv", CSV + b"2015-01-01T01:45:00+01:00,1\n"),), "not evenly spaced"),
    ],
)
def test_invalid_uploads_are_refused_whole(client, tokens, assets, files, message):
    response = upload(client, tokens, assets["battery"].id, *files, unit="kW")
    assert response.status_code == 400, response.get_json()
    assert message in response.get_json()["message"]
    assert read(client, tokens, assets["battery"].id)["values"] == [None, None]


def test_uploads_follow_the_data_permissions(client, tokens, assets):
    response = upload(client, tokens, assets["battery"].id, ("a.csv", CSV), user="other_prosumer")
    assert response.status_code == 403
