"""Play mode (FLEXMEASURES_MODE = "play"), the mode for simulations: restoreData resets the
server to a backup, re-posted beliefs overwrite, recording times are right after each event,
weather sensors appear where data is posted, connections go by their unique names, and
prices and weather trigger no forecasts.

The routes of an app are fixed when it is created, so these tests run on a play-mode twin
of the session's app (same database, same per-test transaction).
"""

from __future__ import annotations

import functools
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from flexmeasures.app import create_app
from flexmeasures.data.models import Asset, Market, TimedBelief, WeatherSensor
from flexmeasures.data.services.backup import save_backup
from flexmeasures.data.services.forecast_triggers import sensors_to_forecast
from tests.factories import make_temperature_sensor

VERSIONS_WITH_RESTORE = ["v1_1", "v1_2", "v1_3", "v2_0"]
START = "2015-01-01T00:00:00Z"
VALUES = [306.66, 306.66, 0, 0, 306.66, 306.66]


@functools.cache
def app_in_mode(database_uri: str, mode: str) -> Flask:
    """A testing app on this database, in this FLEXMEASURES_MODE (built once per run)."""
    return create_app(
        "testing",
        settings={
            "SQLALCHEMY_DATABASE_URI": database_uri,
            "FLEXMEASURES_MODE": mode,
            "SERVER_NAME": "localhost",
        },
    )


@pytest.fixture(scope="module")
def app(app: Flask) -> Flask:
    """The session's app in play mode."""
    return app_in_mode(app.config["SQLALCHEMY_DATABASE_URI"], "play")


@pytest.fixture(scope="module")
def normal_app(app: Flask) -> Flask:
    """The session's app in the default mode, for contrast."""
    return app_in_mode(app.config["SQLALCHEMY_DATABASE_URI"], "")


@pytest.fixture
def backups(app: Flask, tmp_path: Path, monkeypatch) -> Path:
    """An empty backup folder, configured as FLEXMEASURES_DB_BACKUP_PATH."""
    monkeypatch.setitem(app.config, "FLEXMEASURES_DB_BACKUP_PATH", str(tmp_path))
    return tmp_path


@pytest.fixture
def assets(db, structure, users) -> dict[str, Asset]:
    """Two charging stations of the prosumer, with display names unlike their names."""
    made = {
        name: Asset(
            name=name,
            display_name=f"Charging station {name[-1]}",
            asset_type_name="charging_station",
            capacity_in_mw=400,  # the seed examples post 306.66 MW
            latitude=52,
            longitude=4,
            owner=users["prosumer"],
            unit="MW",
            event_resolution=timedelta(minutes=15),
        )
        for name in ("cs-1", "cs-2")
    }
    db.session.add_all(made.values())
    db.session.flush()
    return made


def auth(tokens, user: str = "mdc") -> dict[str, str]:
    return {"Authorization": tokens[user]}


def address(asset: Asset) -> str:
    return f"ea1.2018-06.localhost:{asset.owner_id}:{asset.id}"


def meter_data(asset: Asset, values=VALUES, start: str = START) -> dict:
    return {
        "type": "PostMeterDataRequest",
        "connection": address(asset),
        "values": values,
        "start": start,
        "duration": f"PT{15 * len(values)}M",
        "unit": "MW",
    }


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def restore(client, tokens, body, version: str = "v1_1", user: str = "admin"):
    return client.put(f"/api/{version}/restoreData", json=body, headers=auth(tokens, user))


# restoreData: which servers and versions have it, and who may use it


@pytest.mark.parametrize("version", VERSIONS_WITH_RESTORE)
def test_restore_data_exists_in_play_mode_from_v1_1_on(client, tokens, version):
    response = restore(client, tokens, {}, version)
    assert response.status_code == 400  # the route exists (and asks for a backup)
    assert response.json["type"] == "RestoreDataResponse"
    listed = client.get(f"/api/{version}/getService").json["services"]
    assert {"name": "restoreData", "access": []} == {
        k: v
        for k, v in next(s for s in listed if s["name"] == "restoreData").items()
        if k != "description"
    }


def test_restore_data_is_not_in_v1(client, tokens):
    response = restore(client, tokens, {"backup": "demo_v0"}, "v1")
    assert response.status_code == 404
    assert response.json["status"] == "UNKNOWN_ROUTE"


