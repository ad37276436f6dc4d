"""Creating assets, weather sensors and markets through the services the CLI and API share."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete

from flexmeasures.data.models import Market
from flexmeasures.data.services.assets import (
    InvalidAssetError,
    create_asset,
    create_market,
    create_weather_sensor,
)


def battery_fields(owner_id: int, **changes) -> dict:
    fields = dict(
        name="battery",
        asset_type_name="battery",
        capacity_in_mw=2,
        event_resolution=15,
        latitude=52,
        longitude=4,
        owner_id=owner_id,
    )
    return {**fields, **changes}


def test_event_resolution_in_minutes_or_as_timedelta(db, structure, users):
    owner = users["prosumer"].id
    in_minutes = create_asset(**battery_fields(owner, name="a", event_resolution=5))
    as_timedelta = create_asset(
        **battery_fields(owner, name="b", event_resolution=timedelta(minutes=5))
    )
    assert in_minutes.event_resolution == as_timedelta.event_resolution == timedelta(minutes=5)
    assert in_minutes.display_name == "a"


def test_asset_without_market_when_there_is_no_dummy_market(db, structure, users):
    db.session.execute(delete(Market.__table__))
    asset = create_asset(**battery_fields(users["prosumer"].id))
    assert asset.market is None


@pytest.mark.parametrize(
    "changes, message",
    [
        (dict(name="  "), "needs a name"),
        (dict(name="x" * 81), "too long"),
        (dict(capacity_in_mw=-1), "capacity_in_mw must be a non-negative number"),
        (dict(capacity_in_mw=float("nan")), "capacity_in_mw must be a non-negative number"),
        (dict(min_soc_in_mwh=-1), "min_soc_in_mwh must be a non-negative number"),
        (dict(event_resolution=timedelta(0)), "must lie between 1 and 1,440 minutes"),
        (dict(event_resolution=10**9), "must lie between 1 and 1,440 minutes"),
        (dict(event_resolution=10**400), "must lie between 1 and 1,440 minutes"),
        (dict(event_resolution=timedelta(days=2)), "must lie between 1 and 1,440 minutes"),
        (dict(latitude=90.5), "Latitude 90.5 is out of range"),
        (dict(longitude=180.5), "Longitude 180.5 is out of range"),
    ],
)
def test_invalid_assets_are_refused_with_a_reason(db, structure, users, changes, message):
    with pytest.raises(InvalidAssetError, match=message) as error:
        create_asset(**battery_fields(users["prosumer"].id, **changes))
    assert isinstance(error.value, ValueError)  # what the CLI and API turn into user errors


def test_weather_sensor_unit_defaults_to_its_types(db, structure):
    sensor = create_weather_sensor(
        name="sun",
        weather_sensor_type_name="radiation",
        event_resolution=60,
        latitude=1,
        longitude=2,
    )
    assert sensor.unit == "kW/m²"
    with pytest.raises(InvalidAssetError, match="already exists"):
        create_weather_sensor(
            name="sun", weather_sensor_type_name="temperature", event_resolution=60, latitude=3,
            longitude=4,
        )  # fmt: skip


def test_market_needs_a_unit(db, structure):
    with pytest.raises(InvalidAssetError, match="needs a unit"):
        create_market(name="kpx_da", market_type_name="day_ahead", unit=" ")
    market = create_market(name="kpx_da", market_type_name="tou_tariff", unit="KRW/kWh")
    assert market.event_resolution == timedelta(hours=1)
