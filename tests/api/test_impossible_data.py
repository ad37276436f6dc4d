"""Data that cannot be true is refused as a whole, with the limit named: starts off the
sensor's resolution grid, power beyond capacity, temperatures below absolute zero, negative
wind speeds, numbers too large for a float, weather for a location without a sensor."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from flexmeasures.data.models import Asset, TimedBelief, WeatherSensor
from flexmeasures.data.services.assets import create_weather_sensor
from tests.factories import make_asset, make_temperature_sensor

START = "2015-01-01T00:00:00Z"
JEJU = "33.4843866:126.477859"


@pytest.fixture
def station(db, structure, users) -> Asset:
    """A 400 MW two-way charging station (15-minute resolution) of the prosumer."""
    return make_asset(
        users["prosumer"], "CS 1", "bidirectional_charging_station", capacity_in_mw=400
    )


def address(asset: Asset) -> str:
    return f"ea1.2018-06.localhost:{asset.owner_id}:{asset.id}"


def power(asset: Asset, values, start=START, **extra) -> dict:
    return {
        "type": "PostMeterDataRequest",
        "connection": address(asset),
        "values": values,
        "start": start,
        "duration": f"PT{15 * len(values)}M",
        "unit": "MW",
        **extra,
    }


def weather(sensor: str, values, unit="°C", start="2015-01-01T15:00:00+09:00") -> dict:
    return {
        "type": "PostWeatherDataRequest",
        "sensor": f"ea1.2018-06.localhost:{sensor}",
        "values": values,
        "start": start,
        "duration": f"PT{15 * len(values)}M",
        "unit": unit,
    }


def post(client, tokens, service: str, message: dict):
    return client.post(
        f"/api/v2_0/{service}", json=message, headers={"Authorization": tokens["mdc"]}
    )


def count_beliefs(db) -> int:
    return db.session.scalar(select(func.count()).select_from(TimedBelief))


def test_start_off_the_grid_is_refused_naming_the_grid(client, tokens, station, db):
    refused = post(client, tokens, "postMeterData", power(station, [1, 2], "2015-01-01T00:07:00Z"))
    assert refused.status_code == 400
    assert refused.json["status"] == "INVALID_RESOLUTION"
    assert "every 15 minutes from midnight" in refused.json["message"]
    assert "Start at 2015-01-01T00:00:00+00:00" in refused.json["message"]
    assert count_beliefs(db) == 0
    on_grid = post(client, tokens, "postMeterData", power(station, [1, 2], "2015-01-01T00:15:00Z"))
    assert on_grid.status_code == 200, on_grid.json


def test_prices_and_weather_start_on_their_grid(client, tokens, station, db):
    prices = {
        "type": "PostPriceDataRequest",
        "market": "ea1.2018-06.localhost:epex_da",
        "values": [52.37, 51.14],
        "start": "2015-01-01T00:30:00+01:00",
        "duration": "PT2H",
        "unit": "EUR/MWh",
    }
    refused = post(client, tokens, "postPriceData", prices)
    assert refused.json["status"] == "INVALID_RESOLUTION", refused.json
    assert "every hour from midnight (Europe/Amsterdam)" in refused.json["message"]
    make_temperature_sensor()
    off_grid = weather(f"temperature:{JEJU}", [20.0], start="2015-01-01T15:05:00+09:00")
    refused = post(client, tokens, "postWeatherData", off_grid)
    assert refused.json["status"] == "INVALID_RESOLUTION", refused.json
    assert count_beliefs(db) == 0


def test_power_beyond_capacity_and_tolerance(app, client, tokens, station, db):
    huge = post(client, tokens, "postMeterData", power(station, [1, 1e300]))
    assert huge.status_code == 400
    assert huge.json["status"] == "POWER_VALUE_TOO_BIG"
    assert "capacity of 400 MW" in huge.json["message"]
    assert "±440 MW" in huge.json["message"]
    production = post(client, tokens, "postMeterData", power(station, [-441]))
    assert production.json["status"] == "POWER_VALUE_TOO_SMALL"
    assert count_beliefs(db) == 0
    within = post(client, tokens, "postMeterData", power(station, [440, -440]))
    assert within.status_code == 200, within.json
    app.config["FLEXMEASURES_CAPACITY_TOLERANCE"] = 0.0
    try:
        strict = post(
            client, tokens, "postMeterData", power(station, [401], "2015-01-02T00:00:00Z")
        )
    finally:
        app.config["FLEXMEASURES_CAPACITY_TOLERANCE"] = 0.1
    assert strict.json["status"] == "POWER_VALUE_TOO_BIG"
    assert "tolerance of 0%" in strict.json["message"]


def test_one_impossible_group_stores_nothing(client, tokens, station, users, db):
    other = make_asset(users["prosumer"], "CS 2", "charging_station", capacity_in_mw=1)
    message = power(station, [300, 300])
    del message["connection"]
    message["groups"] = [
        {"connection": address(station), "values": [300, 300]},
        {"connection": address(other), "values": [1, 300]},
    ]
    refused = post(client, tokens, "postMeterData", message)
    assert refused.json["status"] == "POWER_VALUE_TOO_BIG"
    assert "CS 2" in refused.json["message"]
    assert count_beliefs(db) == 0


@pytest.mark.parametrize(
    "sensor_type, unit, values, limit",
    [
        ("temperature", "°C", [20.0, -300.0], "absolute zero (-273.15 °C)"),
        ("wind_speed", "m/s", [4.2, -0.5], "0 m/s"),
    ],
)
def test_impossible_weather_is_refused(
    client, tokens, db, structure, sensor_type, unit, values, limit
):
    create_weather_sensor(
        name=f"{sensor_type} Jeju",
        weather_sensor_type_name=sensor_type,
        event_resolution=15,
        latitude=33.4843866,
        longitude=126.477859,
    )
    refused = post(
        client, tokens, "postWeatherData", weather(f"{sensor_type}:{JEJU}", values, unit)
    )
    assert refused.status_code == 400
    assert refused.json["status"] == "INVALID_REQUEST"
    assert limit in refused.json["message"]
    assert count_beliefs(db) == 0
    possible = [abs(v) for v in values]
    accepted = post(
        client, tokens, "postWeatherData", weather(f"{sensor_type}:{JEJU}", possible, unit)
    )
    assert accepted.status_code == 200, accepted.json


@pytest.mark.parametrize("service", ["postMeterData", "postPrognosis"])
def test_integers_too_large_for_a_float_are_refused(client, tokens, station, db, service):
    message = power(station, [1, 10**400], type=f"{service[0].upper()}{service[1:]}Request")
    refused = post(client, tokens, service, message)
    assert refused.status_code == 400, refused.json
    assert refused.json["status"] == "INVALID_REQUEST"
    assert "too large" in refused.json["message"]
    assert count_beliefs(db) == 0


def test_weather_for_a_location_without_a_sensor_names_the_nearest(client, tokens, db, structure):
    jeju = make_temperature_sensor()
    refused = post(client, tokens, "postWeatherData", weather("temperature:52.37:4.89", [5.0]))
    assert refused.status_code == 400
    assert refused.json["status"] == "UNRECOGNIZED_SENSOR"
    message = refused.json["message"]
    assert "nothing was stored" in message
    assert jeju.name in message
    assert f"ea1.2018-06.localhost:temperature:{JEJU}" in message
    assert count_beliefs(db) == 0
    assert db.session.scalar(select(func.count()).select_from(WeatherSensor)) == 1
    at_the_sensor = post(client, tokens, "postWeatherData", weather(f"temperature:{JEJU}", [5.0]))
    assert at_the_sensor.status_code == 200, at_the_sensor.json
