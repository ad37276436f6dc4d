"""Converting values between compatible units: power (W, kW, MW, GW), energy (Wh, kWh,
MWh, GWh) and prices per energy (e.g. EUR/MWh and EUR/kWh; "€" is read as EUR).

Pure: no Flask, no database. Units that are not listed convert only to themselves.
"""

from __future__ import annotations

from collections.abc import Sequence

# Each unit's size in the base unit of its dimension (MW for power, MWh for energy).
POWER_UNITS = {"W": 1e-6, "kW": 1e-3, "MW": 1.0, "GW": 1e3}
ENERGY_UNITS = {"Wh": 1e-6, "kWh": 1e-3, "MWh": 1.0, "GWh": 1e3}


class UnitConversionError(ValueError):
    """Two units are not compatible (the message names both)."""


def _dimension_and_size(unit: str) -> tuple[str, float] | None:
    """The dimension (e.g. "power", "EUR/energy") and size of a unit, or None if unknown."""
    unit = unit.strip().replace("€", "EUR")
    if unit in POWER_UNITS:
        return "power", POWER_UNITS[unit]
    if unit in ENERGY_UNITS:
        return "energy", ENERGY_UNITS[unit]
    currency, slash, per = unit.partition("/")
    if slash and currency.strip() and per.strip() in ENERGY_UNITS:
        return f"{currency.strip()}/energy", 1 / ENERGY_UNITS[per.strip()]
    return None


def conversion_factor(from_unit: str, to_unit: str) -> float:
    """What to multiply values in ``from_unit`` by to get them in ``to_unit``.

    E.g. 1000 from MW to kW, 0.001 from EUR/MWh to EUR/kWh. Raises UnitConversionError for
    incompatible units (e.g. kW and kWh, EUR/MWh and USD/MWh, or unknown different units).
    """
    if from_unit == to_unit:
        return 1.0
    source, target = _dimension_and_size(from_unit), _dimension_and_size(to_unit)
    if source is None or target is None or source[0] != target[0]:
        raise UnitConversionError(f"Cannot convert values from {from_unit} to {to_unit}.")
    return source[1] / target[1]


def parse_quantity(text: str) -> tuple[float, str]:
    """A quantity such as "2 MWh", "500kW" or "90%" as (value, unit); ValueError if it is
    none. A bare number has the unit ""."""
    text = text.strip()
    number_end = len(text)
    while number_end and not _is_number(text[:number_end]):
        number_end -= 1
    if not number_end:
        raise ValueError(f"'{text}' is no quantity (e.g. '2 MWh').")
    return float(text[:number_end]), text[number_end:].strip()


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return text.strip() == text and text.lower() not in ("inf", "-inf", "nan", "infinity")


def quantity_in(value: float | str, unit: str, default_unit: str) -> float:
    """A quantity (a number in ``default_unit``, or text such as "2 MWh") in ``unit``.

    "%" means a share (90% is 0.9) when ``unit`` is "". Raises ValueError (e.g. a
    UnitConversionError) saying what is wrong.
    """
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"{value!r} is no quantity (e.g. '2 {unit or default_unit}').")
    number, given = (
        (float(value), default_unit) if not isinstance(value, str) else (parse_quantity(value))
    )
    if given == "%" and unit == "":
        return number / 100
    return number * conversion_factor(given or default_unit, unit)


def convert_values(
    values: Sequence[float | None], from_unit: str, to_unit: str
) -> list[float | None]:
    """The values (None for missing ones) converted from ``from_unit`` to ``to_unit``."""
    factor = conversion_factor(from_unit, to_unit)
    if factor == 1.0:
        return list(values)
    return [None if value is None else value * factor for value in values]
