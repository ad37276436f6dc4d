"""The storage problem written once, as sparse arrays in standard form.

    minimise    objective · x  (+ objective_offset)
    subject to  row_lower <= A x <= row_upper
                col_lower <=   x <= col_upper,   x[j] integer where integrality[j]

Columns per step t (blocks of n_steps each, in this order):

- ``charge`` [MW, >= 0]: power drawn from the grid into storage;
- ``discharge`` [MW, >= 0]: power delivered from storage to the grid;
- ``soc`` [MWh]: the state of charge at the end of step t.

Rows: ``dynamics`` soc[t] - soc[t-1] - ηc·h·charge[t] + h/ηd·discharge[t] = 0 (soc[-1] is
the start SOC, moved to the right-hand side), with h the step length in hours; ``site``
(with a site capacity) -cap - load[t] <= charge[t] - discharge[t] <= cap - load[t];
``commitment_floor`` / ``commitment_ceiling`` (at steps a power commitment binds)
charge[t] - discharge[t] >= lower[t] / <= upper[t] (see ``commitments.py``).
SOC bounds and targets are column bounds of ``soc`` (a target fixes soc at its step).
Every row touches at most four columns, so nonzeros grow linearly with the horizon.

Objective (currency): sum over t of price[t]·(charge[t] - discharge[t])·h, plus the
tie-breaker (``prefer_charging_sooner``): charging at step t costs slope·t more and
discharging earns slope·(n-1-t) less per MWh, with slope·(n-1) at most 1/1000 of the
price spread. Both terms are penalties, so no cycle can profit from them, and the cost of
the tie-broken schedule exceeds the optimum by at most slope·(n-1) per MWh moved.

Why the LP is usually exact although charge and discharge could overlap: overlapping
at step t by lowering both by a and ηc·ηd·a keeps the SOC trajectory and changes the cost by
-a·(1 - ηc·ηd)·price[t]·h minus the tie-breaker terms, a saving whenever the price is
positive. Overlap can only pay where prices are not positive (burning energy to take up
more power) or where a site limit binds. ``schedule.py`` therefore solves the LP, and only
if its solution overlaps (with losses) solves again with ``exclusive_steps``: a binary z[t]
for those steps, charge[t] <= Pc·z[t] and discharge[t] <= Pd·(1 - z[t]). By the argument
above, binaries are needed only at steps with a non-positive price (at every step when
there is a site capacity). An LP optimum without overlap is optimal for that MILP too,
because the LP is its relaxation.

``elastic=True`` writes the relaxed problem used to find the closest feasible schedule:
SOC bounds become rows soc[t] + under[t] - over[t] within [soc_min, soc_max], each target a
row soc[k] + under - over = target, site rows get the same pair of slack columns, and every
unit of slack costs ``shortfall_penalty`` (ten times that beyond the SOC bounds and the
site capacity, which are physical limits, so a target beyond them is missed rather than a
limit broken). Commitment rows get slack at the price of a missed target: a promise the
device cannot keep is broken rather than a physical limit.
So the closest schedule misses the targets by the least total (MWh), and among such
schedules it is the cheapest.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from flexmeasures.scheduling.problem import StorageProblem

ArrayOrNumber = np.ndarray | float

PENALTY_FACTOR = 1e3
"""Slack costs this many times the most a MWh could be worth, so shortfalls come first."""
BOUND_PENALTY_FACTOR = 10.0
"""Going beyond the SOC bounds costs this many times more than missing a target."""


@dataclass(frozen=True)
class LinearProgram:
    """A (mixed-integer) linear program in standard form; see the module docstring."""

    objective: np.ndarray
    matrix: sp.csc_matrix
    row_lower: np.ndarray
    row_upper: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    integrality: np.ndarray
    columns: dict[str, slice]
    rows: dict[str, slice]
    objective_offset: float = 0.0

    @property
    def n_cols(self) -> int:
        """The number of variables."""
        return len(self.objective)

    @property
    def n_rows(self) -> int:
        """The number of constraint rows."""
        return len(self.row_lower)

    @property
    def nnz(self) -> int:
        """The number of nonzeros in the constraint matrix."""
        return int(self.matrix.nnz)

    @property
    def is_mip(self) -> bool:
        """Whether some variables must be integer."""
        return bool(self.integrality.any())

    def block(self, values: np.ndarray, name: str) -> np.ndarray:
        """The values of one named block of columns, e.g. ``lp.block(x, "soc")``."""
        return values[self.columns[name]]


@dataclass
class _Builder:
    """Collects blocks of columns and rows and the matrix entries between them."""

    columns: dict[str, slice] = field(default_factory=dict)
    rows: dict[str, slice] = field(default_factory=dict)
    col_parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = field(
        default_factory=list
    )
    row_parts: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)
    entries: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=list)
    n_cols: int = 0
    n_rows: int = 0

    def add_columns(
        self,
        name: str,
        lower: ArrayOrNumber,
        upper: ArrayOrNumber,
        cost: np.ndarray,
        integer: bool = False,
    ) -> np.ndarray:
        """Add a block of columns with bounds and costs (arrays); return their indices."""
        size = len(cost)
        self.columns[name] = slice(self.n_cols, self.n_cols + size)
        flags = np.full(size, integer, dtype=bool)
        self.col_parts.append((_full(lower, size), _full(upper, size), np.asarray(cost), flags))
        self.n_cols += size
        return np.arange(self.columns[name].start, self.n_cols)

    def add_rows(
        self, name: str, lower: ArrayOrNumber, upper: ArrayOrNumber, size: int
    ) -> np.ndarray:
        """Add a block of rows with bounds; return their indices."""
        self.rows[name] = slice(self.n_rows, self.n_rows + size)
        self.row_parts.append((_full(lower, size), _full(upper, size)))
        self.n_rows += size
        return np.arange(self.rows[name].start, self.n_rows)

    def add_entries(self, rows: np.ndarray, cols: np.ndarray, values: ArrayOrNumber) -> None:
        """Add matrix entries A[rows, cols] = values (a scalar or an array)."""
        self.entries.append((rows, cols, _full(values, len(rows))))

    def build(self) -> LinearProgram:
        """The LinearProgram with a CSC matrix."""
        lower, upper, cost, integer = (np.concatenate(p) for p in zip(*self.col_parts, strict=True))
        row_lower, row_upper = (np.concatenate(p) for p in zip(*self.row_parts, strict=True))
        rows, cols, values = (np.concatenate(p) for p in zip(*self.entries, strict=True))
        matrix = sp.csc_matrix((values, (rows, cols)), shape=(self.n_rows, self.n_cols))
        return LinearProgram(
            objective=cost.astype(float),
            matrix=matrix,
            row_lower=row_lower.astype(float),
            row_upper=row_upper.astype(float),
            col_lower=lower.astype(float),
            col_upper=upper.astype(float),
            integrality=integer,
            columns=self.columns,
            rows=self.rows,
        )


def _full(value: ArrayOrNumber, size: int) -> np.ndarray:
    """An array of ``size`` from a scalar or an array of that size."""
    return np.broadcast_to(np.asarray(value, dtype=float), (size,))


def build_linear_program(
    problem: StorageProblem,
    *,
    elastic: bool = False,
    exclusive_steps: np.ndarray | None = None,
) -> LinearProgram:
    """The problem as a LinearProgram (costs in currency, power in MW, energy in MWh).

    ``exclusive_steps`` (step indices) get a binary that forbids charging and discharging
    at once;
    ``elastic`` turns SOC bounds, targets and site limits into penalised soft rows.
    """
    builder = _Builder()
    charge, discharge = _add_power_columns(builder, problem)
    if elastic:
        soc = builder.add_columns("soc", -np.inf, np.inf, np.zeros(problem.n_steps))
    else:
        soc = builder.add_columns("soc", *soc_bounds(problem), np.zeros(problem.n_steps))
    _add_dynamics(builder, problem, charge, discharge, soc)
    if problem.site_capacity is not None:
        _add_site_rows(builder, problem, charge, discharge, elastic)
    if problem.power_commitments:
        _add_commitment_rows(builder, problem, (charge, discharge), elastic)
    can_overlap = problem.charging_capacity > 0 and problem.discharging_capacity > 0
    if exclusive_steps is not None and len(exclusive_steps) > 0 and can_overlap:
        _add_exclusivity(builder, problem, charge[exclusive_steps], discharge[exclusive_steps])
    if elastic:
        _add_soft_soc_rows(builder, problem, soc)
    return builder.build()


def soc_bounds(problem: StorageProblem) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper bounds (MWh) of the SOC at each step's end; a target fixes both."""
    lower = np.full(problem.n_steps, problem.soc_min)
    upper = np.full(problem.n_steps, problem.soc_max)
    steps, values = problem.target_steps, problem.soc_targets.to_numpy()
    lower[steps] = values
    upper[steps] = values
    return lower, upper


