"""Realised and expected totals and the accuracy of forecasts, per data type, for the
analytics page.

Power is summed to energy (MWh: mean MW × hours); prices and weather are averaged (in their
unit). Accuracy compares forecasts with measurements on the events both have: MAE in the
data's unit, WAPE as a fraction (``flexmeasures.forecasting.metrics``).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from flexmeasures.forecasting.metrics import mae, wape


@dataclass(frozen=True)
class Summary:
    """``realised`` and ``expected`` totals (None without data) in ``unit``; ``mae`` (in
    the data's unit) and ``wape`` (a fraction) when there are forecasts to compare."""

    unit: str
    realised: float | None
    expected: float | None
    mae: float | None
    wape: float | None


def _finite_or_none(number: float) -> float | None:
    return None if pd.isna(number) else float(number)


def _aggregate(values: pd.Series, energy_hours: float | None) -> float | None:
    """The sum × hours per step (energy) or, without hours, the mean; None if empty."""
    known = values.dropna()
    if known.empty:
        return None
    return float(known.sum() * energy_hours) if energy_hours is not None else float(known.mean())


def summarise(
    actual: pd.Series,
    forecast: pd.Series,
    unit: str,
    resolution: pd.Timedelta | None = None,
) -> Summary:
    """Summarise a data type: with a ``resolution`` (power in MW) the totals are energy in
    MWh (unit becomes "MWh"), without one they are means in ``unit``."""
    hours = resolution / pd.Timedelta(hours=1) if resolution is not None else None
    has_forecasts = bool(forecast.notna().any())
    return Summary(
        unit="MWh" if hours is not None else unit,
        realised=_aggregate(actual, hours),
        expected=_aggregate(forecast, hours),
        mae=_finite_or_none(mae(actual, forecast)) if has_forecasts else None,
        wape=_finite_or_none(wape(actual, forecast)) if has_forecasts else None,
    )
