"""What a solver backend returns."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

OPTIMAL = "optimal"
INFEASIBLE = "infeasible"
UNBOUNDED = "unbounded"


@dataclass(frozen=True)
class LpSolution:
    """The outcome of solving a LinearProgram.

    ``status`` is "optimal", "infeasible", "unbounded" or the solver's own words for any
    other outcome; ``values`` holds the variables (None without a solution), ``objective``
    the objective value in currency; the timings are in seconds: ``build_seconds`` for
    handing the arrays to the solver (or building the Pyomo model), ``solve_seconds`` for
    the solve itself.
    """

    status: str
    values: np.ndarray | None
    objective: float | None
    solver: str
    build_seconds: float
    solve_seconds: float

    @property
    def optimal(self) -> bool:
        """Whether the solver proved its solution optimal."""
        return self.status == OPTIMAL and self.values is not None
