"""Power commitments (a DSO dispatch, a filled order): the schedule keeps them, and one the
device cannot keep is explained and approached as closely as possible."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from flexmeasures.scheduling import InvalidProblemError, schedule_storage
from flexmeasures.scheduling.backends import solve_lp
from flexmeasures.scheduling.commitments import AT_LEAST, AT_MOST, EXACTLY, PowerCommitment
from flexmeasures.scheduling.feasibility import find_obstacles
from flexmeasures.scheduling.formulation import build_linear_program
from tests.scheduling.helpers import START, assert_within_limits, make_problem

HOUR = timedelta(hours=1)
# cheapest first, dearest third: without commitments the battery charges first, sells third
PRICES = [10.0, 20.0, 50.0, 40.0]


def commitment(first_step: int, last_step: int, kind: str, power: float, reason: str = "DSO"):
    """A commitment over the hourly steps first_step to last_step (inclusive)."""
    return PowerCommitment(
        START + first_step * HOUR, START + (last_step + 1) * HOUR, kind, power, reason
    )


def test_without_commitments_the_battery_charges_early():
    schedule = schedule_storage(make_problem(PRICES))
    np.testing.assert_allclose(schedule.power.to_numpy(), [1, 0, -1, 0], atol=1e-9)


def test_a_turn_down_caps_consumption_and_the_schedule_adapts():
    # no charging in the first hour: the battery charges in the second one instead
    problem = make_problem(PRICES, power_commitments=[commitment(0, 0, AT_MOST, 0.0)])
    schedule = schedule_storage(problem)
    assert schedule.optimal
    np.testing.assert_allclose(schedule.power.to_numpy(), [0, 1, -1, 0], atol=1e-9)


def test_an_exact_commitment_is_delivered():
    problem = make_problem(
        PRICES, soc_start=1.0, power_commitments=[commitment(0, 1, EXACTLY, -0.5)]
    )
    schedule = schedule_storage(problem)
    assert schedule.optimal
    np.testing.assert_allclose(schedule.power.to_numpy()[:2], [-0.5, -0.5], atol=1e-9)
    assert_within_limits(problem, schedule)


def test_a_commitment_binds_every_step_it_overlaps():
    quarter = timedelta(minutes=15)
    partial = PowerCommitment(
        START + 5 * timedelta(minutes=1), START + 20 * timedelta(minutes=1), AT_LEAST, 0.5
    )
    problem = make_problem([10.0] * 4, resolution=quarter, power_commitments=[partial])
    lower, upper = problem.commitment_bounds
    np.testing.assert_array_equal(lower, [0.5, 0.5, -np.inf, -np.inf])
    assert np.isinf(upper).all()


def test_commitment_beyond_the_device_is_explained_with_the_closest_schedule():
    # export 2 MW in the third hour, with a 1 MW battery that is full
    problem = make_problem(
        PRICES, soc_start=1.0, power_commitments=[commitment(2, 2, AT_MOST, -2.0, "dispatch X")]
    )
    schedule = schedule_storage(problem)
    assert schedule.status == "infeasible"
    assert schedule.explanation == [
        "The device cannot keep a net power of at most -2 MW (consumption positive) from "
        "2015-06-02 12:00 UTC to 2015-06-02 13:00 UTC (dispatch X): from 2015-06-02 12:00 UTC "
        "until 2015-06-02 13:00 UTC its net power can only be between -1 MW and 1 MW "
        "(charging at most 1 MW, discharging at most 1 MW), 1 MW short."
    ]
    assert schedule.power.iloc[2] == pytest.approx(-1.0)  # as close as it gets
    [shortfall] = schedule.shortfalls
    assert shortfall.constraint == "power commitment"
    assert (shortfall.required, shortfall.achieved) == (-2.0, pytest.approx(-1.0))
    assert shortfall.describe().startswith("The power commitment of -2 MW from 2015-06-02 12:00")
    assert_within_limits(problem, schedule)


def test_commitment_that_empties_the_battery_names_the_commitment():
    # discharge 1 MW for three hours from 1 MWh: the battery runs empty after one
    problem = make_problem(
        PRICES, soc_start=1.0, power_commitments=[commitment(0, 2, AT_MOST, -1.0, "dispatch Y")]
    )
    schedule = schedule_storage(problem)
    assert schedule.status == "infeasible"
    assert "a power commitment forces the device to discharge" in schedule.message
    assert any(s.constraint == "power commitment" for s in schedule.shortfalls)
    assert_within_limits(problem, schedule)  # the SOC bounds are kept, the promise broken


def test_contradicting_commitments_are_explained():
    problem = make_problem(
        PRICES,
        power_commitments=[
            commitment(1, 1, AT_LEAST, 0.5, "order A"),
            commitment(1, 1, AT_MOST, 0.0, "dispatch B"),
        ],
    )
    schedule = schedule_storage(problem)
    assert schedule.status == "infeasible"
    assert "contradict each other" in schedule.message
    assert "order A; dispatch B" in schedule.message
    assert_within_limits(problem, schedule)


@pytest.mark.parametrize(
    "arguments, fragment",
    [
        ((START + HOUR, START, AT_MOST, 0.0), "ends before it starts"),
        ((START, START + HOUR, "below", 0.0), "Unknown commitment kind 'below'"),
        ((START, START + HOUR, AT_MOST, float("nan")), "finite power"),
        ((START.tz_localize(None), START + HOUR, AT_MOST, 0.0), "timezone-aware"),
    ],
)
def test_malformed_commitments_are_refused(arguments, fragment):
    with pytest.raises(InvalidProblemError, match=fragment):
        PowerCommitment(*arguments)


hypothesis = pytest.importorskip("hypothesis")
st = hypothesis.strategies


@st.composite
def committed_problems(draw):
    """A random small hourly problem with one to three random commitments."""
    steps = draw(st.integers(2, 6))
    commitments = []
    for _ in range(draw(st.integers(1, 3))):
        first = draw(st.integers(0, steps - 1))
        last = draw(st.integers(first, steps - 1))
        kind = draw(st.sampled_from([AT_MOST, AT_LEAST, EXACTLY]))
        power = draw(st.sampled_from([-1.5, -0.5, 0.0, 0.25, 1.0]))
        commitments.append(commitment(first, last, kind, power))
    return make_problem(
        draw(st.lists(st.integers(-10, 60), min_size=steps, max_size=steps)),
        charging_capacity=draw(st.sampled_from([0.5, 1.0])),
        discharging_capacity=draw(st.sampled_from([0.0, 1.0])),
        soc_start=draw(st.sampled_from([0.0, 0.5, 1.0])),
        charging_efficiency=draw(st.sampled_from([1.0, 0.9])),
        power_commitments=commitments,
    )


@pytest.mark.slow
@hypothesis.settings(max_examples=60, deadline=None, derandomize=True, database=None)
@hypothesis.given(committed_problems())
def test_commitments_are_kept_exactly_when_the_check_finds_no_obstacle(problem):
    """The feasibility check is exact with commitments too: no obstacle ⇔ a schedule that
    keeps every commitment (the exclusive MILP, solved independently of the check)."""
    lp = build_linear_program(problem, exclusive_steps=np.arange(problem.n_steps))
    solvable = solve_lp(lp).values is not None
    assert (find_obstacles(problem) == []) == solvable
    schedule = schedule_storage(problem)
    assert_within_limits(problem, schedule)
    lower, upper = problem.commitment_bounds
    power = schedule.power.to_numpy()
    kept = bool(((power >= lower - 1e-6) & (power <= upper + 1e-6)).all())
    if solvable:
        assert schedule.optimal and kept
    else:
        assert schedule.status == "infeasible" and schedule.explanation and schedule.shortfalls
