"""Realised and expected totals, MAE and WAPE for the analytics page."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from flexmeasures.charts.summary import summarise

INDEX = pd.date_range("2025-01-01", periods=4, freq="15min", tz="UTC")


def test_power_is_summed_to_energy():
    actual = pd.Series([4.0, 4.0, 4.0, 4.0], INDEX)
    forecast = pd.Series([3.0, 5.0, 4.0, np.nan], INDEX)
    result = summarise(actual, forecast, "MW", pd.Timedelta("15min"))
    assert result.unit == "MWh"
    assert result.realised == pytest.approx(4.0)  # 4 MW for an hour
    assert result.expected == pytest.approx(3.0)
    assert result.mae == pytest.approx(2 / 3)
    assert result.wape == pytest.approx(2 / 12)


def test_prices_are_averaged_and_without_forecasts_there_is_no_accuracy():
    actual = pd.Series([10.0, 20.0, 30.0, 40.0], INDEX)
    result = summarise(actual, pd.Series(np.nan, INDEX), "EUR/MWh")
    assert (result.unit, result.realised, result.expected) == ("EUR/MWh", 25.0, None)
    assert result.mae is None and result.wape is None
