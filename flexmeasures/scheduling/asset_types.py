"""Which asset types have a storage scheduler, and what their type means for the problem."""

from __future__ import annotations

from dataclasses import dataclass

from flexmeasures.scheduling.errors import UnsupportedAssetTypeError


@dataclass(frozen=True)
class StorageSettings:
    """What an asset type means for its storage problem: whether it can feed power back."""

    can_discharge: bool

    def power_limits(self, capacity_in_mw: float) -> tuple[float, float]:
        """Charging and discharging capacity (MW) for an asset of this type."""
        return capacity_in_mw, capacity_in_mw if self.can_discharge else 0.0


STORAGE_ASSET_TYPES: dict[str, StorageSettings] = {
    "battery": StorageSettings(can_discharge=True),
    "one-way_evse": StorageSettings(can_discharge=False),
    "two-way_evse": StorageSettings(can_discharge=True),
    # the names of charging stations before EVSE (seed's change log)
    "charging_station": StorageSettings(can_discharge=False),
    "bidirectional_charging_station": StorageSettings(can_discharge=True),
}


def storage_settings(asset_type_name: str) -> StorageSettings:
    """The storage settings of an asset type; UnsupportedAssetTypeError for other types."""
    try:
        return STORAGE_ASSET_TYPES[asset_type_name]
    except KeyError:
        raise UnsupportedAssetTypeError(
            f"Assets of type '{asset_type_name}' cannot be scheduled: scheduling is available "
            "for battery, one-way_evse and two-way_evse assets."
        ) from None


def power_limits_for_asset_type(asset_type_name: str, capacity_in_mw: float) -> tuple[float, float]:
    """Charging and discharging capacity (MW) of an asset: a one-way EVSE cannot discharge."""
    return storage_settings(asset_type_name).power_limits(capacity_in_mw)
