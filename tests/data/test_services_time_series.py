"""Deleting beliefs, users and the whole structure in bulk: exactly what is asked, counted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from flexmeasures.data.models import DataSource, Market, Sensor, TimedBelief, User
from flexmeasures.data.services.assets import create_asset
from flexmeasures.data.services.structure import delete_structure
from flexmeasures.data.services.time_series import InvalidSelectionError, delete_beliefs
from flexmeasures.data.services.users import delete_user

START = datetime(2021, 1, 1, tzinfo=UTC)


def add_belief(db, sensor_id: int, source_id: int, horizon_minutes: int, offset_hours: int = 0):
    db.session.add(
        TimedBelief(
            sensor_id=sensor_id,
            source_id=source_id,
            event_start=START + timedelta(hours=offset_hours),
            belief_horizon=timedelta(minutes=horizon_minutes),
            event_value=1.0,
        )
    )
    db.session.flush()


def number_of_beliefs(db) -> int:
    return db.session.scalar(select(func.count()).select_from(TimedBelief))


@pytest.fixture
def market_and_source(db, structure, users) -> tuple[int, int, int]:
    """(market id, script source id, prosumer's source id)"""
    market = db.session.scalar(select(Market).filter_by(name="epex_da"))
    script = db.session.scalar(select(DataSource.id).filter_by(type="script"))
    prosumer = db.session.scalar(select(DataSource.id).filter_by(user_id=users["prosumer"].id))
    return market.id, script, prosumer


def test_horizon_zero_is_a_measurement(db, market_and_source):
    market, source, _ = market_and_source
    for horizon in (-15, 0, 1):
        add_belief(db, market, source, horizon)
    assert delete_beliefs(measurements=True) == 2
    assert delete_beliefs(measurements=False) == 1
    assert number_of_beliefs(db) == 0


def test_window_is_start_inclusive_and_end_exclusive(db, market_and_source):
    market, source, _ = market_and_source
    for offset in range(4):
        add_belief(db, market, source, 0, offset)
    deleted = delete_beliefs(True, market, START + timedelta(hours=1), START + timedelta(hours=3))
    assert deleted == 2
    assert number_of_beliefs(db) == 2


def test_naive_datetimes_are_refused(db, market_and_source):
    with pytest.raises(InvalidSelectionError, match="no time zone"):
        delete_beliefs(True, start=datetime(2021, 1, 1))


def test_delete_user_counts_beliefs_on_their_assets_and_from_their_source(
    db, users, market_and_source
):
    market, script, prosumer_source = market_and_source
    asset = create_asset(
        name="pv", asset_type_name="solar", capacity_in_mw=1, event_resolution=15, latitude=1,
        longitude=1, owner_id=users["prosumer"].id,
    )  # fmt: skip
    add_belief(db, asset.id, script, 0)
    add_belief(db, market, prosumer_source, 0)  # a price the prosumer sent
    add_belief(db, market, script, 0)
    assert delete_user(users["prosumer"]) == {"assets": 1, "beliefs": 2}
    assert number_of_beliefs(db) == 1
    assert db.session.get(User, users["other_prosumer"].id) is not None


def test_delete_structure_empties_every_structural_table(db, users, market_and_source):
    market, source, _ = market_and_source
    add_belief(db, market, source, 0)
    deleted = delete_structure()
    assert deleted["beliefs"] == 1
    assert deleted["users"] == len(users)
    assert deleted["sensors"] == 1  # the market is a sensor too
    assert deleted["asset types"] == 8
    assert db.session.scalar(select(func.count()).select_from(Sensor)) == 0
