"""Flexibility opportunities: the deviations of schedules from forecasts per asset, with
their volume and their expected value at market prices.

Pure: frames in, numbers out. Power in MW (consumption positive), energy in MWh, prices in
EUR/MWh, value in EUR.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Opportunity:
    """One asset's schedule deviation over a window: ``volume`` in MWh (the sum of the
    absolute changes of energy per step) and ``value`` in EUR (what the schedule saves
    compared to the forecast at the market's prices: positive is a gain)."""

    asset: str
    volume: float
    value: float


def opportunity(
    asset: str,
    schedule: pd.Series,
    forecast: pd.Series,
    prices: pd.Series,
    resolution: pd.Timedelta,
) -> Opportunity | None:
    """The deviation of an asset's schedule from its forecast (MW per step of
    ``resolution``; a missing forecast counts as zero), or None where the asset has no
    schedule or it deviates nowhere. Per step, the change of energy is (schedule −
    forecast) × step hours; its value is −change × price (consuming more costs, consuming
    less or producing more earns); steps without a price have no value."""
    scheduled = schedule.dropna()
    if scheduled.empty:
        return None
    hours = resolution / pd.Timedelta(hours=1)
    change = (scheduled - forecast.reindex(scheduled.index).fillna(0.0)) * hours
    if not change.abs().gt(1e-9).any():
        return None
    price = prices.reindex(change.index).fillna(0.0)
    return Opportunity(
        asset=asset,
        volume=float(change.abs().sum()),
        value=float(-(change * price).sum()),
    )


def by_value(opportunities: list[Opportunity | None]) -> list[Opportunity]:
    """The opportunities found (Nones left out), the most valuable first."""
    return sorted((o for o in opportunities if o is not None), key=lambda o: -o.value)
