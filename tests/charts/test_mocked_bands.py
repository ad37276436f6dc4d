"""Mocked confidence intervals (demo mode): ±10 % where forecasts have no band of their own."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from flexmeasures.charts.mocked_bands import mocked_band

INDEX = pd.date_range("2025-01-01", periods=3, freq="15min", tz="UTC")


def test_a_band_of_ten_percent_where_there_is_none_and_the_own_band_elsewhere():
    forecasts = pd.Series([10.0, -20.0, 5.0], index=INDEX)
    lower = pd.Series([np.nan, np.nan, 1.0], index=INDEX)
    upper = pd.Series([np.nan, np.nan, 9.0], index=INDEX)
    mocked_lower, mocked_upper = mocked_band(forecasts, lower, upper)
    assert mocked_lower.tolist() == pytest.approx([9.0, -22.0, 1.0])
    assert mocked_upper.tolist() == pytest.approx([11.0, -18.0, 9.0])


def test_no_forecast_no_band():
    lower, upper = mocked_band(pd.Series([np.nan, 4.0, np.nan], index=INDEX), None, None)
    assert lower.isna().tolist() == [True, False, True]
    assert (lower[INDEX[1]], upper[INDEX[1]]) == pytest.approx((3.6, 4.4))
