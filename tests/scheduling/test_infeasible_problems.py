"""Infeasible problems: the reason in words, and the closest feasible schedule with the
shortfall per constraint (never an empty or unexplained all-zero schedule)."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from flexmeasures.scheduling import schedule_storage
from tests.scheduling.helpers import START, assert_within_limits, make_problem
from tests.scheduling.reference import reference_optimum

QUARTER = timedelta(minutes=15)


def _seed_example(charging_capacity: float):
    """12.1 kWh at 10:00, target 25 kWh at 16:00 (step 23 of 15 minutes), 30 kWh battery."""
    return make_problem(
        np.linspace(30, 60, 28),
        resolution=QUARTER,
        targets={23: 0.025},
        charging_capacity=charging_capacity,
        discharging_capacity=charging_capacity,
        soc_max=0.03,
        soc_start=0.0121,
    )


def test_unreachable_target_is_explained_and_approached_as_closely_as_possible():
    problem = _seed_example(charging_capacity=0.0005)  # 0.5 kW: 3 kWh in 6 hours
    schedule = schedule_storage(problem)
    assert schedule.status == "infeasible" and not schedule.optimal
    assert schedule.explanation == [
        "The target of 25 kWh at 2015-06-02 16:00 UTC needs 9.9 kWh more than charging at "
        "most 0.5 kW can deliver in time from 12.1 kWh at 2015-06-02 10:00 UTC (the starting "
        "state of charge)."
    ]
    assert_within_limits(problem, schedule)
    # the closest schedule charges at full power all the way to 16:00
    np.testing.assert_allclose(schedule.power.to_numpy()[:24], 0.0005, atol=1e-9)
    [shortfall] = schedule.shortfalls
    assert shortfall.constraint == "soc target"
    assert shortfall.start == pd.Timestamp("2015-06-02 16:00", tz="UTC")
    assert shortfall.required == 0.025
    assert shortfall.achieved == pytest.approx(0.0151)
    assert shortfall.amount == pytest.approx(0.0099)
    assert shortfall.describe() == (
        "The state-of-charge target of 25 kWh at 2015-06-02 16:00 UTC is missed: "
        "15.1 kWh, 9.9 kWh short."
    )
    assert reference_optimum(**_arguments(problem)) is None


def test_the_same_target_is_met_with_enough_power():
    schedule = schedule_storage(_seed_example(charging_capacity=0.01))
    assert schedule.optimal and schedule.message == "" and schedule.shortfalls == []


def test_starting_soc_above_the_maximum():
    problem = make_problem(
        [30, 40, 50, 60], resolution=QUARTER, soc_start=1.4, soc_max=1.0, discharging_capacity=0.8
    )
    schedule = schedule_storage(problem)
    assert schedule.explanation == [
        "The starting state of charge of 1.4 MWh is above the maximum of 1 MWh; discharging "
        "at most 800 kW, it stays above it from 2015-06-02 10:15 UTC until 2015-06-02 10:15 "
        "UTC (by up to 200 kWh)."
    ]
    assert_within_limits(problem, schedule)
    assert schedule.power.iloc[0] == pytest.approx(-0.8)
    [shortfall] = schedule.shortfalls
    assert (shortfall.constraint, shortfall.amount) == ("soc maximum", pytest.approx(0.2))
    assert schedule.soc.iloc[1:].max() <= 1.0 + 1e-9


def test_target_above_the_maximum_soc():
    problem = make_problem([30, 40, 50, 60], targets={3: 1.5}, soc_max=1.0)
    schedule = schedule_storage(problem)
    assert schedule.explanation == [
        "The target of 1.5 MWh at 2015-06-02 14:00 UTC is above the maximum state of charge "
        "of 1 MWh."
    ]
    assert schedule.soc.iloc[-1] == pytest.approx(1.0)
    assert schedule.shortfalls[0].amount == pytest.approx(0.5)


def test_one_way_evse_cannot_come_down_to_a_lower_target():
    problem = make_problem(
        [30, 40, 50, 60], targets={1: 0.2}, soc_start=0.6, discharging_capacity=0.0
    )
    schedule = schedule_storage(problem)
    assert schedule.explanation[0].endswith("this device cannot discharge.")
    assert "The target of 200 kWh at 2015-06-02 12:00 UTC is 400 kWh below" in schedule.message
    assert (schedule.power >= 0).all()
    assert schedule.soc.iloc[1] == pytest.approx(0.6)


def test_second_target_unreachable_from_the_first():
    problem = make_problem(
        [30, 40, 50, 60, 70], targets={1: 1.0, 3: 0.0}, soc_max=2.0, discharging_capacity=0.25
    )
    schedule = schedule_storage(problem)
    assert schedule.explanation == [
        "The target of 0 kWh at 2015-06-02 14:00 UTC is 500 kWh lower than discharging at most "
        "250 kW can reach in time from 1 MWh at 2015-06-02 12:00 UTC (the previous target)."
    ]
    assert_within_limits(problem, schedule)
    # the targets are missed by 500 kWh in total (whichever of them is missed, the cheapest)
    assert sum(s.amount for s in schedule.shortfalls) == pytest.approx(0.5)
    assert {s.constraint for s in schedule.shortfalls} == {"soc target"}


def test_site_load_beyond_what_the_battery_can_make_up_for():
    load = [0.0, 3.0, 3.0, 0.0]
    problem = make_problem(
        [30, 40, 50, 60],
        soc_start=2.0,
        soc_max=2.0,
        inflexible_load=pd.Series(load, index=pd.date_range(START, periods=4, freq="h")),
        site_capacity=1.5,
    )
    schedule = schedule_storage(problem)
    assert schedule.explanation == [
        "From 2015-06-02 11:00 UTC until 2015-06-02 13:00 UTC the site's consumption exceeds its "
        "connection capacity of 1.5 MW by up to 1.5 MW, more than discharging at most 1 MW can "
        "make up for."
    ]
    # the battery discharges as much as it can while the site is overloaded
    np.testing.assert_allclose(schedule.power.to_numpy()[1:3], -1.0)
    assert {s.constraint for s in schedule.shortfalls} == {"site capacity"}


def _arguments(problem):
    from tests.scheduling.helpers import reference_arguments

    return reference_arguments(problem)
