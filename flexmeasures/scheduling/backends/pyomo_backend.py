"""CBC, GLPK and HiGHS through Pyomo, from the same arrays as every other backend.

The Pyomo model knows nothing about storage: it has one variable per column and one
constraint per row of the LinearProgram, each row's linear expression read from the CSR
matrix. So there is no second copy of the storage model to keep in sync.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable

import numpy as np
import pyomo.environ as pyo
from pyomo.core.expr.numeric_expr import LinearExpression
from pyomo.opt import SolverStatus, TerminationCondition

from flexmeasures.scheduling.backends.result import INFEASIBLE, OPTIMAL, UNBOUNDED, LpSolution
from flexmeasures.scheduling.formulation import LinearProgram

_FACTORY_NAMES = {"cbc": "cbc", "glpk": "glpk", "appsi_highs": "appsi_highs"}
_MIP_GAP_OPTION = {"cbc": "ratioGap", "glpk": "mipgap", "appsi_highs": "mip_rel_gap"}
MIP_RELATIVE_GAP = 1e-9

_STATUS = {
    TerminationCondition.optimal: OPTIMAL,
    TerminationCondition.infeasible: INFEASIBLE,
    TerminationCondition.infeasibleOrUnbounded: INFEASIBLE,
    TerminationCondition.unbounded: UNBOUNDED,
}


def _bound(value: float) -> float | None:
    """A bound for Pyomo: None for an infinite one."""
    return None if math.isinf(value) else float(value)


def build_pyomo_model(lp: LinearProgram) -> pyo.ConcreteModel:
    """A Pyomo model over the LinearProgram's column and row indices.

    ``model.x[j]`` is column j; ``model.rows[i]`` is row_lower[i] <= A[i, :] x <= row_upper[i].
    """
    model = pyo.ConcreteModel()
    lower = [_bound(value) for value in lp.col_lower]
    upper = [_bound(value) for value in lp.col_upper]
    integer = lp.integrality.tolist()
    model.x = pyo.Var(
        range(lp.n_cols),
        domain=lambda _, j: pyo.Integers if integer[j] else pyo.Reals,
        bounds=lambda _, j: (lower[j], upper[j]),
    )
    variables = [model.x[j] for j in range(lp.n_cols)]
    model.rows = pyo.Constraint(range(lp.n_rows), rule=_row_rule(lp, variables))
    costs = np.flatnonzero(lp.objective)
    model.objective = pyo.Objective(
        expr=LinearExpression(
            constant=float(lp.objective_offset),
            linear_coefs=lp.objective[costs].tolist(),
            linear_vars=[variables[j] for j in costs],
        ),
        sense=pyo.minimize,
    )
    return model


def _row_rule(lp: LinearProgram, variables: list) -> Callable:
    """The rule that builds row i of the constraint matrix as a Pyomo constraint."""
    matrix = lp.matrix.tocsr()
    starts, columns, values = matrix.indptr, matrix.indices.tolist(), matrix.data.tolist()
    row_lower = [_bound(value) for value in lp.row_lower]
    row_upper = [_bound(value) for value in lp.row_upper]

    def rule(_, i: int):
        first, last = starts[i], starts[i + 1]
        body = LinearExpression(
            constant=0.0,
            linear_coefs=values[first:last],
            linear_vars=[variables[j] for j in columns[first:last]],
        )
        if row_lower[i] is not None and row_lower[i] == row_upper[i]:
            return body == row_lower[i]
        if row_lower[i] is None and row_upper[i] is None:
            return pyo.Constraint.Skip
        return (row_lower[i], body, row_upper[i])

    return rule


def pyomo_solver(solver: str) -> Callable[[LinearProgram], LpSolution]:
    """A backend function for a Pyomo solver name (cbc, glpk or appsi_highs)."""
    return functools.partial(solve_with_pyomo, solver=solver)


def solve_with_pyomo(lp: LinearProgram, solver: str) -> LpSolution:
    """Build the Pyomo model from the arrays and solve it; timings in seconds."""
    started = time.perf_counter()
    model = build_pyomo_model(lp)
    optimizer = pyo.SolverFactory(_FACTORY_NAMES[solver])
    if lp.is_mip:
        optimizer.options[_MIP_GAP_OPTION[solver]] = MIP_RELATIVE_GAP
    built = time.perf_counter()
    results = optimizer.solve(model, load_solutions=False)
    condition = results.solver.termination_condition
    status = _STATUS.get(condition, str(condition))
    values = objective = None
    if status == OPTIMAL and results.solver.status in (SolverStatus.ok, SolverStatus.warning):
        model.solutions.load_from(results)
        values = np.array([model.x[j].value for j in range(lp.n_cols)], dtype=float)
        objective = float(pyo.value(model.objective))
    solved = time.perf_counter()
    return LpSolution(status, values, objective, solver, built - started, solved - built)
