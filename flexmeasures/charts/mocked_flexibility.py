"""Mocked flexibility for demo servers (seed: Modes, "the portfolio page mocks flexibility
numbers and a mocked control action"): where the portfolio has no schedules, a plausible
change in power due to schedules derived deterministically from the shown power and
prices, its volume and value, and one balancing action (the most valuable hour of it), so
that a demo shows what real schedules would show. The UI labels all of it as mocked.

Pure: series in, numbers out. Power in MW (consumption positive), energy in MWh, prices
in EUR/MWh, value in EUR.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from flexmeasures.charts.opportunities import TOLERANCE, Opportunity, slot_values

MOCK_FLEXIBLE_SHARE = 0.1
"""The share of the portfolio's absolute power per step that the mock shifts."""
MOCK_ACTION_ASSET = "Portfolio (demonstration)"
"""The name the mocked balancing action is listed under."""


@dataclass(frozen=True)
class MockedFlexibility:
    """The mocked change in power (``change``, MW per step), its ``volume`` (MWh, the sum
    of the absolute changes of energy) and ``value`` (EUR at the market's prices, positive
    a gain), and the mocked balancing ``action`` (None if nothing could be shifted)."""

    change: pd.Series
    volume: float
    value: float
    action: Opportunity | None


def _ranking(profile: pd.Series, prices: pd.Series) -> pd.Series:
    """What decides when to shift: the prices where they vary over the profile's steps
    (missing ones as their median), else the profile itself (peak shaving)."""
    price = prices.reindex(profile.index).astype("float64")
    if price.nunique() < 2:
        return profile
    return price.fillna(price.median())


def mocked_schedule_change(profile: pd.Series, prices: pd.Series) -> pd.Series:
    """A plausible change in power due to schedules (MW per step, consumption positive):
    MOCK_FLEXIBLE_SHARE × |power| less consumption (or more production) in the steps where
    the price is above its median, as much more in the steps where it is below (without
    varying prices, where the power is above or below its median); zero at the median and
    where the profile has no value."""
    power = profile.astype("float64").fillna(0.0)
    flexible = power.abs() * MOCK_FLEXIBLE_SHARE
    ranking = _ranking(power, prices)
    median = ranking.median()
    direction = (ranking < median).astype("float64") - (ranking > median).astype("float64")
    return flexible * direction


def mocked_action(
    change: pd.Series, prices: pd.Series, resolution: pd.Timedelta
) -> Opportunity | None:
    """The most valuable period of the change (MW per step of ``resolution``) as one
    balancing action: per clock hour (per step for steps of an hour or longer), its volume
    (MWh) and value (EUR, see ``opportunities.slot_values``); the earliest on a tie. None
    if the change deviates nowhere."""
    energy = change.dropna() * (resolution / pd.Timedelta(hours=1))
    if not energy.abs().gt(TOLERANCE).any():
        return None
    period = max(resolution, pd.Timedelta(hours=1))
    starts = energy.index.floor("h") if resolution < period else energy.index
    values = slot_values(energy, prices).fillna(0.0)
    per_period = pd.DataFrame({"volume": energy.abs(), "value": values}).groupby(starts).sum()
    best = per_period["value"].idxmax()
    return Opportunity(
        asset=MOCK_ACTION_ASSET,
        volume=float(per_period.at[best, "volume"]),
        value=float(per_period.at[best, "value"]),
        start=best,
        end=best + period,
    )


def mocked_flexibility(
    profile: pd.Series, prices: pd.Series, resolution: pd.Timedelta
) -> MockedFlexibility:
    """The mocked flexibility of a portfolio's power ``profile`` (MW per step of
    ``resolution``, consumption positive) at ``prices`` (EUR/MWh): see
    ``mocked_schedule_change`` and ``mocked_action``."""
    change = mocked_schedule_change(profile, prices)
    energy = change * (resolution / pd.Timedelta(hours=1))
    return MockedFlexibility(
        change=change,
        volume=float(energy.abs().sum()),
        value=float(slot_values(energy, prices).fillna(0.0).sum()),
        action=mocked_action(change, prices, resolution),
    )
