"""Independent reference for the scheduling tests: the physical storage problem written by
hand for ``scipy.optimize.linprog``, with the SOC as running sums of the powers (not the
package's step-by-step SOC variables) and a binary per step that forbids charging and
discharging at once. Nothing here reads the package's formulation arrays."""

from __future__ import annotations

import numpy as np
from scipy.optimize import linprog


def reference_optimum(
    prices,
    hours: float,
    charging_capacity: float,
    discharging_capacity: float,
    soc_min: float,
    soc_max: float,
    soc_start: float,
    targets: dict[int, float] | None = None,
    charging_efficiency: float = 1.0,
    discharging_efficiency: float = 1.0,
    load=None,
    site_capacity: float | None = None,
) -> float | None:
    """The least cost (currency) of a physically feasible schedule, or None if there is none.

    ``targets`` maps a step index to the SOC (MWh) required at that step's end.
    """
    prices = np.asarray(prices, dtype=float)
    n = len(prices)
    # variables: charge (n), discharge (n), is_charging (n, binary)
    cost = np.concatenate([prices * hours, -prices * hours, np.zeros(n)])
    running_sum = np.tril(np.ones((n, n)))
    soc_from_powers = np.hstack(
        [
            running_sum * charging_efficiency * hours,
            -running_sum * hours / discharging_efficiency,
            np.zeros((n, n)),
        ]
    )
    identity, zeros = np.eye(n), np.zeros((n, n))
    a_ub = [soc_from_powers, -soc_from_powers]
    b_ub = [np.full(n, soc_max - soc_start), np.full(n, soc_start - soc_min)]
    a_ub += [
        np.hstack([identity, zeros, -charging_capacity * identity]),
        np.hstack([zeros, identity, discharging_capacity * identity]),
    ]
    b_ub += [np.zeros(n), np.full(n, discharging_capacity)]
    if site_capacity is not None:
        load = np.zeros(n) if load is None else np.asarray(load, dtype=float)
        net = np.hstack([identity, -identity, zeros])
        a_ub += [net, -net]
        b_ub += [site_capacity - load, site_capacity + load]
    a_eq = b_eq = None
    if targets:
        steps = sorted(targets)
        a_eq = soc_from_powers[steps]
        b_eq = np.array([targets[step] - soc_start for step in steps])
    bounds = [(0, charging_capacity)] * n + [(0, discharging_capacity)] * n + [(0, 1)] * n
    result = linprog(
        cost,
        A_ub=np.vstack(a_ub),
        b_ub=np.concatenate(b_ub),
        A_eq=a_eq,
        b_eq=b_eq,
        bounds=bounds,
        integrality=np.r_[np.zeros(2 * n), np.ones(n)],
        method="highs",
        options={"mip_rel_gap": 1e-10, "primal_feasibility_tolerance": 1e-9},
    )
    return float(result.fun) if result.status == 0 else None
