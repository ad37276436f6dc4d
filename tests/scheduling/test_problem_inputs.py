"""Inputs of the scheduling core: missing prices, steps of local days, malformed problems."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from flexmeasures.scheduling import (
    InvalidProblemError,
    MissingPricesError,
    StorageProblem,
    check_prices,
    schedule_storage,
    split_round_trip_efficiency,
    step_starts,
)
from tests.scheduling.helpers import START, assert_feasible_schedule, make_problem

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
QUARTER = timedelta(minutes=15)


def test_missing_prices_name_each_window_without_prices():
    end = START + timedelta(hours=6)
    grid = pd.date_range(START, end, freq=QUARTER, inclusive="left")
    prices = pd.Series(40.0, index=grid)
    prices = prices.drop(grid[8:12])  # 12:00 - 13:00 absent
    prices.iloc[-1] = np.nan  # 15:45 - 16:00 unknown
    with pytest.raises(MissingPricesError) as error:
        check_prices(prices, START, end, QUARTER)
    assert error.value.windows == [
        (
            datetime(2015, 6, 2, 12, tzinfo=ZoneInfo("UTC")),
            datetime(2015, 6, 2, 13, tzinfo=ZoneInfo("UTC")),
        ),
        (
            datetime(2015, 6, 2, 15, 45, tzinfo=ZoneInfo("UTC")),
            datetime(2015, 6, 2, 16, tzinfo=ZoneInfo("UTC")),
        ),
    ]
    assert str(error.value) == (
        "No prices are known for 2015-06-02 12:00 UTC to 2015-06-02 13:00 UTC, "
        "2015-06-02 15:45 UTC to 2015-06-02 16:00 UTC."
    )


def test_prices_beyond_the_window_are_ignored_and_local_times_are_converted():
    local = pd.date_range("2015-06-02 11:00", periods=40, freq=QUARTER, tz=AMSTERDAM)
    prices = pd.Series(np.arange(40.0), index=local)  # 09:00 - 19:00 UTC
    checked = check_prices(prices, START, START + timedelta(hours=2), QUARTER)
    assert len(checked) == 8
    assert checked.index[0] == START and str(checked.index.tz) == "UTC"
    assert checked.iloc[0] == 4.0  # 10:00 UTC is the fifth quarter-hour from 09:00 UTC


def test_a_problem_with_unknown_prices_raises_missing_prices():
    with pytest.raises(MissingPricesError, match="2015-06-02 11:00 UTC to 2015-06-02 12:00 UTC"):
        make_problem([10, np.nan, 30])


@pytest.mark.parametrize(
    "day, steps", [("2021-03-28", 92), ("2021-10-31", 100), ("2021-06-01", 96)]
)
def test_a_local_day_has_the_steps_of_its_hours(day, steps):
    start = pd.Timestamp(day, tz=AMSTERDAM)
    end = start + pd.DateOffset(days=1)
    grid = step_starts(start, end, QUARTER)
    assert len(grid) == steps
    assert grid[0] == start.tz_convert("UTC")
    assert (np.diff(grid.asi8) == pd.Timedelta(QUARTER).value).all()


@pytest.mark.parametrize("day, steps", [("2021-03-28", 92), ("2021-10-31", 100)])
def test_schedule_over_a_daylight_saving_day(day, steps):
    """Prices for each local quarter-hour; the battery must be full at 22:00 local time."""
    start = pd.Timestamp(day, tz=AMSTERDAM)
    end = start + pd.DateOffset(days=1)
    local_steps = pd.date_range(start, end, freq=QUARTER, inclusive="left")
    prices = pd.Series(50 + 40 * np.sin(np.arange(len(local_steps)) / 8), index=local_steps)
    target_time = pd.Timestamp(f"{day} 22:00", tz=AMSTERDAM)
    problem = StorageProblem(
        check_prices(prices, start, end, QUARTER),
        QUARTER,
        charging_capacity=1.0,
        discharging_capacity=1.0,
        soc_max=2.0,
        soc_targets=pd.Series([2.0], index=[target_time]),
        prefer_charging_sooner=False,
    )
    schedule = schedule_storage(problem)
    assert len(schedule.power) == steps
    assert_feasible_schedule(problem, schedule)
    assert schedule.soc[target_time] == pytest.approx(2.0)
    hours_to_target = (target_time - start) / timedelta(hours=1)
    assert problem.target_steps[0] == hours_to_target * 4 - 1
    assert hours_to_target == {92: 21, 100: 23}[steps]


def test_round_trip_efficiency_is_split_evenly():
    charging, discharging = split_round_trip_efficiency(0.81)
    assert charging == pytest.approx(0.9) and discharging == pytest.approx(0.9)
    with pytest.raises(InvalidProblemError):
        split_round_trip_efficiency(1.2)


@pytest.mark.parametrize(
    "settings, message",
    [
        (
            dict(targets=None, soc_targets=pd.Series([0.5], index=[START + timedelta(minutes=90)])),
            "SOC target at 2015-06-02 11:30 UTC is not at the end of a step",
        ),
        (
            dict(targets=None, soc_targets=pd.Series([0.5], index=[START + timedelta(hours=5)])),
            "SOC target at 2015-06-02 15:00 UTC is not at the end of a step",
        ),
        (
            dict(targets=None, soc_targets=pd.Series([0.5], index=[START])),
            "SOC target at 2015-06-02 10:00 UTC is not at the end of a step",
        ),
        (dict(charging_capacity=-1.0), "must not be negative"),
        (dict(soc_min=2.0, soc_max=1.0), "minimum state of charge is above the maximum"),
        (dict(charging_efficiency=0.0), "charging efficiency must be in"),
        (dict(site_capacity=-1.0), "site capacity must be a non-negative number"),
        (dict(soc_start=1e20), "soc start of 1e\\+20 is too large to schedule with"),
        (dict(soc_max=1e308), "soc max of 1e\\+308 is too large"),
        (dict(discharging_capacity=2e9), "discharging capacity of 2e\\+09 is too large"),
        (dict(targets={1: -1e12}), "SOC targets must be at most 1e\\+09 MWh in size"),
    ],
)
def test_malformed_problems_are_refused_with_a_reason(settings, message):
    settings = dict(settings)
    targets = settings.pop("targets", None)
    with pytest.raises(InvalidProblemError, match=message):
        make_problem([10, 20, 30, 40], targets=targets, **settings)


def test_naive_times_are_refused():
    naive = pd.Series([1.0, 2.0], index=pd.date_range("2015-06-02", periods=2, freq="h"))
    with pytest.raises(InvalidProblemError, match="timezone-aware"):
        StorageProblem(naive, timedelta(hours=1), 1.0, 1.0, soc_max=1.0)


def test_irregular_prices_are_refused():
    index = pd.DatetimeIndex([START, START + timedelta(hours=1), START + timedelta(hours=3)])
    with pytest.raises(InvalidProblemError, match="one per step"):
        StorageProblem(pd.Series([1.0, 2.0, 3.0], index=index), timedelta(hours=1), 1, 1, 1)
