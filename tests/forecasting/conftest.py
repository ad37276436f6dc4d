"""Small synthetic series for the forecasting core's tests (no database needed)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


def hourly_index(days: int, start: str = "2024-01-01") -> pd.DatetimeIndex:
    """Hourly UTC event starts for a number of days."""
    return pd.date_range(start, periods=24 * days, freq="1h", tz="UTC")


@pytest.fixture
def daily_profile() -> pd.Series:
    """30 days of an hourly daily cycle (kW) with a little noise."""
    index = hourly_index(30)
    rng = np.random.default_rng(1)
    values = 5 + 2 * np.sin(2 * np.pi * index.hour / 24) + rng.normal(0, 0.2, len(index))
    return pd.Series(values, index=index)
