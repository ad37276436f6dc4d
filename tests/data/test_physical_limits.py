"""Physical limits of values and resolutions (pure functions)."""

from __future__ import annotations

from datetime import timedelta

from flexmeasures.data.physical_limits import (
    event_resolution_out_of_range,
    power_beyond_capacity,
    weather_below_minimum,
)


def test_power_within_capacity_and_tolerance():
    assert power_beyond_capacity([400, -440, 0], 400, 0.1) is None
    assert power_beyond_capacity([], 400, 0.1) is None
    message = power_beyond_capacity([1, -440.5], 400, 0.1)
    assert message is not None and "-440.5 MW" in message and "±440 MW" in message
    assert power_beyond_capacity([0.1], 0, 0.5) is not None  # no capacity, no power


def test_weather_minima():
    assert weather_below_minimum("temperature", [-273.15, 20], "°C") is None
    message = weather_below_minimum("temperature", [-300, 20], "°C")
    assert message == (
        "A temperature of -300 °C is impossible: the lowest is absolute zero (-273.15 °C)."
    )
    assert "wind speed of -1 m/s" in weather_below_minimum("wind_speed", [-1], "m/s")
    assert weather_below_minimum("radiation", [-0.01], "kW/m²") is None  # night-time offsets


def test_event_resolution_range():
    assert event_resolution_out_of_range(timedelta(minutes=15)) is None
    assert event_resolution_out_of_range(timedelta(days=1)) is None
    for resolution in (timedelta(0), timedelta(seconds=30), timedelta(minutes=10**9)):
        assert event_resolution_out_of_range(resolution) == (
            "The event resolution must lie between 1 and 1,440 minutes."
        )
