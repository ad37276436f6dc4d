"""API v3_0's flex-model and flex-context for a storage device, read into what the
scheduling job takes: SOC at start and targets (MWh) and ``DeviceSettings``.

Quantities come as text with a unit ("2 MWh", "500 kW", "90%") or as numbers, in
``soc-unit`` (kWh or MWh, default MWh) for SOC fields, in MW for power and as shares for
efficiencies. Pure: no Flask, no database; errors are MessageErrors naming the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flexmeasures.api.common.messages import MessageError, parse_timestamp_field
from flexmeasures.scheduling.jobs import DeviceSettings
from flexmeasures.utils.units import quantity_in

FLEX_MODEL_FIELDS = (
    "sensor",
    "soc-at-start",
    "soc-unit",
    "soc-min",
    "soc-max",
    "soc-targets",
    "power-capacity",
    "charging-efficiency",
    "discharging-efficiency",
    "roundtrip-efficiency",
)
SOC_UNITS = ("kWh", "MWh")


@dataclass(frozen=True)
class StorageFlexModel:
    """What a flex-model says about one storage device (SOC values in MWh)."""

    sensor_id: int | None
    soc_at_start: float | None
    soc_targets: list[tuple[datetime, float]]
    settings: DeviceSettings


def invalid(field: str, problem: str) -> MessageError:
    """An UNPROCESSABLE_ENTITY (422) error naming the flex-model field."""
    return MessageError("UNPROCESSABLE_ENTITY", f"Invalid '{field}': {problem}", 422)


def parse_flex_model(model: Any, context: Any) -> StorageFlexModel:
    """Read a storage flex-model (one device) and the flex-context (price sensor, site
    capacity) into a StorageFlexModel."""
    if not isinstance(model, Mapping):
        raise invalid("flex-model", "Give one JSON object per device.")
    unknown = sorted(set(model) - set(FLEX_MODEL_FIELDS))
    if unknown:
        raise invalid("flex-model", f"unknown field(s) {', '.join(unknown)}.")
    soc_unit = model.get("soc-unit", "MWh")
    if soc_unit not in SOC_UNITS:
        raise invalid("soc-unit", f"use one of {', '.join(SOC_UNITS)}.")
    soc = {key: _soc(model, key, soc_unit) for key in ("soc-at-start", "soc-min", "soc-max")}
    charging, discharging = _efficiencies(model)
    settings = DeviceSettings(
        capacity_in_mw=_power_capacity(model, context),
        min_soc_in_mwh=soc["soc-min"],
        max_soc_in_mwh=soc["soc-max"],
        charging_efficiency=charging,
        discharging_efficiency=discharging,
        market_id=price_sensor_id(context),
    )
    return StorageFlexModel(
        sensor_id=_sensor_id(model.get("sensor"), "sensor"),
        soc_at_start=soc["soc-at-start"],
        soc_targets=_targets(model.get("soc-targets"), soc_unit),
        settings=settings,
    )


def _quantity(value: Any, field: str, unit: str, default_unit: str) -> float:
    try:
        return quantity_in(value, unit, default_unit)
    except ValueError as error:
        raise invalid(field, str(error)) from error


def _soc(model: Mapping[str, Any], field: str, soc_unit: str) -> float | None:
    value = model.get(field)
    return None if value is None else _quantity(value, field, "MWh", soc_unit)


def _power_capacity(model: Mapping[str, Any], context: Any) -> float | None:
    """The device's power capacity (MW), at most the site's power capacity if given."""
    capacities = [
        _quantity(source[field], field, "MW", "MW")
        for source, field in ((model, "power-capacity"), (context, "site-power-capacity"))
        if isinstance(source, Mapping) and source.get(field) is not None
    ]
    if any(capacity < 0 for capacity in capacities):
        raise invalid("power-capacity", "should not be negative.")
    return min(capacities) if capacities else None


def _efficiencies(model: Mapping[str, Any]) -> tuple[float, float]:
    """Charging and discharging efficiency (shares in (0, 1]); a round-trip efficiency is
    split evenly over both."""
    shares = {}
    for field in ("charging-efficiency", "discharging-efficiency", "roundtrip-efficiency"):
        value = model.get(field)
        share = 1.0 if value is None else _quantity(value, field, "", "")
        if not 0 < share <= 1:
            raise invalid(field, "should be more than 0% and at most 100%.")
        shares[field] = share
    split = shares["roundtrip-efficiency"] ** 0.5
    return shares["charging-efficiency"] * split, shares["discharging-efficiency"] * split


def _targets(targets: Any, soc_unit: str) -> list[tuple[datetime, float]]:
    """SOC targets as (moment, MWh)."""
    if targets is None:
        return []
    if not isinstance(targets, list):
        raise invalid("soc-targets", "Give a list of objects with 'datetime' and 'value'.")
    parsed = []
    for target in targets:
        if not isinstance(target, Mapping) or "value" not in target:
            raise invalid("soc-targets", "Each target needs a 'datetime' and a 'value'.")
        moment = parse_timestamp_field(target.get("datetime"), "datetime")
        parsed.append((moment, _quantity(target["value"], "soc-targets", "MWh", soc_unit)))
    return parsed


def _sensor_id(value: Any, field: str) -> int | None:
    """A sensor id given as a number or as {"sensor": id}."""
    if isinstance(value, Mapping):
        value = value.get("sensor")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid(field, 'Give a sensor id (a number) or {"sensor": <id>}.')
    return value


def price_sensor_id(context: Any) -> int | None:
    """The price sensor of the flex-context (``consumption-price`` or the older
    ``consumption-price-sensor``), if any."""
    if context is None:
        return None
    if not isinstance(context, Mapping):
        raise invalid("flex-context", "Give a JSON object.")
    for field in ("consumption-price", "consumption-price-sensor"):
        if context.get(field) is not None:
            return _sensor_id(context[field], field)
    return None
