"""Asset types with a storage scheduler, and what their type means for the problem."""

from __future__ import annotations

import pytest

from flexmeasures.scheduling import UnsupportedAssetTypeError, power_limits_for_asset_type


@pytest.mark.parametrize(
    "asset_type, limits",
    [
        ("battery", (2.0, 2.0)),
        ("two-way_evse", (2.0, 2.0)),
        ("one-way_evse", (2.0, 0.0)),
        ("charging_station", (2.0, 0.0)),
        ("bidirectional_charging_station", (2.0, 2.0)),
    ],
)
def test_storage_asset_types_charge_and_maybe_discharge(asset_type, limits):
    assert power_limits_for_asset_type(asset_type, 2.0) == limits


def test_other_asset_types_cannot_be_scheduled():
    with pytest.raises(UnsupportedAssetTypeError) as error:
        power_limits_for_asset_type("solar", 2.0)
    assert str(error.value) == (
        "Assets of type 'solar' cannot be scheduled: scheduling is available for battery, "
        "one-way_evse and two-way_evse assets."
    )
