"""Schedule a storage device: check the problem, write it as arrays, solve, read the result.

An infeasible problem still gets a schedule: the closest one the device can follow (the
elastic program of ``formulation.py``, which minimises how far SOC bounds, targets and site
limits are missed), with the reasons in words and the shortfall per constraint.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from flexmeasures.scheduling.backends import backend, resolve_solver
from flexmeasures.scheduling.backends.result import INFEASIBLE, OPTIMAL, LpSolution
from flexmeasures.scheduling.errors import SchedulingError
from flexmeasures.scheduling.feasibility import find_obstacles
from flexmeasures.scheduling.formulation import LinearProgram, build_linear_program
from flexmeasures.scheduling.problem import StorageProblem
from flexmeasures.scheduling.runs import true_runs
from flexmeasures.scheduling.wording import format_energy, format_power, format_time

INFEASIBLE_RELAXED = "infeasible"
"""Status of a schedule that is the closest one to an infeasible problem."""

TOLERANCE = 1e-6
"""MWh (or MW) below which a miss or an overlap counts as solver round-off."""
ROUND_OFF = 1e-12
"""MW below which a scheduled power is reported as 0."""


@dataclass(frozen=True)
class Shortfall:
    """A constraint that the returned (closest feasible) schedule misses, and by how much.

    ``constraint`` is "soc target", "soc maximum", "soc minimum", "site capacity" or
    "power commitment"; ``required`` and ``achieved`` are in ``unit`` (MWh, or MW for the
    site capacity and commitments, as net power, consumption positive), the
    achieved value being the worst one from ``start`` to ``end`` (UTC; for the SOC these are
    step ends, equal for a target; for the site capacity the first step's start and the last
    step's end; likewise for commitments).
    """

    constraint: str
    start: pd.Timestamp
    end: pd.Timestamp
    required: float
    achieved: float
    unit: str

    @property
    def amount(self) -> float:
        """By how much the constraint is missed (in ``unit``)."""
        return abs(self.required - self.achieved)

    def describe(self) -> str:
        """The shortfall in words, e.g. "The SOC target of 25 kWh at ... is missed: ..."."""
        show = format_power if self.unit == "MW" else format_energy
        when = f"at {format_time(self.start)}"
        if self.end != self.start:
            when = f"from {format_time(self.start)} until {format_time(self.end)}"
        miss = "over" if self.achieved > self.required else "short"
        return (
            f"The {_CONSTRAINT_NAMES[self.constraint]} of {show(self.required)} {when} is "
            f"missed: {show(self.achieved)}, {show(self.amount)} {miss}."
        )


_CONSTRAINT_NAMES = {
    "soc target": "state-of-charge target",
    "soc maximum": "maximum state of charge",
    "soc minimum": "minimum state of charge",
    "site capacity": "site's connection capacity",
    "power commitment": "power commitment",
}


@dataclass(frozen=True)
class StorageSchedule:
    """A schedule for a storage device.

    - power: MW per step (consumption positive: charging minus discharging), indexed by
      the UTC step starts; soc: MWh at the end of each step, indexed by the UTC step ends;
    - expected_cost: currency, the sum of price × power × step hours (negative: revenue),
      without the tie-breaker;
    - status: "optimal", "infeasible" (then this is the closest feasible schedule, see
      ``explanation`` and ``shortfalls``) or the solver's words for another outcome;
    - solver, and the timings in seconds: build (checks, arrays, handing them to the
      solver) and solve.
    """

    power: pd.Series
    soc: pd.Series
    expected_cost: float
    status: str
    solver: str
    build_seconds: float
    solve_seconds: float
    explanation: list[str] = field(default_factory=list)
    shortfalls: list[Shortfall] = field(default_factory=list)

    @property
    def optimal(self) -> bool:
        """Whether this is a proven optimal schedule meeting every constraint."""
        return self.status == OPTIMAL

    @property
    def message(self) -> str:
        """Why the problem had no schedule meeting every constraint ("" if it had one)."""
        return " ".join(self.explanation)


@dataclass
class _Solved:
    """A solution with the program it solves and the time spent so far (seconds)."""

    lp: LinearProgram
    solution: LpSolution
    build_seconds: float
    solve_seconds: float


def schedule_storage(problem: StorageProblem, solver: str | None = "highs") -> StorageSchedule:
    """The cheapest schedule for the storage problem, or the closest one if none is feasible.

    ``solver`` is a value of FLEXMEASURES_LP_SOLVER (see ``backends.resolve_solver``).
    Raises UnknownSolverError for an unknown or missing solver and SchedulingError if the
    solver fails without any schedule.
    """
    solver_name = resolve_solver(solver)
    started = time.perf_counter()
    obstacles = find_obstacles(problem)
    checked_seconds = time.perf_counter() - started
    if not obstacles:
        solved = _solve(problem, solver_name, elastic=False)
        solved.build_seconds += checked_seconds
        if solved.solution.status != INFEASIBLE:
            return _schedule(problem, solved, solved.solution.status)
        explanation = ["The solver found no schedule that meets every constraint."]
    else:
        explanation = [obstacle.message for obstacle in obstacles]
    relaxed = _solve(problem, solver_name, elastic=True)
    relaxed.build_seconds += checked_seconds
    if not relaxed.solution.optimal:
        raise SchedulingError(f"{' '.join(explanation)} No closest schedule could be found.")
    return _schedule(problem, relaxed, INFEASIBLE_RELAXED, explanation)


def _solve(problem: StorageProblem, solver: str, elastic: bool) -> _Solved:
    """Solve the LP; if it charges and discharges at once with losses, solve the MILP.

    ``solver`` is a canonical solver name (see ``backends.resolve_solver``).
    """
    started = time.perf_counter()
    lp = build_linear_program(problem, elastic=elastic)
    formulated = time.perf_counter() - started
    solve = backend(solver)
    solution = solve(lp)
    solved = _Solved(lp, solution, formulated + solution.build_seconds, solution.solve_seconds)
    lossless = problem.charging_efficiency * problem.discharging_efficiency == 1
    if solution.values is None or lossless or not _overlaps(lp, solution.values):
        return solved
    may_overlap, every_step = _steps_that_may_overlap(problem), np.arange(problem.n_steps)
    for steps in [may_overlap] + ([every_step] if len(may_overlap) < len(every_step) else []):
        started = time.perf_counter()
        lp = build_linear_program(problem, elastic=elastic, exclusive_steps=steps)
        formulated = time.perf_counter() - started
        solution = solve(lp)
        solved = _Solved(
            lp,
            solution,
            solved.build_seconds + formulated + solution.build_seconds,
            solved.solve_seconds + solution.solve_seconds,
        )
        if solution.values is None or not _overlaps(lp, solution.values):
            break
    return solved


def _steps_that_may_overlap(problem: StorageProblem) -> np.ndarray:
    """Steps where charging while discharging can pay: non-positive prices, steps a power
    commitment binds, or any step when a site capacity applies (see formulation.py)."""
    if problem.site_capacity is not None:
        return np.arange(problem.n_steps)
    lower, upper = problem.commitment_bounds
    committed = np.isfinite(lower) | np.isfinite(upper)
    return np.flatnonzero((problem.prices.to_numpy() <= 0) | committed)


def _overlaps(lp: LinearProgram, values: np.ndarray) -> bool:
    """Whether the solution charges and discharges in the same step."""
    overlap = np.minimum(lp.block(values, "charge"), lp.block(values, "discharge"))
    return bool((overlap > TOLERANCE).any())


def _schedule(
    problem: StorageProblem, solved: _Solved, status: str, explanation: list[str] | None = None
) -> StorageSchedule:
    """Read power, SOC and cost from a solution (in MW, MWh and currency)."""
    lp, values = solved.lp, solved.solution.values
    if values is None:
        raise SchedulingError(
            f"The {solved.solution.solver} solver found no schedule ({solved.solution.status})."
        )
    net_power = lp.block(values, "charge") - lp.block(values, "discharge")
    net_power[np.abs(net_power) < ROUND_OFF] = 0.0  # no -0.0 or 1e-17 MW in schedules
    soc = lp.block(values, "soc")
    prices = problem.prices.to_numpy()
    expected_cost = float(np.dot(prices, net_power) * problem.step_hours)
    explanation = list(explanation or [])
    if status not in (OPTIMAL, INFEASIBLE_RELAXED):
        explanation.append(f"The solver stopped before proving this schedule optimal ({status}).")
    return StorageSchedule(
        power=pd.Series(net_power, index=problem.prices.index, name="power"),
        soc=pd.Series(soc, index=problem.step_ends, name="soc"),
        expected_cost=expected_cost,
        status=status,
        solver=solved.solution.solver,
        build_seconds=solved.build_seconds,
        solve_seconds=solved.solve_seconds,
        explanation=explanation,
        shortfalls=find_shortfalls(problem, net_power, soc) if explanation else [],
    )


def find_shortfalls(
    problem: StorageProblem, net_power: np.ndarray, soc: np.ndarray
) -> list[Shortfall]:
    """Each SOC target, SOC bound, site limit and power commitment (per run of steps) that
    a schedule misses.

    ``net_power`` in MW per step, ``soc`` in MWh at step ends.
    """
    shortfalls = []
    target_steps = problem.target_steps.tolist()
    for step, (moment, target) in zip(target_steps, problem.soc_targets.items(), strict=True):
        if abs(soc[step] - target) > TOLERANCE:
            achieved = float(soc[step])
            shortfalls.append(Shortfall("soc target", moment, moment, target, achieved, "MWh"))
    lower = np.full(problem.n_steps, problem.soc_min)
    upper = np.full(problem.n_steps, problem.soc_max)
    ends = (problem.step_ends, problem.step_ends)
    shortfalls += _runs_beyond("soc maximum", soc, upper, ends, True, "MWh")
    shortfalls += _runs_beyond("soc minimum", soc, lower, ends, False, "MWh")
    if problem.site_capacity is not None:
        site = problem.load_array() + net_power
        limit = np.full(problem.n_steps, problem.site_capacity)
        steps = (problem.prices.index, problem.step_ends)
        shortfalls += _runs_beyond("site capacity", site, limit, steps, True, "MW")
        shortfalls += _runs_beyond("site capacity", site, -limit, steps, False, "MW")
    if problem.power_commitments:
        lower, upper = problem.commitment_bounds
        steps = (problem.prices.index, problem.step_ends)
        shortfalls += _runs_beyond("power commitment", net_power, upper, steps, True, "MW")
        shortfalls += _runs_beyond("power commitment", net_power, lower, steps, False, "MW")
    return shortfalls


def _runs_beyond(
    constraint: str,
    values: np.ndarray,
    bound: np.ndarray,
    times: tuple[pd.DatetimeIndex, pd.DatetimeIndex],
    above: bool,
    unit: str,
) -> list[Shortfall]:
    """One Shortfall per run of steps where the values pass the bound.

    ``times`` are the moments each value starts and ends to apply (equal for SOC values).
    """
    beyond = ((values - bound) if above else (bound - values)) > TOLERANCE
    shortfalls = []
    for first, last in true_runs(beyond):
        stretch = slice(first, last)
        worst = first + int(np.argmax(np.abs(values[stretch] - bound[stretch])))
        shortfalls.append(
            Shortfall(
                constraint,
                times[0][first],
                times[1][last - 1],
                float(bound[worst]),
                float(values[worst]),
                unit,
            )
        )
    return shortfalls
