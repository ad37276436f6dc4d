"""Meter data and prognoses of connections (assets): power in MW, consumption positive."""

from __future__ import annotations

from typing import Any

from flask import current_app

from flexmeasures.api.common.entities import resolve_connection
from flexmeasures.api.common.implementations.timeseries import get_time_series, post_time_series
from flexmeasures.api.common.messages import MessageError, SeriesGroup, get_list
from flexmeasures.api.common.responses import ResponseTuple
from flexmeasures.data.models import Asset
from flexmeasures.data.models.data_source import PROGNOSIS_SOURCE_TYPE
from flexmeasures.data.physical_limits import power_beyond_capacity
from flexmeasures.data.services.data_sources import METER_DATA, PROGNOSES

POWER_UNIT = "MW"


def check_power_unit(unit: Any) -> None:
    """Raise INVALID_UNIT unless power is given in MW (a missing unit is not assumed)."""
    if unit is None:
        raise MessageError(
            "INVALID_UNIT", f"Please state the unit of power: 'unit' should be {POWER_UNIT}."
        )
    if unit != POWER_UNIT:
        raise MessageError("INVALID_UNIT", f"Data for power should be given in {POWER_UNIT}.")


def check_power_values(asset: Asset, group: SeriesGroup) -> None:
    """Check the unit, the capacity (see FLEXMEASURES_CAPACITY_TOLERANCE), and the sign of
    values for pure consumers and pure producers."""
    check_power_unit(group.unit)
    check_capacity(asset, group)
    if asset.is_pure_consumer and min(group.values) < 0:
        raise MessageError(
            "POWER_VALUE_TOO_SMALL",
            f"One or more power values are too small: {asset.name} only consumes, so its "
            "values should be positive or zero (consumption is positive).",
        )
    if asset.is_pure_producer and max(group.values) > 0:
        raise MessageError(
            "POWER_VALUE_TOO_BIG",
            f"One or more power values are too big: {asset.name} only produces, so its "
            "values should be negative or zero (production is negative).",
        )


def check_capacity(asset: Asset, group: SeriesGroup) -> None:
    """Raise POWER_VALUE_TOO_BIG (or _TOO_SMALL, for production) if a value lies beyond the
    asset's capacity by more than the configured tolerance."""
    tolerance = current_app.config["FLEXMEASURES_CAPACITY_TOLERANCE"]
    problem = power_beyond_capacity(group.values, asset.capacity_in_mw, tolerance)
    if problem is not None:
        worst = max(group.values, key=abs)
        status = "POWER_VALUE_TOO_BIG" if worst > 0 else "POWER_VALUE_TOO_SMALL"
        raise MessageError(status, f"A power value for {asset.name} is impossible: {problem}")


def _resolve(address: str, group: SeriesGroup) -> Asset:
    return resolve_connection(address)


def post_meter_data(version, message: dict[str, Any]) -> ResponseTuple:
    """Store measured power (MW) for one or more groups of connections."""
    return post_time_series(version, message, "connection", _resolve, check_power_values)


def post_prognosis(version, message: dict[str, Any]) -> ResponseTuple:
    """Store prognosed power (MW) for one or more groups of connections: beliefs of the
    user's prognosis source, whatever their horizon (also after the fact)."""
    return post_time_series(
        version,
        message,
        "connection",
        _resolve,
        check_power_values,
        source_type=PROGNOSIS_SOURCE_TYPE,
    )


def _requested_connections(
    message: dict[str, Any], unit_required: bool = False
) -> list[tuple[str, Asset]]:
    """The requested connection addresses with their assets (REQUIRED_INFO_MISSING if none).

    The ``unit``, if stated (or if required), must be MW (INVALID_UNIT otherwise).
    """
    addresses = get_list(message, "connections")
    if not addresses:
        raise MessageError("REQUIRED_INFO_MISSING", "Please state one or more connections.")
    if unit_required or message.get("unit") is not None:
        check_power_unit(message.get("unit"))
    return [(str(address), resolve_connection(address)) for address in addresses]


def get_meter_data(version, message: dict[str, Any]) -> ResponseTuple:
    """Power (MW) of the connections: the most recent meter data per event (never a
    prognosis, forecast or schedule).

    The ``unit`` is required (seed: every getMeterData request states "MW").
    """
    connections = _requested_connections(message, unit_required=True)
    return get_time_series(message, connections, METER_DATA, POWER_UNIT)


def get_prognosis(version, message: dict[str, Any]) -> ResponseTuple:
    """Prognosed power (MW) of the connections: the most recent prognosis per event (posted
    through postPrognosis or made by a forecaster), whatever its horizon."""
    return get_time_series(message, _requested_connections(message), PROGNOSES, POWER_UNIT)
