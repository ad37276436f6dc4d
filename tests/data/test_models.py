"""The data model: sensors share ids with assets, markets and weather sensors; beliefs keep
forecasts and measurements of one event apart; uniqueness rules hold."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from flexmeasures.data.models import Asset, DataSource, Market, Sensor, TimedBelief, WeatherSensor
from tests.factories import make_asset, make_temperature_sensor


def make_battery(db, owner, name="battery 1") -> Asset:
    return make_asset(owner, name)


def test_database_refuses_a_second_asset_name_per_owner(db, structure, users):
    """Beyond the services' check: the unique constraint holds for any writer."""
    make_battery(db, users["prosumer"], "shared name")
    duplicate = Asset(
        name="shared name",
        asset_type_name="battery",
        capacity_in_mw=1,
        latitude=52,
        longitude=4,
        owner_id=users["prosumer"].id,
        event_resolution=timedelta(minutes=15),
    )
    with pytest.raises(IntegrityError):
        with db.session.begin_nested():
            db.session.add(duplicate)
            db.session.flush()


def test_every_asset_market_and_weather_sensor_is_a_sensor(db, structure, users):
    asset = make_battery(db, users["prosumer"])
    sensor = make_temperature_sensor(52, 4)
    market = db.session.scalar(select(Market).filter_by(name="epex_da"))
    ids = {asset.id, sensor.id, market.id}
    assert len(ids) == 3
    by_id = {s.id: s for s in db.session.scalars(select(Sensor).where(Sensor.id.in_(ids)))}
    assert isinstance(by_id[asset.id], Asset)
    assert isinstance(by_id[sensor.id], WeatherSensor)
    assert by_id[market.id].unit == "EUR/MWh"


def test_asset_names_are_unique_per_owner(db, structure, users):
    make_battery(db, users["prosumer"], "shared name")
    make_battery(db, users["other_prosumer"], "shared name")  # another owner: fine
    with pytest.raises(ValueError, match="already"):
        make_battery(db, users["prosumer"], "shared name")


def test_forecast_and_measurement_of_one_event_are_both_kept(db, structure, users):
    asset = make_battery(db, users["prosumer"])
    source = db.session.scalar(select(DataSource).filter_by(user_id=users["mdc"].id))
    start = datetime(2021, 1, 1, tzinfo=UTC)
    for horizon, value in ((timedelta(hours=6), 1.0), (timedelta(0), 1.5)):
        db.session.add(
            TimedBelief(
                sensor_id=asset.id,
                event_start=start,
                belief_horizon=horizon,
                source_id=source.id,
                event_value=value,
            )
        )
    db.session.flush()
    beliefs = db.session.scalars(select(TimedBelief).filter_by(sensor_id=asset.id)).all()
    assert sorted(b.event_value for b in beliefs) == [1.0, 1.5]
    assert all(b.event_start == start and b.event_start.tzinfo is not None for b in beliefs)


def test_deleting_an_asset_deletes_its_beliefs(db, structure, users):
    asset = make_battery(db, users["prosumer"])
    source = db.session.scalar(select(DataSource).filter_by(user_id=users["mdc"].id))
    db.session.add(
        TimedBelief(
            sensor_id=asset.id,
            event_start=datetime(2021, 1, 1, tzinfo=UTC),
            belief_horizon=timedelta(0),
            source_id=source.id,
            event_value=3.0,
        )
    )
    db.session.flush()
    db.session.delete(asset)
    db.session.flush()
    assert db.session.scalars(select(TimedBelief).filter_by(sensor_id=asset.id)).all() == []
