"""Property-based tests: on random prices, capacities, efficiencies and targets, a feasible
problem gets an optimal schedule within every limit that costs no more than a naive one
and exactly the independent optimum; an infeasible one gets an explanation."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from flexmeasures.scheduling import StorageProblem, schedule_storage
from tests.scheduling.helpers import (
    assert_feasible_schedule,
    assert_same_cost,
    assert_within_limits,
    cost_of,
    make_problem,
    reference_arguments,
)
from tests.scheduling.reference import reference_optimum

hypothesis = pytest.importorskip("hypothesis")
st = hypothesis.strategies


@st.composite
def storage_problems(draw) -> StorageProblem:
    """A random small storage problem (power in MW, energy in MWh)."""
    steps = draw(st.integers(1, 12))
    prices = draw(st.lists(st.integers(-20, 100), min_size=steps, max_size=steps))
    soc_max = draw(st.sampled_from([0.5, 1.0, 2.0]))
    soc_min = draw(st.sampled_from([0.0, 0.1]))
    targets = {}
    if draw(st.booleans()):
        step = draw(st.integers(0, steps - 1))
        targets[step] = draw(st.sampled_from([0.0, 0.3, 0.5, 1.0, 1.5]))
    return make_problem(
        prices,
        resolution=draw(st.sampled_from([timedelta(minutes=15), timedelta(hours=1)])),
        targets=targets,
        charging_capacity=draw(st.sampled_from([0.0, 0.25, 0.5, 1.0])),
        discharging_capacity=draw(st.sampled_from([0.0, 0.25, 1.0])),
        soc_min=soc_min,
        soc_max=soc_max,
        soc_start=draw(st.sampled_from([soc_min, soc_max / 2, soc_max])),
        charging_efficiency=draw(st.sampled_from([1.0, 0.95, 0.8])),
        discharging_efficiency=draw(st.sampled_from([1.0, 0.9])),
    )


def naive_power(problem: StorageProblem) -> np.ndarray:
    """Head for the target at full power, then stay idle (MW per step).

    Feasible whenever the problem is: the start SOC is within bounds here, and the SOC moves
    monotonically from it towards a target that is within bounds and reachable in time.
    """
    power = np.zeros(problem.n_steps)
    if len(problem.soc_targets) == 0:
        return power
    needed = problem.soc_targets.iloc[0] - problem.soc_start
    step_energy = (
        problem.charging_capacity * problem.charging_efficiency
        if needed > 0
        else problem.discharging_capacity / problem.discharging_efficiency
    ) * problem.step_hours
    remaining = abs(needed)
    for step in range(problem.target_steps[0] + 1):
        share = min(1.0, remaining / step_energy) if step_energy > 0 else 0.0
        power[step] = share * (
            problem.charging_capacity if needed > 0 else -problem.discharging_capacity
        )
        remaining -= share * step_energy
    return power


@pytest.mark.slow
@hypothesis.settings(max_examples=120, deadline=None, derandomize=True)
@hypothesis.given(storage_problems())
def test_feasible_problems_get_optimal_schedules_within_limits(problem):
    schedule = schedule_storage(problem)
    optimum = reference_optimum(**reference_arguments(problem))
    if optimum is None:
        assert schedule.status == "infeasible"
        assert schedule.explanation and schedule.shortfalls
        assert_within_limits(problem, schedule)
        return
    assert_feasible_schedule(problem, schedule)
    assert_same_cost(schedule.expected_cost, optimum)
    assert schedule.expected_cost <= cost_of(problem, naive_power(problem)) + 1e-6