def shortfall_penalty(problem: StorageProblem) -> np.ndarray:
    """Currency per MWh of slack, per step, in the elastic program: more than any MWh can
    earn or cost."""
    most_per_mwh = float(np.abs(problem.prices.to_numpy()).max())
    most_per_mwh += problem.tie_breaker_slope() * problem.n_steps
    efficiency = problem.charging_efficiency * problem.discharging_efficiency
    return np.full(problem.n_steps, PENALTY_FACTOR * max(most_per_mwh, 1.0) / efficiency)


def _add_power_columns(builder: _Builder, problem: StorageProblem) -> tuple[np.ndarray, np.ndarray]:
    """Charge and discharge columns (MW) with their costs (currency per MW over a step).

    The tie-breaker makes charging cost ``slope·t`` more at step t and discharging earn
    ``slope·(n-1-t)`` less: earlier charging and later discharging win among equals, and
    since both terms are penalties, no cycle can profit from them.
    """
    n, hours, slope = problem.n_steps, problem.step_hours, problem.tie_breaker_slope()
    prices = problem.prices.to_numpy(dtype=float)
    steps = np.arange(n)
    charge_cost = (prices + slope * steps) * hours
    discharge_cost = -(prices - slope * (n - 1 - steps)) * hours
    charge = builder.add_columns("charge", 0.0, problem.charging_capacity, charge_cost)
    discharge = builder.add_columns("discharge", 0.0, problem.discharging_capacity, discharge_cost)
    return charge, discharge


