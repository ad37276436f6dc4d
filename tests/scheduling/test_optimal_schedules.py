"""Optimal storage schedules on small cases with known optima, checked against an
independent linprog model."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from flexmeasures.scheduling import power_limits_for_asset_type, schedule_storage
from tests.scheduling.helpers import (
    assert_feasible_schedule,
    assert_same_cost,
    make_problem,
    reference_arguments,
)
from tests.scheduling.reference import reference_optimum

KNOWN_OPTIMA = {
    "arbitrage twice": (dict(prices=[10, 50, 10, 50]), -80.0, [1, -1, 1, -1]),
    "full at the end": (dict(prices=[10, 50, 10, 50], targets={3: 1.0}), -30.0, [1, -1, 1, 0]),
    "losses both ways": (
        dict(prices=[10, 50], charging_efficiency=0.9, discharging_efficiency=0.9),
        10 - 50 * 0.81,
        [1, -0.81],
    ),
    # On paper, charging 1 MW while discharging 0.81 MW earns money at a negative price,
    # but a full battery cannot do both at once: the physical optimum is to stay idle.
    "no charging while discharging": (
        dict(
            prices=[-100],
            soc_start=1.0,
            charging_efficiency=0.9,
            discharging_efficiency=0.9,
        ),
        0.0,
        [0],
    ),
    "site capacity limits charging": (
        dict(prices=[10, 50], load=[0.5, 0.0], site_capacity=0.75),
        0.25 * 10 - 0.25 * 50,
        [0.25, -0.25],
    ),
}


def _problem(case: dict):
    """A problem from a case, turning a load list into a Series."""
    case = dict(case)
    load = case.pop("load", None)
    problem = make_problem(**case)
    if load is not None:
        problem = make_problem(**case, inflexible_load=pd.Series(load, index=problem.prices.index))
    return problem


@pytest.mark.parametrize("name", KNOWN_OPTIMA)
def test_known_optimum_is_found_and_matches_linprog(name):
    case, optimum, power = KNOWN_OPTIMA[name]
    problem = _problem(case)
    schedule = schedule_storage(problem)
    assert_feasible_schedule(problem, schedule)
    assert_same_cost(schedule.expected_cost, optimum)
    assert_same_cost(schedule.expected_cost, reference_optimum(**reference_arguments(problem)))
    np.testing.assert_allclose(schedule.power.to_numpy(), power, atol=1e-6)


def test_seed_example_schedule_reaches_the_target_at_16h():
    """12.1 kWh at 10:00, a target of 25 kWh at 16:00, at 15-minute steps."""
    problem = make_problem(
        prices=np.linspace(60, 20, 32),
        resolution=timedelta(minutes=15),
        targets={23: 0.025},
        charging_capacity=0.01,
        discharging_capacity=0.01,
        soc_max=0.03,
        soc_start=0.0121,
    )
    schedule = schedule_storage(problem)
    assert_feasible_schedule(problem, schedule)
    assert schedule.soc[pd.Timestamp("2015-06-02 16:00", tz="UTC")] == pytest.approx(0.025)
    assert_same_cost(schedule.expected_cost, reference_optimum(**reference_arguments(problem)))


def test_charging_happens_when_prices_are_low():
    prices = [80, 70, 20, 15, 60, 90, 10, 85]
    problem = make_problem(prices, targets={7: 1.0}, charging_capacity=0.5, discharging_capacity=0)
    schedule = schedule_storage(problem)
    assert_feasible_schedule(problem, schedule)
    charging_steps = set(np.flatnonzero(schedule.power.to_numpy() > 1e-6))
    assert charging_steps == {3, 6}  # the two cheapest hours (15 and 10)


def test_one_way_evse_never_discharges_even_when_that_pays():
    charging, discharging = power_limits_for_asset_type("one-way_evse", 1.0)
    problem = make_problem(
        [90, 10, 90, 10, 90],
        soc_start=0.5,
        charging_capacity=charging,
        discharging_capacity=discharging,
    )
    schedule = schedule_storage(problem)
    assert_feasible_schedule(problem, schedule)
    assert (schedule.power >= 0).all()
    two_way = make_problem(
        [90, 10, 90, 10, 90], soc_start=0.5, discharging_capacity=1.0, charging_capacity=1.0
    )
    assert (schedule_storage(two_way).power < 0).any()


def test_tie_breaker_charges_at_the_earliest_of_equally_cheap_steps():
    """An EV charger (no discharging, so no arbitrage) needs 1 MWh by the end."""
    for prices, first_cheapest in (([20, 20, 20, 20], 0), ([30, 10, 20, 10, 30], 1)):
        problem = make_problem(
            prices,
            targets={len(prices) - 1: 1.0},
            discharging_capacity=0.0,
            prefer_charging_sooner=True,
        )
        schedule = schedule_storage(problem)
        assert_feasible_schedule(problem, schedule)
        expected = np.zeros(len(prices))
        expected[first_cheapest] = 1.0
        np.testing.assert_allclose(schedule.power.to_numpy(), expected, atol=1e-6)


def test_tie_breaker_discharges_at_the_latest_of_equally_good_steps():
    problem = make_problem(
        [50, 10, 50],
        soc_start=1.0,
        targets={2: 0.0},
        charging_capacity=0.0,
        prefer_charging_sooner=True,
    )
    schedule = schedule_storage(problem)
    np.testing.assert_allclose(schedule.power.to_numpy(), [0, 0, -1], atol=1e-6)


def test_tie_breaker_costs_at_most_its_allowance():
    """With the tie-breaker, the cost exceeds the optimum by at most 1/1000 of the price
    spread per MWh moved (charged plus discharged)."""
    rng = np.random.default_rng(4)
    prices = np.round(rng.uniform(-10, 90, 48), 0)
    settings = dict(
        resolution=timedelta(minutes=30),
        targets={47: 0.5},
        charging_efficiency=0.95,
        discharging_efficiency=0.95,
        soc_start=0.2,
    )
    off = make_problem(prices, **settings)
    on = make_problem(prices, prefer_charging_sooner=True, **settings)
    optimum = reference_optimum(**reference_arguments(off))
    assert_same_cost(schedule_storage(off).expected_cost, optimum)
    schedule = schedule_storage(on)
    assert_feasible_schedule(on, schedule)
    most_moved = (on.charging_capacity + on.discharging_capacity) * on.step_hours * on.n_steps
    allowance = (prices.max() - prices.min()) / 1000 * most_moved
    assert optimum - 1e-6 <= schedule.expected_cost <= optimum + allowance
