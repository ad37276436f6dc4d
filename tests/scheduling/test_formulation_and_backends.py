"""One formulation as sparse arrays, several solver backends reading it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from flexmeasures.scheduling import UnknownSolverError, available_solvers, schedule_storage
from flexmeasures.scheduling.backends import SOLVERS, resolve_solver, solve_lp
from flexmeasures.scheduling.formulation import LinearProgram, build_linear_program
from tests.scheduling.helpers import (
    START,
    assert_feasible_schedule,
    assert_same_cost,
    make_problem,
)

INSTALLED = available_solvers()


def solver_params() -> list:
    """Every known solver, skipped where it is not installed."""
    return [
        pytest.param(
            solver, marks=pytest.mark.skipif(solver not in INSTALLED, reason=f"{solver} missing")
        )
        for solver in SOLVERS
    ]


def storage_problems() -> dict:
    """Problems of several kinds: LP, one needing the no-overlap binaries, with a site."""
    rng = np.random.default_rng(7)
    prices = np.round(rng.uniform(-20, 80, 24), 2)
    index = pd.date_range(START, periods=24, freq="h")
    return {
        "lossless": make_problem(prices, targets={23: 0.5}, soc_max=2.0),
        "lossy, negative prices": make_problem(
            prices, charging_efficiency=0.9, discharging_efficiency=0.85, soc_start=1.0
        ),
        "site capacity": make_problem(
            prices,
            inflexible_load=pd.Series(rng.uniform(-1, 1, 24), index=index),
            site_capacity=1.2,
            prefer_charging_sooner=True,
        ),
    }


def _nonzeros(steps: int, **settings) -> int:
    prices = np.arange(steps, dtype=float)
    return build_linear_program(make_problem(prices, **settings)).nnz


def test_nonzeros_grow_linearly_with_the_horizon():
    for settings in ({}, {"site_capacity": 1.0}):
        sizes = [_nonzeros(steps, **settings) for steps in (96, 192, 672)]
        per_step = (sizes[1] - sizes[0]) / 96
        assert per_step <= 6  # charge, discharge, soc (twice) in dynamics; +2 per site row
        assert sizes[2] - sizes[0] == per_step * (672 - 96)


def test_the_program_has_one_block_per_quantity():
    problem = make_problem([10, 20, 30], targets={1: 0.5}, soc_start=0.2)
    lp = build_linear_program(problem)
    assert isinstance(lp.matrix, sp.csc_matrix)
    assert lp.matrix.shape == (lp.n_rows, lp.n_cols) == (3, 9)
    assert not lp.is_mip
    assert lp.col_lower[lp.columns["soc"]].tolist() == [0.0, 0.5, 0.0]
    assert lp.col_upper[lp.columns["soc"]].tolist() == [1.0, 0.5, 1.0]
    assert lp.row_lower[lp.rows["dynamics"]].tolist() == [0.2, 0.0, 0.0]
    exclusive = build_linear_program(problem, exclusive_steps=np.arange(3))
    assert exclusive.is_mip and exclusive.integrality.sum() == 3


@pytest.mark.parametrize("solver", solver_params())
def test_backends_solve_any_program_not_only_storage(solver):
    """A small MILP unrelated to storage: max 5x + 4y, 6x + 4y <= 24, x + 2y <= 6, x integer."""
    lp = LinearProgram(
        objective=np.array([-5.0, -4.0]),
        matrix=sp.csc_matrix(np.array([[6.0, 4.0], [1.0, 2.0]])),
        row_lower=np.array([-np.inf, -np.inf]),
        row_upper=np.array([24.0, 6.0]),
        col_lower=np.zeros(2),
        col_upper=np.array([np.inf, np.inf]),
        integrality=np.array([True, False]),
        columns={"x": slice(0, 1), "y": slice(1, 2)},
        rows={"capacity": slice(0, 2)},
    )
    solution = solve_lp(lp, solver)
    assert solution.optimal and solution.solver == solver
    assert solution.objective == pytest.approx(-21.0)
    np.testing.assert_allclose(solution.values, [3.0, 1.5], atol=1e-7)


@pytest.mark.parametrize("solver", solver_params())
@pytest.mark.parametrize("name", list(storage_problems()))
def test_all_installed_backends_agree_on_the_objective(solver, name):
    problem = storage_problems()[name]
    schedule = schedule_storage(problem, solver)
    assert_feasible_schedule(problem, schedule)
    assert schedule.solver == solver
    assert schedule.build_seconds >= 0 and schedule.solve_seconds >= 0
    assert_same_cost(schedule.expected_cost, schedule_storage(problem, "highs").expected_cost)


def test_solver_names_follow_the_setting():
    assert resolve_solver(None) == "highs"
    assert resolve_solver(" HiGHS ") == "highs"
    if "appsi_highs" in INSTALLED:
        assert resolve_solver("pyomo_highs") == "appsi_highs"


def test_an_unknown_solver_lists_the_available_ones():
    with pytest.raises(UnknownSolverError) as error:
        schedule_storage(make_problem([10, 20]), "gurobi")
    assert "Unknown LP solver 'gurobi'" in str(error.value)
    assert f"Available here: {', '.join(INSTALLED)}." in str(error.value)


def test_a_solver_whose_binary_is_missing_says_so(monkeypatch):
    import flexmeasures.scheduling.backends as backends

    monkeypatch.setattr(backends.shutil, "which", lambda name: None)
    assert "cbc" not in available_solvers() and "glpk" not in available_solvers()
    with pytest.raises(UnknownSolverError, match="'cbc' .* is not installed here"):
        resolve_solver("cbc")
