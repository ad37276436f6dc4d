"""What physics (and common sense) allow a sensor's values and an asset's resolution to be.

Pure: plain numbers in, a sentence out (None when a value is allowed). Used by the API to
refuse impossible data before anything is stored, and by the asset services and schemas.

- Power (MW) may exceed an asset's capacity by a fraction ``tolerance`` at most (the
  setting FLEXMEASURES_CAPACITY_TOLERANCE), in either direction (consumption positive).
- Temperatures (°C) are not below absolute zero; wind speeds (m/s) are not negative.
  Radiation (kW/m²) is not limited: pyranometers read slightly negative values at night.
- Event resolutions lie between MIN_EVENT_RESOLUTION and MAX_EVENT_RESOLUTION.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

ABSOLUTE_ZERO_CELSIUS = -273.15

WEATHER_MINIMA: dict[str, tuple[float, str]] = {
    "temperature": (ABSOLUTE_ZERO_CELSIUS, "absolute zero (-273.15 °C)"),
    "wind_speed": (0.0, "0 m/s (wind speeds are not negative)"),
}
"""Weather sensor type name → (lowest possible value in the type's unit, that limit in words)."""

MIN_EVENT_RESOLUTION = timedelta(minutes=1)
MAX_EVENT_RESOLUTION = timedelta(days=1)
EVENT_RESOLUTION_LIMITS = (MIN_EVENT_RESOLUTION, MAX_EVENT_RESOLUTION)


def power_beyond_capacity(
    values: Iterable[float], capacity_in_mw: float, tolerance: float
) -> str | None:
    """Say which power value (MW) lies beyond the capacity (MW) by more than ``tolerance``
    (a fraction of the capacity, e.g. 0.1 for 10 %), or None if all are within."""
    limit = capacity_in_mw * (1 + tolerance)
    worst = max(values, key=abs, default=0.0)
    if abs(worst) <= limit:
        return None
    return (
        f"{worst:g} MW is beyond the capacity of {capacity_in_mw:g} MW by more than the "
        f"tolerance of {tolerance:.0%}: values must lie within ±{limit:g} MW."
    )


def weather_below_minimum(type_name: str, values: Iterable[float], unit: str) -> str | None:
    """Say which value of a weather sensor type lies below what is physically possible, or
    None if all are possible (or the type has no lower limit)."""
    if type_name not in WEATHER_MINIMA:
        return None
    minimum, in_words = WEATHER_MINIMA[type_name]
    lowest = min(values, default=minimum)
    if lowest >= minimum:
        return None
    readable = type_name.replace("_", " ")
    return f"A {readable} of {lowest:g} {unit} is impossible: the lowest is {in_words}."


def event_resolution_out_of_range(resolution: timedelta) -> str | None:
    """Say why an event resolution lies outside [MIN_EVENT_RESOLUTION, MAX_EVENT_RESOLUTION],
    or None if it lies within."""
    if MIN_EVENT_RESOLUTION <= resolution <= MAX_EVENT_RESOLUTION:
        return None
    return (
        f"The event resolution must lie between {_minutes(MIN_EVENT_RESOLUTION)} and "
        f"{_minutes(MAX_EVENT_RESOLUTION)} minutes."
    )


def _minutes(duration: timedelta) -> str:
    """A duration as a whole number of minutes."""
    return f"{int(duration / timedelta(minutes=1)):,}"
