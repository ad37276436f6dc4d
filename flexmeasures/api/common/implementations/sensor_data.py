"""Sensor data by sensor id (API v3_0): the same parsing, belief timing, ingest and belief
queries as the USEF-style services, with values converted between compatible units.

A POST stores ``values`` (in ``unit``, converted to the sensor's unit) from ``start`` for
``duration``, recorded at ``prior`` if given, else at arrival (as API v2.0). A GET answers
the most recent belief per event in the requested ``unit`` (default: the sensor's).
"""

from __future__ import annotations

from typing import Any

from flexmeasures.api.common.implementations.power import check_power_values
from flexmeasures.api.common.implementations.timeseries import get_time_series, post_time_series
from flexmeasures.api.common.messages import MessageError, SeriesGroup, get_list, parse_values
from flexmeasures.api.common.responses import ResponseTuple
from flexmeasures.api.common.uploads import read_uploaded_series, resolution_of
from flexmeasures.data.models import Asset, Sensor
from flexmeasures.utils.time_utils import duration_isoformat
from flexmeasures.utils.units import UnitConversionError, conversion_factor, convert_values

# Fields of a single-sensor message; groups and addresses come from the URL instead.
SENSOR_DATA_FIELDS = ("start", "duration", "values", "unit", "prior", "horizon")


def unit_factor(from_unit: Any, to_unit: str) -> float:
    """The conversion factor between two units; INVALID_UNIT if they are not compatible."""
    if not isinstance(from_unit, str) or not from_unit.strip():
        raise MessageError("INVALID_UNIT", f"State a unit (e.g. {to_unit}).")
    try:
        return conversion_factor(from_unit, to_unit)
    except UnitConversionError as error:
        raise MessageError(
            "INVALID_UNIT", f"{error} Send values in {to_unit} or a compatible unit."
        ) from error


def post_sensor_data(version, sensor: Sensor, body: dict[str, Any]) -> ResponseTuple:
    """Store the body's values for the sensor in one transaction (all or nothing)."""
    unknown = sorted(set(body) - set(SENSOR_DATA_FIELDS))
    if unknown:
        raise MessageError("INVALID_REQUEST", f"Unexpected field(s): {', '.join(unknown)}.")
    factor = unit_factor(body.get("unit"), sensor.unit)
    values = get_list(body, "values")
    if factor != 1.0:  # else the shared parser checks the values
        values = [value * factor for value in parse_values(values)]
    message = {**body, "sensor": str(sensor.id), "values": values, "unit": sensor.unit}
    return post_time_series(version, message, "sensor", lambda address, group: sensor, _check_signs)


def post_uploaded_data(
    version, sensor: Sensor, files: list[tuple[str, bytes]], form: dict[str, Any]
) -> ResponseTuple:
    """Store the values of uploaded CSV files (see ``api.common.uploads``) in ``unit``
    (default: the sensor's), recorded right after each event if
    ``belief-time-measured-instantly`` is true, else on arrival."""
    series = read_uploaded_series(files)
    resolution = resolution_of(series)
    body: dict[str, Any] = {
        "start": series.index[0].isoformat(),
        "duration": duration_isoformat(resolution * len(series)),
        "values": [float(value) for value in series],
        "unit": form.get("unit") or sensor.unit,
    }
    if str(form.get("belief-time-measured-instantly", "")).lower() in ("true", "1", "yes"):
        body["horizon"] = "PT0H"
    return post_sensor_data(version, sensor, body)


def _check_signs(sensor: Sensor, group: SeriesGroup) -> None:
    """Power of a pure consumer or producer must have the right sign (when in MW)."""
    if isinstance(sensor, Asset) and sensor.unit == "MW":
        check_power_values(sensor, group)


def get_sensor_data(sensor: Sensor, args: dict[str, Any]) -> ResponseTuple:
    """The sensor's most recent beliefs per event for ``start`` and ``duration``, at its
    resolution or ``resolution``, in ``unit`` (default: the sensor's unit)."""
    unit = args.get("unit") or sensor.unit
    if unit != sensor.unit:
        unit_factor(sensor.unit, unit)
    body, status = get_time_series(args, [(str(sensor.id), sensor)], "all", sensor.unit)
    body.pop("connection", None)
    body.pop("type", None)
    body["values"] = convert_values(body["values"], sensor.unit, unit)
    body["unit"] = unit
    return body, status
