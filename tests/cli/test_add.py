"""``flexmeasures add ...``: what the quickstart relies on, and refusals of bad input that
write nothing."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask_security.utils import verify_password
from sqlalchemy import select

from flexmeasures.cli.groups import add_group, delete_group
from flexmeasures.data.models import (
    Asset,
    AssetType,
    Market,
    MarketType,
    User,
    WeatherSensor,
    WeatherSensorType,
)
from tests.cli.conftest import assert_one_line_error, count

QUICKSTART_ASSET = [
    "add", "asset", "--name", "my basement battery pack", "--asset-type-name", "battery",
    "--capacity-in-MW", "30", "--event-resolution", "2", "--latitude", "65",
    "--longitude", "123.76",
]  # fmt: skip
QUICKSTART_WEATHER_SENSOR = [
    "add", "weather-sensor", "--name", "my rooftop thermometer",
    "--weather-sensor-type-name", "temperature", "--unit", "°C", "--event-resolution", "15",
    "--latitude", "33", "--longitude", "2.4",
]  # fmt: skip
PASSWORD_TWICE = "very-secret\nvery-secret\n"


def new_id(output: str) -> int:
    """The id the command reported for what it created."""
    return int(re.search(r"with id (\d+)", output).group(1))


def test_help_lists_add_and_delete(run_cli):
    result = run_cli("--help")
    assert result.exit_code == 0
    assert re.search(r"^\s+add\s", result.output, re.MULTILINE)
    assert re.search(r"^\s+delete\s", result.output, re.MULTILINE)


@pytest.mark.parametrize(
    "group, command",
    [(group, name) for group in (add_group, delete_group) for name in group.list_commands(None)],
)
def test_every_command_has_help_with_an_example(run_cli, group, command):
    result = run_cli(group.name, command, "--help")
    assert result.exit_code == 0, result.output
    example = re.search(r"Example:\n\s+(flexmeasures [\w-]+ [\w-]+)", result.output)
    assert example and example.group(1) == f"flexmeasures {group.name} {command}"


def test_add_structure_adds_the_standard_structure_once(run_cli, db):
    result = run_cli("add", "structure")
    assert result.exit_code == 0, result.output
    assert "asset types: 8 added" in result.output
    assert "ea1.2018-06.localhost:epex_da" in result.output
    asset_types = set(db.session.scalars(select(AssetType.name)))
    assert {"solar", "wind", "battery", "one-way_evse", "two-way_evse"} <= asset_types
    assert {"charging_station", "building"} <= asset_types
    assert set(db.session.scalars(select(MarketType.name))) == {"day_ahead", "tou_tariff"}
    assert set(db.session.scalars(select(WeatherSensorType.name))) == {
        "temperature",
        "wind_speed",
        "radiation",
    }
    market = db.session.scalar(select(Market).filter_by(name="epex_da"))
    assert (market.unit, market.market_type_name) == ("EUR/MWh", "day_ahead")

    again = run_cli("add", "structure")
    assert again.exit_code == 0
    assert "nothing was added" in again.output
    assert count(db, Market) == 1


def test_add_structure_refuses_unknown_options(run_cli, db):
    result = run_cli("add", "structure", "--with-demo-data")
    assert_one_line_error(result, "--with-demo-data")
    assert count(db, AssetType) == 0


def test_add_user_asks_password_twice_and_prints_the_id(run_cli, db):
    result = run_cli(
        "add", "user", "--username", "me", "--email", "me@example.com", "--roles", "admin,MDC",
        input=PASSWORD_TWICE,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.output.count("Password") == 1 and "Repeat for confirmation" in result.output
    user = db.session.scalar(select(User).filter_by(email="me@example.com"))
    assert f"Successfully created user me (me@example.com) with id {user.id}" in result.output
    assert {role.name for role in user.roles} == {"admin", "MDC"}
    assert user.password != "very-secret" and verify_password("very-secret", user.password)


def test_add_user_refuses_unknown_role(run_cli, db):
    result = run_cli(
        "add", "user", "--username", "me", "--email", "me@example.com", "--roles", "boss",
        input=PASSWORD_TWICE,
    )  # fmt: skip
    assert_one_line_error(result, "Unknown role 'boss'", "admin", "Prosumer", "MDC")
    assert count(db, User) == 0


def test_add_user_refuses_a_taken_email(run_cli, db, users):
    result = run_cli(
        "add", "user", "--username", "new", "--email", "prosumer@seita.nl", input=PASSWORD_TWICE
    )
    assert_one_line_error(result, "prosumer@seita.nl already exists")
    assert count(db, User) == len(users)


@pytest.mark.parametrize(
    "options, fragment",
    [
        (["--email", "not-an-email"], "Invalid email address"),
        (["--email", "prosumer@seita.nl"], "already exists"),
        (["--email", "me@example.com", "--roles", "boss"], "Unknown role 'boss'"),
        (["--email", "me@example.com", "--timezone", "Mars/Base"], "Unknown time zone"),
    ],
)
def test_add_user_refuses_bad_input_before_asking_for_the_password(
    run_cli, db, users, options, fragment
):
    result = run_cli("add", "user", "--username", "new", *options, input=PASSWORD_TWICE)
    assert_one_line_error(result, fragment)
    assert "Password" not in result.output
    assert count(db, User) == len(users)


def test_add_user_with_mismatching_passwords_writes_nothing(run_cli, db):
    result = run_cli(
        "add", "user", "--username", "me", "--email", "me@example.com", input="one-pass\ntwo-pass\n"
    )
    assert result.exit_code != 0
    assert "do not match" in result.output
    assert count(db, User) == 0


def test_add_asset_as_in_the_quickstart(app, run_cli, db, structure, users, epex_da):
    owner_id = users["admin"].id
    result = run_cli(*QUICKSTART_ASSET, "--owner-id", str(owner_id))
    assert result.exit_code == 0, result.output
    asset = db.session.get(Asset, new_id(result.output))
    assert asset.name == "my basement battery pack"
    assert (asset.asset_type_name, asset.capacity_in_mw) == ("battery", 30)
    assert asset.event_resolution == timedelta(minutes=2)
    assert (asset.latitude, asset.longitude, asset.owner_id) == (65, 123.76, owner_id)
    assert asset.market_id == epex_da.id  # the dummy market, as no --market-id was given
    assert (asset.unit, asset.timezone) == ("MW", app.config["FLEXMEASURES_TIMEZONE"])
    assert f"ea1.2018-06.localhost:{owner_id}:{asset.id}" in result.output


def test_add_asset_with_all_options(run_cli, db, structure, users):
    market = run_cli("add", "market", "--name", "kpx_da", "--market-type-name", "day_ahead",
                     "--unit", "KRW/kWh")  # fmt: skip
    result = run_cli(
        *QUICKSTART_ASSET, "--owner-id", str(users["prosumer"].id),
        "--market-id", str(new_id(market.output)), "--display-name", "Basement battery",
        "--unit", "kW", "--min-soc-in-mwh", "1", "--max-soc-in-mwh", "20",
        "--timezone", "Europe/Amsterdam",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    asset = db.session.get(Asset, new_id(result.output))
    assert asset.market.name == "kpx_da"
    assert (asset.display_name, asset.unit, asset.timezone) == (
        "Basement battery",
        "kW",
        "Europe/Amsterdam",
    )
    assert (asset.min_soc_in_mwh, asset.max_soc_in_mwh) == (1, 20)
    assert "state of charge" not in result.output  # no reminder: the limits are set


@pytest.mark.parametrize(
    "options, fragments",
    [
        (["--asset-type-name", "batery"], ["Unknown asset type 'batery'", "battery, "]),
        (["--owner-id", "9999"], ["no user with id 9999"]),
        (["--market-id", "9999"], ["no market with id 9999", "(epex_da)"]),
        (["--latitude", "91"], ["--latitude"]),
        (["--longitude", "-181"], ["--longitude"]),
        (["--event-resolution", "0"], ["--event-resolution"]),
        (["--unit", "GW"], ["Unknown asset unit 'GW'", "MW, kW"]),
        (["--min-soc-in-mwh", "5", "--max-soc-in-mwh", "4"], ["must not exceed"]),
        (["--timezone", "Mars/Olympus"], ["Unknown time zone 'Mars/Olympus'"]),
    ],
)
def test_add_asset_refuses_bad_input(run_cli, db, structure, users, options, fragments):
    args = [*QUICKSTART_ASSET, "--owner-id", str(users["admin"].id), *options]
    assert_one_line_error(run_cli(*args), *fragments)
    assert count(db, Asset) == 0


def test_asset_names_are_unique_per_owner(run_cli, db, structure, users):
    assert run_cli(*QUICKSTART_ASSET, "--owner-id", str(users["prosumer"].id)).exit_code == 0
    again = run_cli(*QUICKSTART_ASSET, "--owner-id", str(users["prosumer"].id))
    assert_one_line_error(again, "already owns an asset named 'my basement battery pack'")
    other_owner = run_cli(*QUICKSTART_ASSET, "--owner-id", str(users["other_prosumer"].id))
    assert other_owner.exit_code == 0, other_owner.output
    assert count(db, Asset) == 2


def test_add_asset_before_the_structure_says_how_to_add_it(run_cli, db, users):
    result = run_cli(*QUICKSTART_ASSET, "--owner-id", str(users["admin"].id))
    assert_one_line_error(result, "flexmeasures add structure")


def test_add_weather_sensor_as_in_the_quickstart(run_cli, db, structure):
    result = run_cli(*QUICKSTART_WEATHER_SENSOR)
    assert result.exit_code == 0, result.output
    sensor = db.session.get(WeatherSensor, new_id(result.output))
    assert (sensor.name, sensor.weather_sensor_type_name) == (
        "my rooftop thermometer",
        "temperature",
    )
    assert (sensor.unit, sensor.event_resolution) == ("°C", timedelta(minutes=15))
    assert (sensor.latitude, sensor.longitude) == (33, 2.4)
    assert "ea1.2018-06.localhost:temperature:33:2.4" in result.output


@pytest.mark.parametrize(
    "options, fragments",
    [
        (
            ["--weather-sensor-type-name", "humidity"],
            ["Unknown weather sensor type 'humidity'", "radiation, temperature, wind_speed"],
        ),
        (["--unit", "K"], ["Unit 'K'", "°C"]),
        (["--latitude", "-90.5"], ["--latitude"]),
    ],
)
def test_add_weather_sensor_refuses_bad_input(run_cli, db, structure, options, fragments):
    assert_one_line_error(run_cli(*QUICKSTART_WEATHER_SENSOR, *options), *fragments)
    assert count(db, WeatherSensor) == 0


def test_one_weather_sensor_per_type_and_location(run_cli, db, structure):
    assert run_cli(*QUICKSTART_WEATHER_SENSOR).exit_code == 0
    twin = run_cli(*QUICKSTART_WEATHER_SENSOR[:3], "thermometer 2", *QUICKSTART_WEATHER_SENSOR[4:])
    assert_one_line_error(twin, "temperature sensor at latitude 33.0, longitude 2.4 already exists")
    wind = run_cli(
        *QUICKSTART_WEATHER_SENSOR[:3], "anemometer", "--weather-sensor-type-name", "wind_speed",
        "--event-resolution", "15", "--latitude", "33", "--longitude", "2.4",
    )  # fmt: skip
    assert wind.exit_code == 0, wind.output
    assert db.session.get(WeatherSensor, new_id(wind.output)).unit == "m/s"  # the type's unit
    assert count(db, WeatherSensor) == 2


def test_add_market(run_cli, db, structure):
    result = run_cli("add", "market", "--name", "kpx_da", "--market-type-name", "day_ahead",
                     "--unit", "KRW/kWh", "--display-name", "KPX day-ahead")  # fmt: skip
    assert result.exit_code == 0, result.output
    market = db.session.get(Market, new_id(result.output))
    assert (market.name, market.display_name, market.unit) == ("kpx_da", "KPX day-ahead", "KRW/kWh")
    assert market.event_resolution == timedelta(hours=1)
    assert "ea1.2018-06.localhost:kpx_da" in result.output


@pytest.mark.parametrize(
    "name, market_type, fragments",
    [
        ("kpx_da", "intraday", ["Unknown market type 'intraday'", "day_ahead, tou_tariff"]),
        ("epex_da", "day_ahead", ["market named 'epex_da' already exists"]),
        ("kpx da", "day_ahead", ["Invalid market name 'kpx da'"]),
    ],
)
def test_add_market_refuses_bad_input(run_cli, db, structure, name, market_type, fragments):
    before = count(db, Market)
    result = run_cli(
        "add", "market", "--name", name, "--market-type-name", market_type, "--unit", "EUR/MWh"
    )
    assert_one_line_error(result, *fragments)
    assert count(db, Market) == before


def test_add_user_joins_an_account_or_gets_their_own(run_cli, db):
    first = run_cli(
        "add", "user", "--username", "ann", "--email", "ann@example.com", "--password",
        "very-secret",
    )  # fmt: skip
    assert first.exit_code == 0, first.output
    ann = db.session.scalar(select(User).filter_by(email="ann@example.com"))
    assert ann.account.name == "ann"
    second = run_cli(
        "add", "user", "--username", "bob", "--email", "bob@example.com", "--password",
        "very-secret", "--account-id", str(ann.account_id),
    )  # fmt: skip
    assert second.exit_code == 0, second.output
    bob = db.session.scalar(select(User).filter_by(email="bob@example.com"))
    assert bob.account_id == ann.account_id
    unknown = run_cli(
        "add", "user", "--username", "cy", "--email", "cy@example.com", "--password",
        "very-secret", "--account-id", "999999",
    )  # fmt: skip
    assert_one_line_error(unknown, "There is no account with id 999999")
