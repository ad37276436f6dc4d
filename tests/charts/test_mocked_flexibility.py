"""Mocked flexibility for demo servers: a deterministic, plausible shift of the portfolio's
power towards cheap steps, its volume and value, and one balancing action."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from flexmeasures.charts.mocked_flexibility import (
    MOCK_ACTION_ASSET,
    mocked_action,
    mocked_flexibility,
    mocked_schedule_change,
)

QUARTER = pd.Timedelta("15min")
INDEX = pd.date_range("2025-01-01", periods=8, freq="15min", tz="UTC")
PROFILE = pd.Series([2.0] * 4 + [-4.0] * 4, INDEX)  # consumes 2 MW, then produces 4 MW
PRICES = pd.Series([30.0] * 4 + [50.0] * 4, INDEX)  # cheap, then expensive


def test_power_moves_from_expensive_to_cheap_steps():
    change = mocked_schedule_change(PROFILE, PRICES)
    # 10 % of |power|: consume more while cheap, produce more while expensive
    assert change.tolist() == pytest.approx([0.2] * 4 + [-0.4] * 4)


def test_without_varying_prices_peaks_are_shaved():
    change = mocked_schedule_change(PROFILE, pd.Series(40.0, INDEX))
    assert change.tolist() == pytest.approx([-0.2] * 4 + [0.4] * 4)


def test_no_power_no_change():
    profile = pd.Series([np.nan, 0.0], INDEX[:2])
    assert mocked_schedule_change(profile, PRICES).tolist() == [0.0, 0.0]


def test_volume_value_and_the_most_valuable_hour_as_the_action():
    flex = mocked_flexibility(PROFILE, PRICES, QUARTER)
    # 0.2 MW × 1 h + 0.4 MW × 1 h shifted; −0.2 MWh × 30 + 0.4 MWh × 50 EUR/MWh
    assert flex.volume == pytest.approx(0.6)
    assert flex.value == pytest.approx(14.0)
    action = flex.action
    assert action.asset == MOCK_ACTION_ASSET
    assert (action.start, action.end) == (INDEX[4], INDEX[4] + pd.Timedelta("1h"))
    assert (action.volume, action.value) == pytest.approx((0.4, 20.0))


def test_daily_steps_are_actions_of_their_own():
    days = pd.date_range("2025-01-01", periods=2, freq="D", tz="UTC")
    change = pd.Series([1.0, -1.0], days)
    action = mocked_action(change, pd.Series([10.0, 20.0], days), pd.Timedelta("1D"))
    assert (action.start, action.end) == (days[1], days[1] + pd.Timedelta("1D"))
    assert action.value == pytest.approx(480.0)  # 24 MWh less at 20 EUR/MWh


def test_no_change_no_action():
    assert mocked_action(pd.Series(0.0, INDEX), PRICES, QUARTER) is None
