"""Property-based tests: on random prices, capacities, efficiencies and targets, a feasible
problem gets an optimal schedule within every limit that costs no more than a naive one
and exactly the independent optimum; an infeasible one gets an explanation."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from flexmeasures.scheduling import StorageProblem, schedule_storage
from tests.scheduling.helpers import (
    START,
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
    """A random small storage problem (power in MW, energy in MWh), a third of them with a
    site load and connection capacity."""
    steps = draw(st.integers(1, 12))
    resolution = draw(st.sampled_from([timedelta(minutes=15), timedelta(hours=1)]))
    prices = draw(st.lists(st.integers(-20, 100), min_size=steps, max_size=steps))
    soc_max = draw(st.sampled_from([0.5, 1.0, 2.0]))
    soc_min = draw(st.sampled_from([0.0, 0.1]))
    target_steps = draw(st.lists(st.integers(0, steps - 1), max_size=2, unique=True))
    targets = {
        step: draw(st.sampled_from([0.0, 0.3, 0.5, 1.0, 1.5])) for step in sorted(target_steps)
    }
    site = {}
    if draw(st.integers(0, 2)) == 0:
        loads = draw(
            st.lists(st.sampled_from([-1.5, -0.5, 0.0, 0.5, 1.5]), min_size=steps, max_size=steps)
        )
        index = pd.date_range(START, periods=steps, freq=resolution)
        site = dict(
            inflexible_load=pd.Series(loads, index=index),
            site_capacity=draw(st.sampled_from([0.5, 1.0])),
        )
    return make_problem(
        prices,
        resolution=resolution,
        **site,
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
    """Head for each target in turn at full power, then stay idle (MW per step).

    Feasible whenever the problem is (without a site capacity): the start SOC is within
    bounds here, and between targets the SOC moves monotonically from one value within
    bounds to the next, which is reachable in time.
    """
    power = np.zeros(problem.n_steps)
    soc, first_step = problem.soc_start, 0
    for last_step, target in zip(problem.target_steps, problem.soc_targets, strict=True):
        power[first_step : last_step + 1] = _head_for(
            problem, target - soc, last_step - first_step + 1
        )
        soc, first_step = target, last_step + 1
    return power


def _head_for(problem: StorageProblem, needed: float, steps: int) -> np.ndarray:
    """Net power (MW) per step that changes the SOC by ``needed`` MWh as soon as possible."""
    power = np.zeros(steps)
    charging = needed > 0
    capacity = problem.charging_capacity if charging else -problem.discharging_capacity
    efficiency = problem.charging_efficiency if charging else 1 / problem.discharging_efficiency
    step_energy = abs(capacity) * efficiency * problem.step_hours
    remaining = abs(needed)
    for step in range(steps):
        share = min(1.0, remaining / step_energy) if step_energy > 0 else 0.0
        power[step] = share * capacity
        remaining -= share * step_energy
    return power


@pytest.mark.slow
@hypothesis.settings(max_examples=120, deadline=None, derandomize=True, database=None)
@hypothesis.given(storage_problems())
def test_feasible_problems_get_optimal_schedules_within_limits(problem):
    schedule = schedule_storage(problem)
    optimum = reference_optimum(**reference_arguments(problem))
    if optimum is None:
        assert schedule.status == "infeasible"
        assert schedule.explanation and schedule.shortfalls
        # the site may be over its capacity where its own load leaves no choice
        assert_within_limits(problem, schedule, check_site=False)
        return
    assert_feasible_schedule(problem, schedule)
    assert_same_cost(schedule.expected_cost, optimum)
    if problem.site_capacity is None:
        assert schedule.expected_cost <= cost_of(problem, naive_power(problem)) + 1e-6
