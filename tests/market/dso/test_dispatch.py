"""Dispatch instructions become power commitments, with the DSO's turn-down / turn-up MW
mapped to USEF's consumption-positive net power."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from flexmeasures.market.dso.dispatch import (
    TURN_DOWN,
    TURN_UP,
    DispatchInstruction,
    InvalidDispatchError,
    committed_power,
    dispatch_commitments,
)
from flexmeasures.market.dso.products import UnknownProductCodeError
from flexmeasures.scheduling.commitments import AT_LEAST, AT_MOST, EXACTLY

START = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
STOP = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)


def instruction(**changes) -> DispatchInstruction:
    arguments = dict(product="OU_15", start=START, stop=STOP, mw=1.5, meterable_unit_ids=["MU-1"])
    arguments.update(changes)
    return DispatchInstruction(**arguments)


@pytest.mark.parametrize(
    "direction, baseline, expected",
    [
        (TURN_DOWN, 0.0, -1.5),  # an idle battery exports 1.5 MW
        (TURN_DOWN, 2.0, 0.5),  # a 2 MW load consumes 1.5 MW less
        (TURN_DOWN, -1.0, -2.5),  # a 1 MW generator exports 1.5 MW more
        (TURN_UP, 0.0, 1.5),  # an idle battery imports 1.5 MW
        (TURN_UP, -3.0, -1.5),  # a 3 MW generator exports 1.5 MW less
    ],
)
def test_dso_directions_map_to_consumption_positive_power(direction, baseline, expected):
    assert committed_power(1.5, direction, baseline) == expected


def test_turn_down_caps_and_turn_up_floors_the_net_power():
    [(asset_id, down)] = dispatch_commitments(instruction(), [(7, 2.0)])
    assert (asset_id, down.kind, down.power, down.start, down.end) == (
        7,
        AT_MOST,
        -1.5,
        START,
        STOP,
    )
    [(_, up)] = dispatch_commitments(instruction(direction=TURN_UP), [(7, 2.0)])
    assert (up.kind, up.power) == (AT_LEAST, 1.5)
    [(_, exact)] = dispatch_commitments(instruction(), [(7, 2.0)], exact=True)
    assert (exact.kind, exact.power) == (EXACTLY, -1.5)


def test_the_mw_and_baseline_are_split_by_capacity():
    pairs = dispatch_commitments(instruction(mw=3.0), [(1, 1.0), (2, 2.0)], baseline_mw=0.6)
    powers = {asset_id: commitment.power for asset_id, commitment in pairs}
    assert powers == pytest.approx({1: -0.8, 2: -1.6})
    assert sum(powers.values()) == pytest.approx(0.6 - 3.0)
    equal = dispatch_commitments(instruction(mw=2.0), [(1, 0.0), (2, 0.0)])
    assert [c.power for _, c in equal] == [-1.0, -1.0]


def test_the_reason_names_dispatch_product_and_direction():
    reason = instruction(product="ou_15", dispatch_id="D-42").reason()
    assert reason == "National Grid DSO dispatch D-42 (OU_15, turn_down 1.5 MW)"


@pytest.mark.parametrize(
    "changes, error, fragment",
    [
        ({"product": "XX"}, UnknownProductCodeError, "'XX'"),
        ({"stop": START}, InvalidDispatchError, "stops"),
        ({"mw": 0.0}, InvalidDispatchError, "above 0 MW"),
        ({"mw": float("inf")}, InvalidDispatchError, "above 0 MW"),
        ({"direction": "down"}, InvalidDispatchError, "turn_down or turn_up"),
        ({"meterable_unit_ids": []}, InvalidDispatchError, "no meterable unit"),
        ({"start": START.replace(tzinfo=None)}, InvalidDispatchError, "timezone-aware"),
    ],
)
def test_malformed_instructions_are_refused(changes, error, fragment):
    with pytest.raises(error, match=fragment):
        instruction(**changes)


def test_a_unit_without_assets_is_refused():
    with pytest.raises(InvalidDispatchError, match="no assets"):
        dispatch_commitments(instruction(), [])