def _add_dynamics(
    builder: _Builder,
    problem: StorageProblem,
    charge: np.ndarray,
    discharge: np.ndarray,
    soc: np.ndarray,
) -> None:
    """soc[t] - soc[t-1] - ηc·h·charge[t] + h/ηd·discharge[t] = 0, soc[-1] = start SOC."""
    n, hours = problem.n_steps, problem.step_hours
    right_hand_side = np.zeros(n)
    right_hand_side[0] = problem.soc_start
    rows = builder.add_rows("dynamics", right_hand_side, right_hand_side, n)
    builder.add_entries(rows, soc, 1.0)
    builder.add_entries(rows[1:], soc[:-1], -1.0)
    builder.add_entries(rows, charge, -problem.charging_efficiency * hours)
    builder.add_entries(rows, discharge, hours / problem.discharging_efficiency)


def _add_site_rows(
    builder: _Builder,
    problem: StorageProblem,
    charge: np.ndarray,
    discharge: np.ndarray,
    elastic: bool,
) -> None:
    """-cap - load[t] <= charge[t] - discharge[t] <= cap - load[t] (MW)."""
    load, capacity = problem.load_array(), float(problem.site_capacity)
    penalty = None
    if elastic:
        penalty = BOUND_PENALTY_FACTOR * shortfall_penalty(problem) * problem.step_hours
    _add_net_power_rows(
        builder, "site", (charge, discharge), (-capacity - load, capacity - load), penalty
    )


