"""A National Grid DSO dispatch instruction becomes power commitments of assets.

The Flexible Power Portal's dispatch API (``PUT v2/dispatch``, seed section 3.3) instructs a
product from a start to a stop for some meterable units, with a power in MW. Here that
instruction becomes, for every asset of those meterable units, a power commitment that the
asset's next schedules keep (``flexmeasures.scheduling.commitments``).

Signs. The DSO states the flexibility to deliver as a positive MW, with a direction:

- ``turn_down``: the unit's net consumption goes down by that much: it imports less or
  exports more (demand turn-down, generation turn-up: what most DSO products buy);
- ``turn_up``: the unit's net consumption goes up by that much: it imports more or
  exports less (demand turn-up, generation turn-down).

FlexMeasures counts power as USEF does: consumption (import) positive, production (export)
negative. Relative to a baseline ``B`` (the unit's net power without the dispatch, MW,
consumption positive; 0 for an idle battery), delivering ``X`` MW means a net power

- turn_down: at most ``B - X`` (e.g. B = 0, X = 1.5: export at least 1.5 MW);
- turn_up: at least ``B + X``;

or exactly that with ``exact`` (no over-delivery). The instruction's MW and baseline are
for all its meterable units together; they are split over their assets in proportion to
the assets' power capacities (MW).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from flexmeasures.market.dso.products import Product, product_for_code
from flexmeasures.scheduling.commitments import AT_LEAST, AT_MOST, EXACTLY, PowerCommitment

TURN_DOWN = "turn_down"
TURN_UP = "turn_up"
DIRECTIONS = (TURN_DOWN, TURN_UP)
DSO_SOURCE = "national-grid-dso"
"""The ``source`` of commitments recorded from dispatch instructions."""


class InvalidDispatchError(ValueError):
    """A dispatch instruction that cannot be carried out as given; the message says why."""


@dataclass(frozen=True)
class DispatchInstruction:
    """What the DSO instructs: ``product`` (a Market Gateway code, or a Flexible Power
    Portal code only one product has), ``start`` and ``stop`` (aware; the FPP API speaks
    UTC), ``mw`` (> 0, the flexibility to deliver), ``direction`` (TURN_DOWN or TURN_UP),
    the ``meterable_unit_ids`` it addresses and the DSO's ``dispatch_id`` (if any).

    Raises InvalidDispatchError (or UnknownProductCodeError) for a malformed instruction.
    """

    product: str
    start: datetime
    stop: datetime
    mw: float
    meterable_unit_ids: tuple[str, ...]
    direction: str = TURN_DOWN
    dispatch_id: str | None = None

    def __post_init__(self) -> None:
        """Check the instruction; normalise the meterable unit ids to a tuple."""
        product_for_code(self.product)
        object.__setattr__(self, "meterable_unit_ids", tuple(self.meterable_unit_ids))
        if self.start.tzinfo is None or self.stop.tzinfo is None:
            raise InvalidDispatchError("The dispatch's start and stop must be timezone-aware.")
        if self.stop <= self.start:
            raise InvalidDispatchError(
                f"The dispatch stops ({self.stop.isoformat()}) before it starts "
                f"({self.start.isoformat()})."
            )
        if not (math.isfinite(self.mw) and self.mw > 0):
            raise InvalidDispatchError(f"The dispatched power must be above 0 MW, not {self.mw}.")
        if self.direction not in DIRECTIONS:
            raise InvalidDispatchError(
                f"Unknown direction {self.direction!r}; use {' or '.join(DIRECTIONS)}."
            )
        if not self.meterable_unit_ids:
            raise InvalidDispatchError("The dispatch names no meterable unit.")

    @property
    def product_info(self) -> Product:
        """The instructed product (names and codes)."""
        return product_for_code(self.product)

    def reason(self) -> str:
        """Words for the scheduler's messages, e.g. "National Grid DSO dispatch D1 (OU_15,
        turn_down 1.5 MW)"."""
        reference = f" {self.dispatch_id}" if self.dispatch_id else ""
        code = self.product_info.market_gateway_code
        return f"National Grid DSO dispatch{reference} ({code}, {self.direction} {self.mw:g} MW)"


def committed_power(mw: float, direction: str, baseline_mw: float = 0.0) -> float:
    """The net power (MW, consumption positive) that delivers ``mw`` of flexibility in this
    direction from a baseline (MW, consumption positive): baseline - mw for TURN_DOWN,
    baseline + mw for TURN_UP."""
    if direction not in DIRECTIONS:
        raise InvalidDispatchError(
            f"Unknown direction {direction!r}; use {' or '.join(DIRECTIONS)}."
        )
    return baseline_mw - mw if direction == TURN_DOWN else baseline_mw + mw


def dispatch_commitments(
    instruction: DispatchInstruction,
    asset_capacities: Sequence[tuple[int, float]],
    baseline_mw: float = 0.0,
    exact: bool = False,
) -> list[tuple[int, PowerCommitment]]:
    """Per asset (id, capacity in MW) of the instruction's meterable units, the commitment
    (net power in MW, consumption positive) that delivers its share of the instruction.

    Shares are proportional to the capacities (equal if all are 0). ``baseline_mw`` is the
    units' net power without the dispatch (MW, consumption positive); ``exact`` commits to
    exactly the power instead of at most (turn-down) or at least (turn-up).
    """
    if not asset_capacities:
        raise InvalidDispatchError("The dispatched meterable units have no assets.")
    if not math.isfinite(baseline_mw):
        raise InvalidDispatchError("The baseline must be a finite power (MW).")
    total = sum(capacity for _, capacity in asset_capacities)
    power = committed_power(instruction.mw, instruction.direction, baseline_mw)
    kind = EXACTLY if exact else (AT_MOST if instruction.direction == TURN_DOWN else AT_LEAST)
    commitments = []
    for asset_id, capacity in asset_capacities:
        share = capacity / total if total > 0 else 1 / len(asset_capacities)
        commitment = PowerCommitment(
            instruction.start, instruction.stop, kind, power * share, instruction.reason()
        )
        commitments.append((asset_id, commitment))
    return commitments
