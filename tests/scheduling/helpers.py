"""Building problems and checking schedules, for the scheduling tests."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd

from flexmeasures.scheduling import StorageProblem, StorageSchedule

TOLERANCE = 1e-6
START = pd.Timestamp("2015-06-02 10:00", tz="UTC")


def make_problem(prices, resolution=timedelta(hours=1), targets=None, **settings) -> StorageProblem:
    """A StorageProblem from a list of prices starting at START; targets map step → MWh
    (the SOC at the end of that step). Defaults: 1 MW both ways, 0-1 MWh, start empty,
    no tie-breaker."""
    index = pd.date_range(START, periods=len(prices), freq=resolution)
    target_series = pd.Series(
        list((targets or {}).values()),
        index=pd.DatetimeIndex([index[step] + resolution for step in (targets or {})]),
        dtype=float,
    )
    defaults = dict(
        charging_capacity=1.0,
        discharging_capacity=1.0,
        soc_max=1.0,
        soc_min=0.0,
        soc_start=0.0,
        prefer_charging_sooner=False,
        soc_targets=target_series,
    )
    defaults.update(settings)
    return StorageProblem(pd.Series(prices, index=index, dtype=float), resolution, **defaults)


def reference_arguments(problem: StorageProblem) -> dict:
    """The keyword arguments of reference_optimum for a problem."""
    return dict(
        prices=problem.prices.to_numpy(),
        hours=problem.step_hours,
        charging_capacity=problem.charging_capacity,
        discharging_capacity=problem.discharging_capacity,
        soc_min=problem.soc_min,
        soc_max=problem.soc_max,
        soc_start=problem.soc_start,
        targets=dict(zip(problem.target_steps.tolist(), problem.soc_targets.tolist(), strict=True)),
        charging_efficiency=problem.charging_efficiency,
        discharging_efficiency=problem.discharging_efficiency,
        load=None if problem.inflexible_load is None else problem.inflexible_load.to_numpy(),
        site_capacity=problem.site_capacity,
    )


def soc_after(problem: StorageProblem, power: np.ndarray) -> np.ndarray:
    """The SOC (MWh) at each step's end if the device follows the net power (MW)."""
    change = problem.charging_efficiency * np.maximum(power, 0)
    change += np.minimum(power, 0) / problem.discharging_efficiency
    return problem.soc_start + np.cumsum(change * problem.step_hours)


def cost_of(problem: StorageProblem, power: np.ndarray) -> float:
    """What following the net power (MW) costs at the problem's prices (currency)."""
    return float((problem.prices.to_numpy() * power).sum() * problem.step_hours)


def assert_within_limits(
    problem: StorageProblem, schedule: StorageSchedule, check_site: bool = True
) -> None:
    """Power within capacities, the SOC follows from the power without charging and
    discharging at once, and (if ``check_site``) the site stays within its connection
    capacity."""
    power = schedule.power.to_numpy()
    assert schedule.power.index.equals(problem.prices.index)
    assert schedule.soc.index.equals(problem.step_ends)
    assert (power <= problem.charging_capacity + TOLERANCE).all()
    assert (power >= -problem.discharging_capacity - TOLERANCE).all()
    np.testing.assert_allclose(schedule.soc.to_numpy(), soc_after(problem, power), atol=1e-5)
    if check_site and problem.site_capacity is not None:
        site = problem.load_array() + power
        assert (np.abs(site) <= problem.site_capacity + TOLERANCE).all()
    assert abs(schedule.expected_cost - cost_of(problem, power)) < 1e-6


def assert_feasible_schedule(problem: StorageProblem, schedule: StorageSchedule) -> None:
    """The schedule is optimal and meets every limit, SOC bound and target."""
    assert schedule.optimal, schedule.message
    assert schedule.explanation == [] and schedule.shortfalls == []
    assert_within_limits(problem, schedule)
    soc = schedule.soc.to_numpy()
    assert (soc >= problem.soc_min - TOLERANCE).all()
    assert (soc <= problem.soc_max + TOLERANCE).all()
    for moment, target in problem.soc_targets.items():
        assert abs(schedule.soc[moment] - target) < TOLERANCE


def assert_same_cost(cost: float, optimum: float, relative: float = 1e-6) -> None:
    """Costs agree to a relative tolerance (absolute near zero)."""
    assert abs(cost - optimum) <= relative * max(1.0, abs(optimum)), (cost, optimum)
