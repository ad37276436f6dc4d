"""``flexmeasures delete ...``: each deletes what it says (and no more), asks first unless
forced, and on bad input deletes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from flexmeasures.data.models import (
    Asset,
    AssetType,
    DataSource,
    Market,
    Role,
    Sensor,
    TimedBelief,
    User,
    WeatherSensorType,
)
from flexmeasures.data.services.assets import create_asset
from tests.cli.conftest import add_beliefs, assert_one_line_error, count

HOUR = timedelta(hours=1)
# Per sensor: 4 measurements (2 with horizon 0, 2 with horizon -15 minutes), 3 prognoses.
HORIZONS = {timedelta(0): 2, timedelta(minutes=-15): 2, HOUR: 3}


@pytest.fixture
def battery(db, structure, users) -> Asset:
    asset = create_asset(
        name="battery",
        asset_type_name="battery",
        capacity_in_mw=2,
        event_resolution=15,
        latitude=52,
        longitude=4,
        owner_id=users["prosumer"].id,
    )
    return asset


@pytest.fixture
def beliefs(db, battery, epex_da, script_source) -> None:
    """Measurements and prognoses on the battery and on the market (HORIZONS each)."""
    add_beliefs(db, battery.id, script_source.id, HORIZONS)
    add_beliefs(db, epex_da.id, script_source.id, HORIZONS)


def horizons_left(db, sensor_id: int) -> dict[timedelta, int]:
    """How many beliefs of the sensor remain, per belief horizon."""
    left: dict[timedelta, int] = {}
    for horizon in db.session.scalars(
        select(TimedBelief.belief_horizon).filter_by(sensor_id=sensor_id)
    ):
        left[horizon] = left.get(horizon, 0) + 1
    return left


def test_delete_measurements_keeps_prognoses(run_cli, db, beliefs, battery, epex_da):
    result = run_cli("delete", "measurements", "--force")
    assert result.exit_code == 0, result.output
    assert "Deleted 8 measurements." in result.output
    assert horizons_left(db, battery.id) == {HOUR: 3}
    assert horizons_left(db, epex_da.id) == {HOUR: 3}


def test_delete_prognoses_keeps_measurements(run_cli, db, beliefs, battery):
    result = run_cli("delete", "prognoses", "--force")
    assert result.exit_code == 0, result.output
    assert "Deleted 6 prognoses" in result.output
    assert horizons_left(db, battery.id) == {timedelta(0): 2, timedelta(minutes=-15): 2}


def test_delete_forecasts_is_the_seeds_name_for_prognoses(run_cli, db, beliefs):
    result = run_cli("delete", "forecasts", "--force")
    assert result.exit_code == 0, result.output
    assert "Deleted 6 prognoses" in result.output


def test_delete_measurements_of_one_asset_in_a_window(run_cli, db, beliefs, battery, epex_da):
    # Events start at 00:00, 00:15, 00:30 (UTC); the window holds the 00:15 ones only.
    result = run_cli(
        "delete", "measurements", "--asset-id", str(battery.id),
        "--from", "2021-01-01T01:15+01:00", "--until", "2021-01-01T00:30", "--force",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Deleted 2 measurements." in result.output
    assert horizons_left(db, battery.id) == {timedelta(0): 1, timedelta(minutes=-15): 1, HOUR: 3}
    assert sum(horizons_left(db, epex_da.id).values()) == 7


def test_delete_prognoses_of_one_sensor_from_a_date(run_cli, db, beliefs, battery, epex_da):
    result = run_cli("delete", "prognoses", "--sensor-id", str(epex_da.id), "--from", "2021-01-01",
                     "--force")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Deleted 3 prognoses" in result.output
    assert HOUR not in horizons_left(db, epex_da.id)
    assert horizons_left(db, battery.id)[HOUR] == 3


def test_delete_measurements_asks_first(run_cli, db, beliefs):
    refused = run_cli("delete", "measurements", input="n\n")
    assert refused.exit_code != 0
    assert "Delete all measurements?" in refused.output
    assert count(db, TimedBelief) == 14
    agreed = run_cli("delete", "measurements", input="y\n")
    assert agreed.exit_code == 0, agreed.output
    assert count(db, TimedBelief) == 6


@pytest.mark.parametrize("kind", ["measurements", "prognoses"])
def test_delete_beliefs_refuses_an_unknown_sensor_before_asking(run_cli, db, beliefs, kind):
    refused = run_cli("delete", kind, "--sensor-id", "99999", input="y\n")
    assert_one_line_error(refused, "no sensor (or asset) with id 99999")
    assert "Delete all" not in refused.output
    assert count(db, TimedBelief) == 14


@pytest.mark.parametrize(
    "options, fragments",
    [
        (["--sensor-id", "99999"], ["no sensor (or asset) with id 99999"]),
        (["--from", "yesterday"], ["--from", "ISO 8601"]),
        (["--from", "2021-02-01", "--until", "2021-01-01"], ["The window is empty"]),
    ],
)
@pytest.mark.parametrize("kind", ["measurements", "prognoses"])
def test_delete_beliefs_refuses_bad_selections(run_cli, db, beliefs, kind, options, fragments):
    assert_one_line_error(run_cli("delete", kind, *options, "--force"), *fragments)
    assert count(db, TimedBelief) == 14


def test_delete_user_with_their_assets_and_data(run_cli, db, users, beliefs, battery, epex_da):
    prosumer_id = users["prosumer"].id
    result = run_cli("delete", "user", "--email", "prosumer@seita.nl", "--force")
    assert result.exit_code == 0, result.output
    assert f"Deleted user prosumer@seita.nl (id {prosumer_id}), 1 assets and 7 beliefs" in (
        result.output
    )
    assert db.session.get(User, prosumer_id) is None
    assert db.session.get(Asset, battery.id) is None
    assert db.session.scalar(select(DataSource).filter_by(user_id=prosumer_id)) is None
    assert count(db, TimedBelief) == 7  # the market's
    assert db.session.get(User, users["other_prosumer"].id) is not None


def test_delete_user_asks_first(run_cli, db, users, beliefs):
    result = run_cli("delete", "user", "--email", "prosumer@seita.nl", input="n\n")
    assert result.exit_code != 0
    assert db.session.get(User, users["prosumer"].id) is not None
    assert count(db, TimedBelief) == 14


def test_delete_user_refuses_unknown_email(run_cli, db, users):
    result = run_cli("delete", "user", "--email", "nobody@seita.nl", "--force")
    assert_one_line_error(result, "no user with email nobody@seita.nl")
    assert count(db, User) == len(users)


def test_delete_structure_deletes_everything(run_cli, db, users, beliefs):
    result = run_cli("delete", "structure", "--force")
    assert result.exit_code == 0, result.output
    assert "beliefs: 14 deleted" in result.output
    assert f"users: {len(users)} deleted" in result.output
    for model in (TimedBelief, Sensor, Asset, Market, AssetType, WeatherSensorType, DataSource):
        assert count(db, model) == 0, model
    assert count(db, User) == count(db, Role) == 0


def test_delete_structure_asks_first(run_cli, db, users, beliefs):
    result = run_cli("delete", "structure", input="n\n")
    assert result.exit_code != 0
    assert "Aborted" in result.output
    assert count(db, TimedBelief) == 14
    assert count(db, User) == len(users)


def test_delete_structure_refuses_unknown_options(run_cli, db, structure):
    assert_one_line_error(run_cli("delete", "structure", "--everything"), "--everything")
    assert count(db, AssetType) > 0
