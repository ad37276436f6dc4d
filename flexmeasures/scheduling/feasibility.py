"""Why a storage problem has no schedule, in words a Prosumer understands.

Checked before solving, on the physical device (never charging and discharging at once):
per step, the net power the device may take (its capacities, and the site's connection
capacity minus the inflexible load) bounds how far the SOC can move. Propagating the
reachable SOC interval from the start SOC, clipped to the SOC bounds and reset at each
target, is exact: the problem is feasible if and only if no obstacle is found. Power
commitments (``commitments.py``) narrow the net power per step further; one the device
cannot keep (or commitments that contradict each other) is an obstacle of its own, and the
SOC is then propagated with the device as close to the commitment as it can get.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from flexmeasures.scheduling.problem import StorageProblem
from flexmeasures.scheduling.runs import true_runs
from flexmeasures.scheduling.wording import format_energy, format_power, format_time

ROUND_OFF = 1e-9
"""MWh by which a target or bound may lie outside the reachable interval (float sums)."""


@dataclass(frozen=True)
class Obstacle:
    """A constraint that no schedule can meet.

    ``kind`` is "soc target", "soc maximum", "soc minimum", "site capacity" or "power
    commitment"; ``time`` is when it first bites (UTC); ``amount`` is by how much it is
    missed at least (MWh, or MW for the site capacity and commitments); ``message`` says
    why, in words.
    """

    kind: str
    time: pd.Timestamp
    amount: float
    message: str


@dataclass(frozen=True)
class _Anchor:
    """A known SOC (MWh) at the end of step ``step`` (-1: the start), to propagate from."""

    value: float
    step: int
    time: pd.Timestamp
    described: str


@dataclass(frozen=True)
class _Reach:
    """Per step, the least and most SOC change (MWh) the device can make."""

    down: np.ndarray
    up: np.ndarray


def net_power_limits(problem: StorageProblem) -> tuple[np.ndarray, np.ndarray]:
    """Least and most net power (MW, consumption positive) the device may take per step."""
    lowest = np.full(problem.n_steps, -problem.discharging_capacity)
    highest = np.full(problem.n_steps, problem.charging_capacity)
    if problem.site_capacity is not None:
        load = problem.load_array()
        lowest = np.maximum(lowest, -problem.site_capacity - load)
        highest = np.minimum(highest, problem.site_capacity - load)
    return lowest, highest


def soc_change(problem: StorageProblem, net_power: np.ndarray) -> np.ndarray:
    """The SOC change (MWh) over a step at a given net power (MW), losses included."""
    into_storage = problem.charging_efficiency * np.maximum(net_power, 0)
    out_of_storage = np.minimum(net_power, 0) / problem.discharging_efficiency
    return (into_storage + out_of_storage) * problem.step_hours


def find_obstacles(problem: StorageProblem) -> list[Obstacle]:
    """Every reason why no schedule meets all constraints (empty: the problem is feasible)."""
    lowest, highest = net_power_limits(problem)
    obstacles = _site_obstacles(problem, lowest, highest)
    # Where the site cannot be helped, the closest the device gets is its full power.
    overloaded, overfed = (lowest > highest) & (highest < 0), (lowest > highest) & (highest >= 0)
    highest = np.where(overloaded, lowest, highest)
    lowest = np.where(overfed, highest, lowest)
    obstacles += _commitment_obstacles(problem, lowest, highest)
    lowest, highest = _within_commitments(problem, lowest, highest)
    reach = _Reach(soc_change(problem, lowest), soc_change(problem, highest))
    anchor = _Anchor(problem.soc_start, -1, problem.start, "the starting state of charge")
    target_steps = problem.target_steps.tolist()
    for step, (moment, target) in zip(target_steps, problem.soc_targets.items(), strict=True):
        low, high = _propagate(problem, anchor, step, reach, obstacles)
        found = _target_obstacles(problem, anchor, moment, target, (low, high))
        obstacles += [_with_commitments_named(problem, o, anchor.step + 1, step) for o in found]
        reached = float(np.clip(target, low, high))
        described = "the previous target"
        if reached != target:
            described = "as close to the previous target as reachable"
        anchor = _Anchor(reached, step, moment, described)
    if anchor.step < problem.n_steps - 1:
        _propagate(problem, anchor, problem.n_steps - 1, reach, obstacles)
    return obstacles


def _propagate(
    problem: StorageProblem, anchor: _Anchor, last_step: int, reach: _Reach, obstacles: list
) -> tuple[float, float]:
    """The reachable SOC interval (MWh) at the end of ``last_step``, from the anchor.

    Vectorised: high[t] = min(soc_max, high[t-1] + up[t]) unrolls to a cumulative minimum
    (likewise for low). Stretches where the SOC cannot stay within bounds are handled step
    by step, appending an obstacle for each.
    """
    steps = slice(anchor.step + 1, last_step + 1)
    up, down = np.cumsum(reach.up[steps]), np.cumsum(reach.down[steps])
    high = up + np.minimum(anchor.value, np.minimum.accumulate(problem.soc_max - up))
    low = down + np.maximum(anchor.value, np.maximum.accumulate(problem.soc_min - down))
    if (high >= problem.soc_min - ROUND_OFF).all() and (low <= problem.soc_max + ROUND_OFF).all():
        return float(low[-1]), float(high[-1])
    return _propagate_stepwise(problem, anchor, steps, reach, obstacles)


def _propagate_stepwise(
    problem: StorageProblem, anchor: _Anchor, steps: slice, reach: _Reach, obstacles: list
) -> tuple[float, float]:
    """Like ``_propagate``, step by step, recording by how much the SOC leaves its bounds."""
    low = high = anchor.value
    excess = np.zeros(steps.stop - steps.start)
    for offset, step in enumerate(range(steps.start, steps.stop)):
        low, high = low + reach.down[step], high + reach.up[step]
        if low > problem.soc_max + ROUND_OFF:
            excess[offset], high = low - problem.soc_max, low
        elif high < problem.soc_min - ROUND_OFF:
            excess[offset], low = high - problem.soc_min, high
        else:
            low, high = max(low, problem.soc_min), min(high, problem.soc_max)
    obstacles += _bound_obstacles(problem, anchor, steps.start, excess)
    return low, high


def _bound_obstacles(
    problem: StorageProblem, anchor: _Anchor, first_step: int, excess: np.ndarray
) -> list[Obstacle]:
    """One obstacle per run of steps above the maximum (excess > 0) or below the minimum."""
    obstacles = []
    for above in (True, False):
        for first, last in true_runs(excess > 0 if above else excess < 0):
            worst = float(np.abs(excess[first:last]).max())
            stretch = (
                problem.step_ends[first_step + first],
                problem.step_ends[first_step + last - 1],
            )
            from_start = anchor.step == -1 and first == 0
            message = _bound_message(problem, above, worst, stretch, from_start)
            if _committed_reasons(problem, anchor.step + 1, first_step + last - 1):
                cause = "a power commitment"
                if problem.site_capacity is not None:
                    cause += " or the site's connection capacity"
                message = message.replace("the site's connection capacity", cause)
            kind = "soc maximum" if above else "soc minimum"
            obstacles.append(Obstacle(kind, stretch[0], worst, message))
    return obstacles


def _bound_message(
    problem: StorageProblem, above: bool, worst: float, stretch: tuple, from_start: bool
) -> str:
    """Words for a stretch of time in which the SOC cannot be kept within its bounds."""
    side, name, bound = ("above", "maximum", problem.soc_max)
    if not above:
        side, name, bound = ("below", "minimum", problem.soc_min)
    when = f"from {format_time(stretch[0])} until {format_time(stretch[1])}"
    by = f"by up to {format_energy(worst)}"
    if from_start:
        verb, power = ("discharging", problem.discharging_capacity)
        if not above:
            verb, power = ("charging", problem.charging_capacity)
        return (
            f"The starting state of charge of {format_energy(problem.soc_start)} is {side} the "
            f"{name} of {format_energy(bound)}; {verb} at most {format_power(power)}, it stays "
            f"{side} it {when} ({by})."
        )
    forced = "charge" if above else "discharge"
    return (
        f"The state of charge stays {side} the {name} of {format_energy(bound)} {when} ({by}): "
        f"the site's connection capacity forces the device to {forced}."
    )


def _target_obstacles(
    problem: StorageProblem,
    anchor: _Anchor,
    moment: pd.Timestamp,
    target: float,
    reachable: tuple[float, float],
) -> list[Obstacle]:
    """An obstacle if the target is outside the SOC bounds or the reachable interval."""
    if not problem.soc_min <= target <= problem.soc_max:
        return [_target_beyond_bounds(problem, moment, target)]
    low, high = reachable
    if low - ROUND_OFF <= target <= high + ROUND_OFF:
        return []
    return [_target_out_of_reach(problem, anchor, moment, target, reachable)]


def _target_beyond_bounds(problem: StorageProblem, moment: pd.Timestamp, target: float) -> Obstacle:
    """A target above the maximum or below the minimum SOC."""
    side, bound = ("above the maximum", problem.soc_max)
    if target < problem.soc_min:
        side, bound = ("below the minimum", problem.soc_min)
    message = (
        f"The target of {format_energy(target)} at {format_time(moment)} is {side} state of "
        f"charge of {format_energy(bound)}."
    )
    return Obstacle("soc target", moment, abs(target - bound), message)


def _target_out_of_reach(
    problem: StorageProblem,
    anchor: _Anchor,
    moment: pd.Timestamp,
    target: float,
    reachable: tuple[float, float],
) -> Obstacle:
    """A target that the device cannot charge up to, or discharge down to, in time."""
    low, high = reachable
    what = f"The target of {format_energy(target)} at {format_time(moment)}"
    origin = f"from {format_energy(anchor.value)} at {format_time(anchor.time)}"
    origin += f" ({anchor.described})"
    if target > high:
        power = f"charging at most {format_power(problem.charging_capacity)}"
        message = f"{what} needs {format_energy(target - high)} more than {power} can deliver "
        return Obstacle("soc target", moment, target - high, f"{message}in time {origin}.")
    if problem.discharging_capacity == 0:
        message = f"{what} is {format_energy(low - target)} below the state of charge reachable "
        message += f"in time {origin}: this device cannot discharge."
    else:
        power = f"discharging at most {format_power(problem.discharging_capacity)}"
        message = f"{what} is {format_energy(low - target)} lower than {power} can reach in "
        message += f"time {origin}."
    return Obstacle("soc target", moment, low - target, message)


def _site_obstacles(
    problem: StorageProblem, lowest: np.ndarray, highest: np.ndarray
) -> list[Obstacle]:
    """One obstacle per run of steps in which the rest of the site exceeds the connection
    capacity by more than the device can make up for."""
    obstacles = []
    load = problem.load_array()
    for consuming in (True, False):
        stuck = (lowest > highest) & ((load > 0) if consuming else (load <= 0))
        for first, last in true_runs(stuck):
            excess = float(np.abs(load[first:last]).max() - problem.site_capacity)
            device = problem.discharging_capacity if consuming else problem.charging_capacity
            verb, flow = ("discharging", "consumption") if consuming else ("charging", "production")
            moment = problem.prices.index[first]
            message = (
                f"From {format_time(moment)} until {format_time(problem.step_ends[last - 1])} "
                f"the site's {flow} exceeds its connection capacity of "
                f"{format_power(problem.site_capacity)} by up to {format_power(excess)}, more "
                f"than {verb} at most {format_power(device)} can make up for."
            )
            obstacles.append(Obstacle("site capacity", moment, excess - device, message))
    return obstacles


def _commitment_obstacles(
    problem: StorageProblem, lowest: np.ndarray, highest: np.ndarray
) -> list[Obstacle]:
    """An obstacle per run of steps in which a commitment asks a net power beyond what the
    device may take (``lowest``/``highest``, MW), and per run where commitments contradict
    each other."""
    obstacles = []
    index = problem.prices.index
    for commitment in problem.power_commitments:
        binds = commitment.steps(index, problem.resolution)
        miss = np.maximum(lowest - commitment.upper, 0) + np.maximum(commitment.lower - highest, 0)
        miss = np.where(binds, miss, 0.0)
        site = "" if problem.site_capacity is None else ", within the site's connection capacity"
        for first, last in true_runs(miss > ROUND_OFF):
            worst = first + int(np.argmax(miss[first:last]))
            message = (
                f"The device cannot keep {commitment.describe()}: from {format_time(index[first])} "
                f"until {format_time(problem.step_ends[last - 1])} its net power can only be "
                f"between {format_power(lowest[worst])} and {format_power(highest[worst])} "
                f"(charging at most {format_power(problem.charging_capacity)}, discharging at "
                f"most {format_power(problem.discharging_capacity)}{site}), "
                f"{format_power(miss[worst])} short."
            )
            obstacles.append(Obstacle("power commitment", index[first], miss[worst], message))
    return obstacles + _contradiction_obstacles(problem)


def _contradiction_obstacles(problem: StorageProblem) -> list[Obstacle]:
    """An obstacle per run of steps whose commitments ask for a least net power above the
    most another one allows."""
    lower, upper = problem.commitment_bounds
    index, obstacles = problem.prices.index, []
    for first, last in true_runs(lower > upper + ROUND_OFF):
        worst = first + int(np.argmax(lower[first:last] - upper[first:last]))
        reasons = "; ".join(_committed_reasons(problem, first, last - 1))
        message = (
            f"Power commitments contradict each other from {format_time(index[first])} "
            f"until {format_time(problem.step_ends[last - 1])}: one needs a net power of at "
            f"least {format_power(lower[worst])}, another at most {format_power(upper[worst])} "
            f"({reasons})."
        )
        amount = float(lower[worst] - upper[worst])
        obstacles.append(Obstacle("power commitment", index[first], amount, message))
    return obstacles


def _within_commitments(
    problem: StorageProblem, lowest: np.ndarray, highest: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The net power limits (MW) narrowed by the commitments; where the device cannot keep
    them, as close to them as it gets (contradicting ones: their most allowed power)."""
    lower, upper = problem.commitment_bounds
    narrowed_low = np.minimum(np.maximum(lowest, lower), highest)
    narrowed_high = np.maximum(np.minimum(highest, upper), lowest)
    return np.minimum(narrowed_low, narrowed_high), narrowed_high


def _committed_reasons(problem: StorageProblem, first_step: int, last_step: int) -> list[str]:
    """The reasons of the commitments binding any step from first_step to last_step."""
    index, found = problem.prices.index, []
    for commitment in problem.power_commitments:
        binds = commitment.steps(index, problem.resolution)[max(first_step, 0) : last_step + 1]
        if binds.any() and commitment.reason not in found:
            found.append(commitment.reason)
    return found


def _with_commitments_named(
    problem: StorageProblem, obstacle: Obstacle, first_step: int, last_step: int
) -> Obstacle:
    """The obstacle, with the commitments that bind meanwhile named in its message."""
    reasons = _committed_reasons(problem, first_step, last_step)
    if not reasons:
        return obstacle
    named = (
        f"{obstacle.message} Meanwhile power commitments bind the device ({'; '.join(reasons)})."
    )
    return replace(obstacle, message=named)
