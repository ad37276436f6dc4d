"""Power commitments: promises about a device's net power that its schedules must keep.

A commitment says that in [start, end) the device's net power (MW, consumption positive,
as everywhere in the scheduler) is at most, at least, or exactly some value. They come from
outside the optimisation: a DSO's dispatch instruction (``flexmeasures.market.dso``), a
filled marketplace order (the contracted deviation), an operator. The scheduler treats
them as per-step bounds on the net power:

- a commitment binds every step it overlaps, wholly (a schedule holds one power per step,
  so a commitment from 10:05 binds the 10:00-10:15 step from its start: delivery is never
  short within the committed window);
- several commitments on one step all bind (the tightest bounds win); commitments that
  contradict each other, or that the device cannot keep, make the problem infeasible, and
  the scheduler says which one and by how much (``feasibility.py``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from flexmeasures.scheduling.errors import InvalidProblemError
from flexmeasures.scheduling.wording import format_power, format_window

AT_MOST = "at most"
AT_LEAST = "at least"
EXACTLY = "exactly"
COMMITMENT_KINDS = (AT_MOST, AT_LEAST, EXACTLY)
"""What a commitment bounds: the net power from above, from below, or both."""


@dataclass(frozen=True)
class PowerCommitment:
    """The device's net power (``power`` in MW, consumption positive) is ``kind`` (one of
    COMMITMENT_KINDS) that value from ``start`` to ``end`` (aware datetimes).

    ``reason`` says where it comes from, in words (e.g. "National Grid DSO dispatch
    OU_15"); it is named in the scheduler's messages.
    """

    start: datetime
    end: datetime
    kind: str
    power: float
    reason: str = "a power commitment"

    def __post_init__(self) -> None:
        """Refuse malformed commitments with InvalidProblemError."""
        for moment in (self.start, self.end):
            if pd.Timestamp(moment).tzinfo is None:
                raise InvalidProblemError(f"A commitment's times must be timezone-aware: {moment}.")
        if self.end <= self.start:
            raise InvalidProblemError(
                f"The commitment ({self.reason}) ends before it starts: "
                f"{format_window(self.start, self.end)}."
            )
        if self.kind not in COMMITMENT_KINDS:
            raise InvalidProblemError(
                f"Unknown commitment kind {self.kind!r}; use one of {', '.join(COMMITMENT_KINDS)}."
            )
        if not math.isfinite(self.power):
            raise InvalidProblemError(f"The commitment ({self.reason}) needs a finite power (MW).")

    @property
    def lower(self) -> float:
        """The least net power (MW) it allows (-inf if it only caps)."""
        return -math.inf if self.kind == AT_MOST else self.power

    @property
    def upper(self) -> float:
        """The most net power (MW) it allows (+inf if it only floors)."""
        return math.inf if self.kind == AT_LEAST else self.power

    def describe(self) -> str:
        """The commitment in words, e.g. "a net power of at most -1 MW (consumption
        positive) from ... to ... (National Grid DSO dispatch OU_15)"."""
        return (
            f"a net power of {self.kind} {format_power(self.power)} (consumption positive) "
            f"from {format_window(self.start, self.end)} ({self.reason})"
        )

    def steps(self, step_starts: pd.DatetimeIndex, resolution: timedelta) -> np.ndarray:
        """Whether it binds each step (it overlaps the step): a boolean array."""
        starts = step_starts.asi8
        ends = starts + pd.Timedelta(resolution).value
        return (starts < pd.Timestamp(self.end).value) & (ends > pd.Timestamp(self.start).value)


def commitment_bounds(
    commitments: tuple[PowerCommitment, ...], step_starts: pd.DatetimeIndex, resolution: timedelta
) -> tuple[np.ndarray, np.ndarray]:
    """Per step, the least and most net power (MW) all commitments allow (-inf / +inf where
    none binds). Where commitments contradict each other the lower bound exceeds the upper.
    """
    lower = np.full(len(step_starts), -np.inf)
    upper = np.full(len(step_starts), np.inf)
    for commitment in commitments:
        binds = commitment.steps(step_starts, resolution)
        lower[binds] = np.maximum(lower[binds], commitment.lower)
        upper[binds] = np.minimum(upper[binds], commitment.upper)
    return lower, upper