@pytest.mark.parametrize("version", VERSIONS_WITH_RESTORE)
def test_restore_data_does_not_exist_outside_play_mode(normal_app, version):
    client = normal_app.test_client()
    response = client.put(f"/api/{version}/restoreData", json={"backup": "demo_v0"})
    assert response.status_code == 404
    assert response.json["status"] == "UNKNOWN_ROUTE"
    listed = client.get(f"/api/{version}/getService").json["services"]
    assert "restoreData" not in {s["name"] for s in listed}


def test_restore_data_is_for_admins_only(client, tokens, backups, db):
    as_prosumer = restore(client, tokens, {"backup": "demo_v0"}, user="prosumer")
    assert as_prosumer.status_code == 403
    assert as_prosumer.json["status"] == "INVALID_SENDER"
    anonymous = client.put("/api/v1_1/restoreData", json={"backup": "demo_v0"})
    assert anonymous.status_code == 401
    assert anonymous.json["status"] == "UNAUTHORIZED"


# restoreData: statuses and effects


@pytest.mark.parametrize("body", [{}, {"backup": ""}, {"backup": None}])
def test_no_backup(client, tokens, backups, body):
    response = restore(client, tokens, body)
    assert response.status_code == 400
    assert response.json["status"] == "NO_BACKUP"
    assert response.json["message"] == "Request message should include 'backup'."


@pytest.mark.parametrize("name", ["demo_v9", "../demo_v0", "demo_v0/..", 5, ["demo_v0"]])
def test_unrecognized_backup(client, tokens, backups, db, name):
    save_backup("demo_v0", backups)
    response = restore(client, tokens, {"backup": name})
    assert response.status_code == 400
    assert response.json["status"] == "UNRECOGNIZED_BACKUP"
    assert response.json["message"].startswith("The requested backup is not known.")
    assert "demo_v0" in response.json["message"]  # names the backups there are


def test_restoring_a_backup_without_data_clears_all_data(client, tokens, assets, backups, db):
    save_backup("demo_v0", backups, data=False)
    client.post("/api/v1_3/postMeterData", json=meter_data(assets["cs-1"]), headers=auth(tokens))
    assert count(db, TimedBelief) == 6
    response = restore(client, tokens, {"backup": "demo_v0"})
    assert response.status_code == 200, response.json
    assert response.json["type"] == "RestoreDataResponse"
    assert response.json["status"] == "PROCESSED"
    assert count(db, TimedBelief) == 0
    assert {a.name for a in db.session.scalars(select(Asset))} == {"cs-1", "cs-2"}


def test_restoring_replaces_everything_by_the_backup(client, tokens, assets, backups, db, users):
    client.post("/api/v1_3/postMeterData", json=meter_data(assets["cs-1"]), headers=auth(tokens))
    save_backup("with_data", backups)
    later = meter_data(assets["cs-2"], start="2015-01-02T00:00:00Z")
    client.post("/api/v1_3/postMeterData", json=later, headers=auth(tokens))
    db.session.add(
        Asset(
            name="cs-3",
            asset_type_name="charging_station",
            capacity_in_mw=1,
            latitude=52,
            longitude=4,
            owner=users["prosumer"],
            unit="MW",
            event_resolution=timedelta(minutes=15),
        )
    )
    db.session.flush()
    response = restore(client, tokens, {"backup": "with_data"}, "v2_0")
    assert response.status_code == 200, response.json
    stored = db.session.scalars(select(TimedBelief.sensor_id)).all()
    assert stored == [assets["cs-1"].id] * 6
    assert {a.name for a in db.session.scalars(select(Asset))} == {"cs-1", "cs-2"}
    # the restored server is usable: the admin's token still works, new ids do not clash
    assert restore(client, tokens, {"backup": "with_data"}).status_code == 200
    assert (
        client.post("/api/v1_3/postMeterData", json=later, headers=auth(tokens)).status_code == 200
    )


def broken_header(backup: Path) -> None:
    (backup / "market_type.csv").write_text("name,colour\nintraday,blue\n")


def missing_parents(backup: Path) -> None:
    for csv_file in backup.glob("*.csv"):
        if csv_file.name != "asset.csv":
            csv_file.unlink()