def _add_commitment_rows(
    builder: _Builder,
    problem: StorageProblem,
    columns: tuple[np.ndarray, np.ndarray],
    elastic: bool,
) -> None:
    """charge[t] - discharge[t] >= lower[t] and <= upper[t] (MW) where a commitment sets
    them; two blocks, so that contradicting commitments still give an elastic program."""
    lower, upper = problem.commitment_bounds
    penalty = shortfall_penalty(problem) * problem.step_hours
    for name, bounds, is_floor in (("floor", lower, True), ("ceiling", upper, False)):
        steps = np.flatnonzero(np.isfinite(bounds))
        if len(steps) > 0:
            low, high = (bounds[steps], np.inf) if is_floor else (-np.inf, bounds[steps])
            at_steps = (columns[0][steps], columns[1][steps])
            soft = penalty[steps] if elastic else None
            _add_net_power_rows(builder, f"commitment_{name}", at_steps, (low, high), soft)


def _add_net_power_rows(
    builder: _Builder,
    name: str,
    columns: tuple[np.ndarray, np.ndarray],
    bounds: tuple[ArrayOrNumber, ArrayOrNumber],
    penalty: np.ndarray | None,
) -> None:
    """Rows lower <= charge - discharge <= upper (MW) for the given charge and discharge
    columns (of the same steps); with a penalty (per row), soft, with slack columns."""
    charge, discharge = columns
    rows = builder.add_rows(name, bounds[0], bounds[1], len(charge))
    builder.add_entries(rows, charge, 1.0)
    builder.add_entries(rows, discharge, -1.0)
    if penalty is not None:
        _add_slack_columns(builder, name, rows, penalty)


def _add_exclusivity(
    builder: _Builder, problem: StorageProblem, charge: np.ndarray, discharge: np.ndarray
) -> None:
    """charge[t] <= Pc·z[t] and discharge[t] <= Pd·(1 - z[t]), z[t] binary, for the given
    charge and discharge columns (of the same steps)."""
    n = len(charge)
    mode = builder.add_columns("charging_mode", 0.0, 1.0, np.zeros(n), integer=True)
    charge_rows = builder.add_rows("charge_only_when_charging", -np.inf, 0.0, n)
    builder.add_entries(charge_rows, charge, 1.0)
    builder.add_entries(charge_rows, mode, -problem.charging_capacity)
    discharge_rows = builder.add_rows(
        "discharge_only_when_not_charging", -np.inf, problem.discharging_capacity, n
    )
    builder.add_entries(discharge_rows, discharge, 1.0)
    builder.add_entries(discharge_rows, mode, problem.discharging_capacity)


def _add_soft_soc_rows(builder: _Builder, problem: StorageProblem, soc: np.ndarray) -> None:
    """soc[t] + under - over within [soc_min, soc_max], and = target at each target step."""
    penalty = shortfall_penalty(problem)
    bounds = builder.add_rows("soc_bounds", problem.soc_min, problem.soc_max, problem.n_steps)
    builder.add_entries(bounds, soc, 1.0)
    _add_slack_columns(builder, "soc", bounds, BOUND_PENALTY_FACTOR * penalty)
    steps, values = problem.target_steps, problem.soc_targets.to_numpy(dtype=float)
    targets = builder.add_rows("soc_targets", values, values, len(steps))
    builder.add_entries(targets, soc[steps], 1.0)
    _add_slack_columns(builder, "target", targets, penalty[steps])


def _add_slack_columns(builder: _Builder, name: str, rows: np.ndarray, penalty: np.ndarray) -> None:
    """Columns ``{name}_under`` (+1) and ``{name}_over`` (-1) in the given rows, each unit
    costing ``penalty`` (per row)."""
    under = builder.add_columns(f"{name}_under", 0.0, np.inf, penalty)
    over = builder.add_columns(f"{name}_over", 0.0, np.inf, penalty)
    builder.add_entries(rows, under, 1.0)
    builder.add_entries(rows, over, -1.0)
