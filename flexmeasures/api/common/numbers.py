"""JSON numbers in messages: a finite float, or a clear refusal (pure: no Flask, no database).

Python's JSON parser reads an integer literal of any length (``1`` followed by 400 zeros)
as an ``int``; turning it into a float raises ``OverflowError``. ``finite_float`` refuses
such numbers, NaN and infinities with a ``ValueError`` whose message can be shown to the
client as is.
"""

from __future__ import annotations

import math
import sys
from typing import Any

LARGEST_FLOAT = sys.float_info.max
"""The largest magnitude a JSON number may have here (about 1.8e308)."""


def finite_float(value: Any, what: str = "Values") -> float:
    """Return a JSON number (an int or a float, not a boolean) as a finite float.

    ``what`` names the field in the message of the ``ValueError`` raised for anything
    else: non-numbers, NaN, infinities and integers beyond the float range.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        shown = repr(value)
        shown = shown if len(shown) <= 40 else f"{shown[:37]}..."
        raise ValueError(f"{what} should be numbers, not {shown}.")
    try:
        number = float(value)
    except OverflowError as exc:
        raise ValueError(
            f"{what} should be numbers of at most {LARGEST_FLOAT:.4g} in magnitude; "
            "this integer is too large."
        ) from exc
    if not math.isfinite(number):
        raise ValueError(f"{what} should be finite numbers, not {value}.")
    return number
