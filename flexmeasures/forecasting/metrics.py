"""Accuracy metrics of forecasts, shared by the UI, the CLI and the benchmarks.

All functions compare ``actual`` and ``forecast`` Series on the events both have a value
for (NaN on either side is left out), so callers need not align them first.

- MAE: mean absolute error, in the data's unit (e.g. MW).
- WAPE: weighted absolute percentage error, sum |actual - forecast| / sum |actual|, a
  fraction (0.08 is 8 %); defined when MAPE is not (profiles with zeros).
- Accuracy: 1 - WAPE, the figure the seed's benchmark table reports.
- Ratio to seasonal naive: the forecast's MAE over the MAE of repeating the value one
  period (a week, or a day) earlier; below 1 means the forecast beats that benchmark.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

WEEK = pd.Timedelta(days=7)


def _paired(actual: pd.Series, forecast: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Actual and forecast values of the events both have a finite value for."""
    frame = pd.concat([actual.rename("actual"), forecast.rename("forecast")], axis=1, join="inner")
    frame = frame.replace([np.inf, -np.inf], np.nan).dropna()
    return frame["actual"].to_numpy(float), frame["forecast"].to_numpy(float)


def mae(actual: pd.Series, forecast: pd.Series) -> float:
    """Mean absolute error, in the data's unit (NaN if no event has both values)."""
    observed, predicted = _paired(actual, forecast)
    if observed.size == 0:
        return float("nan")
    return float(np.mean(np.abs(observed - predicted)))


def wape(actual: pd.Series, forecast: pd.Series) -> float:
    """Weighted absolute percentage error as a fraction (NaN if all actual values are 0)."""
    observed, predicted = _paired(actual, forecast)
    volume = np.sum(np.abs(observed))
    if volume == 0:
        return float("nan")
    return float(np.sum(np.abs(observed - predicted)) / volume)


def accuracy(actual: pd.Series, forecast: pd.Series) -> float:
    """1 - WAPE, as a fraction (1.0 is perfect; negative is worse than forecasting zero)."""
    return 1 - wape(actual, forecast)


def seasonal_naive(actual: pd.Series, period: pd.Timedelta = WEEK) -> pd.Series:
    """The seasonal-naive forecast: each event's value one period earlier."""
    return actual.shift(freq=period).reindex(actual.index)


def ratio_to_seasonal_naive(
    actual: pd.Series, forecast: pd.Series, period: pd.Timedelta = WEEK
) -> float:
    """MAE of the forecast over MAE of seasonal naive, on events where both exist.

    Below 1 means the forecast beats the benchmark. NaN when the benchmark is perfect or
    there is no event to compare on.
    """
    benchmark = seasonal_naive(actual, period)
    common = forecast.dropna().index.intersection(benchmark.dropna().index)
    benchmark_error = mae(actual.loc[common], benchmark.loc[common])
    if not benchmark_error > 0:
        return float("nan")
    return mae(actual.loc[common], forecast.loc[common]) / benchmark_error


def summary(
    actual: pd.Series, forecast: pd.Series, period: pd.Timedelta = WEEK
) -> dict[str, float]:
    """All metrics at once: mae (data's unit), wape and accuracy (fractions), and the
    ratio to seasonal naive over the given period."""
    return {
        "mae": mae(actual, forecast),
        "wape": wape(actual, forecast),
        "accuracy": accuracy(actual, forecast),
        "ratio_to_seasonal_naive": ratio_to_seasonal_naive(actual, forecast, period),
    }
