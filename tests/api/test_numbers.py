"""Which JSON values the API takes as numbers (flexmeasures.api.common.numbers)."""

from __future__ import annotations

import json

import pytest

from flexmeasures.api.common.numbers import NotAFiniteNumber, NotANumber, finite_float


@pytest.mark.parametrize("text, expected", [("1", 1.0), ("-2.5", -2.5), ("1e308", 1e308)])
def test_finite_numbers_become_floats(text, expected):
    value = finite_float(json.loads(text))
    assert value == expected and isinstance(value, float)


@pytest.mark.parametrize("text", ['"1"', "true", "null", "[1]", '{"value": 1}'])
def test_non_numbers_are_no_numbers(text):
    with pytest.raises(NotANumber, match="is not a number"):
        finite_float(json.loads(text))


@pytest.mark.parametrize(
    "text, reason",
    [
        ("NaN", "NaN is not a finite number"),
        ("Infinity", "Infinity is not a finite number"),
        ("-Infinity", "-Infinity is not a finite number"),
        ("1" + "0" * 400, "too large to be a float"),
        ("-1" + "0" * 400, "too large to be a float"),
    ],
)
def test_numbers_that_are_no_finite_floats_say_why(text, reason):
    with pytest.raises(NotAFiniteNumber, match=reason) as raised:
        finite_float(json.loads(text))
    assert not isinstance(raised.value, NotANumber)
