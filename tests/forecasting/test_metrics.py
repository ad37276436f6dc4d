"""Metrics on hand-computed examples."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from flexmeasures.forecasting.metrics import (
    accuracy,
    mae,
    ratio_to_seasonal_naive,
    seasonal_naive,
    summary,
    wape,
)

INDEX = pd.date_range("2024-01-01", periods=4, freq="1h", tz="UTC")
ACTUAL = pd.Series([10.0, 0.0, 20.0, 10.0], index=INDEX)
FORECAST = pd.Series([12.0, 1.0, 17.0, np.nan], index=INDEX)


def test_mae_and_wape_skip_events_without_both_values():
    # errors 2, 1, 3 on the first three events; actual volume 10 + 0 + 20 = 30
    assert mae(ACTUAL, FORECAST) == pytest.approx(2.0)
    assert wape(ACTUAL, FORECAST) == pytest.approx(6 / 30)
    assert accuracy(ACTUAL, FORECAST) == pytest.approx(0.8)


def test_wape_of_all_zero_actuals_is_undefined():
    assert np.isnan(wape(ACTUAL * 0, FORECAST))


def test_seasonal_naive_repeats_the_previous_period():
    benchmark = seasonal_naive(ACTUAL, pd.Timedelta(hours=1))
    assert benchmark.iloc[1:].tolist() == [10.0, 0.0, 20.0]
    assert np.isnan(benchmark.iloc[0])


def test_ratio_to_seasonal_naive():
    # On events 1 and 2 (where both exist): forecast errors 1, 3; benchmark errors 10, 20
    ratio = ratio_to_seasonal_naive(ACTUAL, FORECAST, pd.Timedelta(hours=1))
    assert ratio == pytest.approx(4 / 30)


def test_summary_holds_all_metrics():
    metrics = summary(ACTUAL, FORECAST, pd.Timedelta(hours=1))
    assert metrics["mae"] == pytest.approx(2.0)
    assert metrics["accuracy"] == pytest.approx(0.8)
    assert set(metrics) == {"mae", "wape", "accuracy", "ratio_to_seasonal_naive"}
