"""Unit conversion between compatible units (API v3_0 converts sensor data with it)."""

from __future__ import annotations

import pytest

from flexmeasures.utils.units import UnitConversionError, conversion_factor, convert_values


@pytest.mark.parametrize(
    ("from_unit", "to_unit", "factor"),
    [
        ("MW", "kW", 1000),
        ("kW", "MW", 0.001),
        ("W", "MW", 1e-6),
        ("kWh", "MWh", 0.001),
        ("MWh", "kWh", 1000),
        ("EUR/MWh", "EUR/kWh", 0.001),
        ("EUR/kWh", "EUR/MWh", 1000),
        ("€/MWh", "EUR/MWh", 1),
        ("%", "%", 1),
    ],
)
def test_conversion_factors(from_unit, to_unit, factor):
    assert conversion_factor(from_unit, to_unit) == pytest.approx(factor)


@pytest.mark.parametrize(
    ("from_unit", "to_unit"),
    [("kW", "kWh"), ("MWh", "MW"), ("EUR/MWh", "USD/MWh"), ("EUR/MWh", "MWh"), ("°C", "K")],
)
def test_incompatible_units_are_refused(from_unit, to_unit):
    with pytest.raises(UnitConversionError, match=f"from {from_unit} to {to_unit}"):
        conversion_factor(from_unit, to_unit)


def test_convert_values_keeps_missing_values():
    assert convert_values([1.5, None, -2], "MW", "kW") == [1500, None, -2000]
