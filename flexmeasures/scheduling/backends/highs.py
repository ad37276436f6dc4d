"""HiGHS in-process (highspy): the arrays are handed over in one ``passModel`` call."""

from __future__ import annotations

import time

import highspy
import numpy as np

from flexmeasures.scheduling.backends.result import INFEASIBLE, OPTIMAL, UNBOUNDED, LpSolution
from flexmeasures.scheduling.formulation import LinearProgram

# The public ``highspy.Highs`` wraps this core class with Python callbacks we do not use and
# prints a licence banner to stdout on first use (noise in CLI output and worker logs).
_HighsCore = getattr(highspy, "_Highs", highspy.Highs)

MIP_RELATIVE_GAP = 1e-9
"""HiGHS stops a MILP at 1e-4 relative gap by default; schedules must be optimal."""

_STATUS = {
    highspy.HighsModelStatus.kOptimal: OPTIMAL,
    highspy.HighsModelStatus.kInfeasible: INFEASIBLE,
    highspy.HighsModelStatus.kUnbounded: UNBOUNDED,
    highspy.HighsModelStatus.kUnboundedOrInfeasible: INFEASIBLE,
}


def _pass_model(highs: _HighsCore, lp: LinearProgram) -> None:
    """Hand the LinearProgram's arrays to HiGHS (column-wise matrix), without copies per entry."""
    matrix = lp.matrix
    status = highs.passModel(
        lp.n_cols,
        lp.n_rows,
        lp.nnz,
        int(highspy.MatrixFormat.kColwise),
        int(highspy.ObjSense.kMinimize),
        float(lp.objective_offset),
        lp.objective,
        lp.col_lower,
        lp.col_upper,
        lp.row_lower,
        lp.row_upper,
        matrix.indptr.astype(np.int32),
        matrix.indices.astype(np.int32),
        matrix.data.astype(float),
        lp.integrality.astype(np.int32),
    )
    if status == highspy.HighsStatus.kError:
        raise RuntimeError("HiGHS refused the model (passModel returned an error).")


def solve_with_highs(lp: LinearProgram) -> LpSolution:
    """Solve a LinearProgram with HiGHS; timings in seconds."""
    started = time.perf_counter()
    highs = _HighsCore()
    highs.setOptionValue("output_flag", False)
    if lp.is_mip:
        highs.setOptionValue("mip_rel_gap", MIP_RELATIVE_GAP)
    _pass_model(highs, lp)
    built = time.perf_counter()
    highs.run()
    solved = time.perf_counter()
    model_status = highs.getModelStatus()
    status = _STATUS.get(model_status, highs.modelStatusToString(model_status))
    has_solution = highs.getInfo().primal_solution_status == highspy.kSolutionStatusFeasible
    values = np.asarray(highs.getSolution().col_value) if has_solution else None
    objective = highs.getInfo().objective_function_value if has_solution else None
    return LpSolution(status, values, objective, "highs", built - started, solved - built)