@pytest.mark.parametrize("break_backup", [broken_header, missing_parents])
def test_a_broken_backup_changes_nothing(client, tokens, assets, backups, db, break_backup):
    client.post("/api/v1_3/postMeterData", json=meter_data(assets["cs-1"]), headers=auth(tokens))
    break_backup(save_backup("broken", backups))
    response = restore(client, tokens, {"backup": "broken"})
    assert response.status_code == 400, response.json
    assert response.json["status"] == "INVALID_BACKUP"
    assert "nothing was changed" in response.json["message"]
    assert count(db, TimedBelief) == 6
    assert count(db, Asset) == 2


# Beliefs in play mode


def test_reposting_overwrites_existing_beliefs(client, tokens, assets, db):
    cs1 = assets["cs-1"]
    assert (
        client.post(
            "/api/v1_3/postMeterData", json=meter_data(cs1), headers=auth(tokens)
        ).status_code
        == 200
    )
    new_values = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    again = client.post(
        "/api/v1_3/postMeterData", json=meter_data(cs1, new_values), headers=auth(tokens)
    )
    assert again.status_code == 200, again.json
    assert count(db, TimedBelief) == 6
    got = client.get(
        "/api/v1_3/getMeterData",
        query_string={
            "connection": address(cs1),
            "start": START,
            "duration": "PT1H30M",
            "unit": "MW",
        },
        headers=auth(tokens, "prosumer"),
    )
    assert got.json["values"] == new_values


def test_reposting_is_refused_outside_play_mode(normal_app, tokens, assets, db):
    client = normal_app.test_client()  # shares the test's transaction (see the db fixture)
    message = meter_data(assets["cs-1"])
    assert (
        client.post("/api/v1_3/postMeterData", json=message, headers=auth(tokens)).status_code
        == 200
    )
    again = client.post(
        "/api/v1_3/postMeterData", json=meter_data(assets["cs-1"], [1.0] * 6), headers=auth(tokens)
    )
    assert again.status_code == 400
    assert again.json["status"] == "ALREADY_RECEIVED_AND_SUCCESSFULLY_PROCESSED"
    assert set(db.session.scalars(select(TimedBelief.event_value))) == set(VALUES)


@pytest.mark.parametrize("version", ["v1_3", "v2_0"])
def test_recording_time_is_right_after_each_event(client, tokens, assets, db, version):
    response = client.post(
        f"/api/{version}/postMeterData", json=meter_data(assets["cs-1"]), headers=auth(tokens)
    )
    assert response.status_code == 200, response.json
    assert set(db.session.scalars(select(TimedBelief.belief_horizon))) == {timedelta(0)}


def weather_message(lat: float, lng: float) -> dict:
    return {
        "type": "PostWeatherDataRequest",
        "sensor": f"ea1.2018-06.localhost:temperature:{lat}:{lng}",
        "values": [20.04, 20.23, 20.41, 20.51],
        "start": "2021-01-01T15:00:00+09:00",
        "duration": "PT1H",
        "unit": "°C",
    }


def test_weather_for_a_new_location_creates_a_sensor_there(client, tokens, db, structure):
    make_temperature_sensor()
    for _ in range(2):
        response = client.post(
            "/api/v2_0/postWeatherData", json=weather_message(33.5, 126.5), headers=auth(tokens)
        )
        assert response.status_code == 200, response.json
    created = db.session.scalars(select(WeatherSensor).filter_by(latitude=33.5)).one()
    assert (created.longitude, created.weather_sensor_type_name) == (126.5, "temperature")
    assert set(db.session.scalars(select(TimedBelief.sensor_id))) == {created.id}
    assert count(db, WeatherSensor) == 2


def test_connections_are_named_by_their_unique_names(client, tokens, assets):
    response = client.get("/api/v1_1/getConnection", headers=auth(tokens, "prosumer"))
    assert response.status_code == 200
    assert response.json["names"] == ["cs-2", "cs-1"]


def test_no_forecasts_for_prices_and_weather_in_play_mode(app, normal_app, assets, db):
    market = db.session.scalars(select(Market)).first()
    weather = WeatherSensor(
        name="wind Amsterdam",
        weather_sensor_type_name="wind_speed",
        latitude=52.37,
        longitude=4.9,
        unit="m/s",
        event_resolution=timedelta(minutes=15),
    )
    sensors = [assets["cs-1"], market, weather]
    assert sensors_to_forecast(sensors) == [assets["cs-1"]]
    with normal_app.app_context():
        assert sensors_to_forecast(sensors) == sensors
