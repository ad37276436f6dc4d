"""Solver backends: each takes a LinearProgram and returns an LpSolution.

Names (the values of FLEXMEASURES_LP_SOLVER):

- ``highs`` (default): HiGHS in-process through highspy (from PyPI);
- ``cbc``: CBC through Pyomo (needs the ``cbc`` binary, Debian package coinor-cbc);
- ``glpk``: GLPK through Pyomo (needs ``glpsol``, Debian package glpk-utils);
- ``appsi_highs`` (alias ``pyomo_highs``): HiGHS through Pyomo's APPSI interface.
"""

from __future__ import annotations

import functools
import importlib.util
import shutil
from collections.abc import Callable

from flexmeasures.scheduling.backends.result import LpSolution
from flexmeasures.scheduling.errors import UnknownSolverError
from flexmeasures.scheduling.formulation import LinearProgram

DEFAULT_SOLVER = "highs"
SOLVERS = ("highs", "cbc", "glpk", "appsi_highs")
ALIASES = {"pyomo_highs": "appsi_highs", "pyomo-highs": "appsi_highs", "appsi-highs": "appsi_highs"}
_BINARIES = {"cbc": "cbc", "glpk": "glpsol"}

__all__ = ["LpSolution", "SOLVERS", "available_solvers", "backend", "resolve_solver", "solve_lp"]


@functools.cache
def _has_module(name: str) -> bool:
    """Whether a Python package can be imported here (looked up once per process)."""
    return importlib.util.find_spec(name) is not None


def _is_available(solver: str) -> bool:
    """Whether a (canonical) solver name can run on this machine."""
    if solver == "highs":
        return _has_module("highspy")
    if not _has_module("pyomo"):
        return False
    if solver == "appsi_highs":
        return _has_module("highspy")
    return shutil.which(_BINARIES[solver]) is not None


def available_solvers() -> list[str]:
    """The solver names (values of FLEXMEASURES_LP_SOLVER) that can run on this machine."""
    return [solver for solver in SOLVERS if _is_available(solver)]


def resolve_solver(name: str | None) -> str:
    """The canonical name of an installed solver; UnknownSolverError lists the ones there are.

    ``None`` or an empty name means the default (``highs``); names are case-insensitive.
    """
    wanted = (name or DEFAULT_SOLVER).strip().lower()
    solver = ALIASES.get(wanted, wanted)
    if solver in SOLVERS and _is_available(solver):
        return solver
    available = ", ".join(available_solvers()) or "none"
    if solver not in SOLVERS:
        raise UnknownSolverError(
            f"Unknown LP solver '{name}' (FLEXMEASURES_LP_SOLVER). Available here: {available}."
        )
    raise UnknownSolverError(
        f"The LP solver '{name}' (FLEXMEASURES_LP_SOLVER) is not installed here "
        f"(see ci/install-solvers.sh). Available here: {available}."
    )


def backend(solver: str) -> Callable[[LinearProgram], LpSolution]:
    """The function that solves a LinearProgram with a canonical solver name."""
    if solver == "highs":
        from flexmeasures.scheduling.backends.highs import solve_with_highs

        return solve_with_highs
    from flexmeasures.scheduling.backends.pyomo_backend import pyomo_solver

    return pyomo_solver(solver)


def solve_lp(lp: LinearProgram, solver: str | None = DEFAULT_SOLVER) -> LpSolution:
    """Solve a LinearProgram with the named solver (see ``resolve_solver``)."""
    return backend(resolve_solver(solver))(lp)
