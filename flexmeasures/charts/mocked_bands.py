"""Mocked confidence intervals for demo servers (seed: Modes): where a forecast comes
without an uncertainty band, a band of ±MOCK_SPREAD of its value, so that demo data need
not have them. Forecasts that have a band keep their own.

Pure: frames in, frames out, in the data's own unit.
"""

from __future__ import annotations

import dataclasses
from typing import TypeVar

import pandas as pd

from flexmeasures.charts.power import PowerData
from flexmeasures.charts.sensors import SensorData

MOCK_SPREAD = 0.1
"""The mocked band's half width as a fraction of the forecast's absolute value."""
F = TypeVar("F", pd.Series, pd.DataFrame)


def mocked_band(forecasts: F, lower: F | None, upper: F | None) -> tuple[F, F]:
    """Lower and upper bounds: the given ones where known, else the forecast ∓
    MOCK_SPREAD × |forecast| (NaN where there is no forecast)."""
    width = forecasts.abs() * MOCK_SPREAD
    mock_lower, mock_upper = forecasts - width, forecasts + width
    if lower is None or upper is None:
        return mock_lower, mock_upper
    lower, upper = lower.reindex_like(forecasts), upper.reindex_like(forecasts)
    has_band = lower.notna() & upper.notna()
    return lower.where(has_band, mock_lower), upper.where(has_band, mock_upper)


def power_with_mocked_bands(data: PowerData) -> PowerData:
    """The power data with a mocked band where the forecasts have none."""
    lower, upper = mocked_band(data.forecasts, data.forecast_lower, data.forecast_upper)
    return dataclasses.replace(data, forecast_lower=lower, forecast_upper=upper)


def sensor_with_mocked_band(data: SensorData) -> SensorData:
    """The sensor data with a mocked band where the forecasts have none."""
    lower, upper = mocked_band(data.forecasts, data.lower, data.upper)
    return dataclasses.replace(data, lower=lower, upper=upper)
