"""Numbers in API messages: which JSON values the API takes as a number, as a float.

Python's JSON parser reads ``NaN``, ``Infinity`` and ``-Infinity`` (no JSON, but some
clients send them) as floats, and an integer literal of any length as an int; an int
beyond the range of a float (about 1.8e308) cannot become one (OverflowError). None of
these is a quantity the platform can store or compute with, so ``finite_float`` refuses
them with a reason the caller puts in its status message.
"""

from __future__ import annotations

import math
import sys
from typing import Any

LARGEST_FLOAT = sys.float_info.max


class NotAFiniteNumber(ValueError):
    """A message value that is no finite number; its text says why, e.g. "NaN is not a
    finite number"."""


class NotANumber(NotAFiniteNumber):
    """A message value that is no JSON number at all (e.g. a string, a boolean, null)."""


def finite_float(value: Any) -> float:
    """The value of a JSON number as a float (in the unit of the field it came in).

    Raises NotANumber for booleans, strings and other non-numbers, and NotAFiniteNumber
    for NaN, infinities and integers too large for a float.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise NotANumber(f"{_shown(value)} is not a number")
    try:
        number = float(value)
    except OverflowError:
        raise NotAFiniteNumber(
            f"an integer is too large to be a float (at most {LARGEST_FLOAT:.4g} in size)"
        ) from None
    if not math.isfinite(number):
        raise NotAFiniteNumber(f"{_json_name(number)} is not a finite number")
    return number


def _json_name(number: float) -> str:
    """NaN, Infinity or -Infinity, as a client wrote it."""
    if math.isnan(number):
        return "NaN"
    return "Infinity" if number > 0 else "-Infinity"


def _shown(value: Any) -> str:
    """A short representation of a value for a message (at most 40 characters)."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
