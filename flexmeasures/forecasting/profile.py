"""The daily profile model ("profile"): each event gets a quantile of the values at the
same time of day over the last few days known at its belief time.

Where "same time yesterday" repeats one day, with all its passing clouds or visitors, the
profile takes, per time of day, a quantile (the median or a little above it) of several
days: what a typical recent day looked like at that moment. To that it adds a share
(WEIGHTS) of the last known value's deviation from its own profile, which matters at short
horizons. The number of days, the probability of the quantile and the share are chosen
when fitting, by a backtest over the last BACKTEST_DAYS of the history (each event
forecast from the data known at its belief time), among DAY_COUNTS, PROBABILITIES and
WEIGHTS; the lowest absolute error wins, ties go to the fewest days, the lowest
probability and the smallest share. Forecasts are kept within the history's range.

For solar assets (``flexmeasures.forecasting.physics``) the model forecasts the clear-sky
index, so "a typical recent day" is a typical clearness, which the clear sky of the
forecast day (pvlib) turns into power: the day-ahead forecast that beats "same time
yesterday" without weather forecasts. For other sensors it is a robust seasonal baseline.

The days are whole days in UTC (24 hours) counted back from the event, the first one the
most recent day known at the belief time (the horizon rounded up to whole days), as in
``flexmeasures.forecasting.baselines``. Events with too few known days get the
persistence forecast. Values are in the sensor's unit (or the index, inside the solar
model); series conventions are those of ``flexmeasures.forecasting.features``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from flexmeasures.forecasting.features import DAY
from flexmeasures.forecasting.models import Forecaster, ModelSource, last_known_values

DAY_COUNTS = (7, 10, 14)  # how many recent days the profile may take
PROBABILITIES = (0.5, 0.6, 0.7, 0.8)  # which quantile of them it may take
BACKTEST_DAYS = 14  # how many of the last days of the history choose the two
WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)  # how much of the last known deviation carries on
MIN_DAYS_KNOWN = 3  # fewer known days at an event: persistence instead


def first_lag(horizon: pd.Timedelta) -> int:
    """The most recent whole day (in days back) known at every belief time of this
    horizon: the horizon rounded up to whole days, at least one."""
    return max(1, int(np.ceil(pd.Timedelta(horizon) / DAY)))


def same_time_values(
    history: pd.Series, event_starts: pd.DatetimeIndex, horizon: pd.Timedelta, days: int
) -> np.ndarray:
    """The values (sensor's unit) at the same time of day on the ``days`` most recent days
    known at each event's belief time: an array of shape (days, events), NaN where unknown."""
    first = first_lag(horizon)
    return np.stack(
        [history.reindex(event_starts - DAY * (first + day)).to_numpy(float) for day in range(days)]
    )


def profile_quantile(values: np.ndarray, days: int, probability: float) -> np.ndarray:
    """Per event (column), the quantile at ``probability`` of the known values among the
    first ``days`` rows (linear interpolation between the order statistics, as
    ``numpy.nanquantile``); NaN where fewer than MIN_DAYS_KNOWN of them are known."""
    ordered = np.sort(values[:days], axis=0)  # NaN sort last
    known = np.isfinite(ordered).sum(axis=0)
    position = probability * np.maximum(known - 1, 0)
    below = np.floor(position).astype(int)
    above = np.minimum(below + 1, np.maximum(known - 1, 0))
    low = np.take_along_axis(ordered, below[None, :], axis=0)[0]
    high = np.take_along_axis(ordered, above[None, :], axis=0)[0]
    result = low + (position - below) * (high - low)
    return np.where(known >= min(MIN_DAYS_KNOWN, days), result, np.nan)


@dataclass(frozen=True)
class Setting:
    """How the profile forecasts: the quantile at ``probability`` of the last ``days``
    known days, plus ``weight`` (dimensionless) times the last known deviation from it."""

    days: int = DAY_COUNTS[0]
    probability: float = PROBABILITIES[0]
    weight: float = 0.0

    def describe(self) -> str:
        """E.g. "70% quantile of 10 days; 0.5 × last deviation"."""
        text = f"{self.probability:.0%} quantile of {self.days} days"
        return text + (f"; {self.weight:g} × last deviation" if self.weight else "")


SETTINGS = tuple(Setting(d, p, w) for d in DAY_COUNTS for p in PROBABILITIES for w in WEIGHTS)


def profile_inputs(
    history: pd.Series,
    event_starts: pd.DatetimeIndex,
    horizon: pd.Timedelta,
    resolution: pd.Timedelta,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """What the profile of the events is made of: the same-time values of their recent
    days (see ``same_time_values``), those of the last event known at each belief time
    (its start the horizon, rounded up to whole steps, before the event's) and that last
    event's value (NaN where unknown)."""
    steps = max(1, int(np.ceil(pd.Timedelta(horizon) / resolution)))
    last = event_starts - steps * resolution
    days = max(DAY_COUNTS)
    return (
        same_time_values(history, event_starts, horizon, days),
        same_time_values(history, last, horizon, days),
        history.reindex(last).to_numpy(float),
    )


def blend(inputs: tuple[np.ndarray, np.ndarray, np.ndarray], setting: Setting) -> np.ndarray:
    """The profile of each event, plus the weighted deviation of the last known value from
    its own profile (none where that is unknown); NaN where too few days are known."""
    now, before, last = inputs
    profile = profile_quantile(now, setting.days, setting.probability)
    if not setting.weight:
        return profile
    deviation = last - profile_quantile(before, setting.days, setting.probability)
    return profile + setting.weight * np.nan_to_num(deviation)


def choose_setting(series: pd.Series, horizon: pd.Timedelta, resolution: pd.Timedelta) -> Setting:
    """The setting (of SETTINGS) with the lowest absolute error when the last
    BACKTEST_DAYS of the series are forecast from the data known at each belief time
    (forecasts kept within the series' range); the first one when that cannot be told."""
    known = series.dropna()
    if known.empty:
        return SETTINGS[0]
    events = series.loc[known.index[-1] - BACKTEST_DAYS * DAY :].dropna()
    inputs = profile_inputs(series, events.index, horizon, resolution)
    low, high = known.min(), known.max()
    forecasts = np.stack([np.clip(blend(inputs, setting), low, high) for setting in SETTINGS])
    scored = np.isfinite(forecasts).all(axis=0)
    if not scored.any():
        return SETTINGS[0]
    errors = np.abs(forecasts[:, scored] - events.to_numpy(float)[scored]).sum(axis=1)
    return SETTINGS[int(np.argmin(errors))]


class DailyProfileForecaster(Forecaster):
    """A quantile of the same time of day over recent days (see the module docstring)."""

    name = "profile"
    version = "1.0"

    def __init__(self, **_options) -> None:
        """Options of the other models (e.g. timezone) are accepted and ignored: the days
        are counted in UTC, so the time zone changes nothing."""
        super().__init__()
        self.setting = SETTINGS[0]
        self.limits = (-np.inf, np.inf)

    @property
    def source(self) -> ModelSource:
        """E.g. "profile 1.0 (70% quantile of 10 days; 0.5 × last deviation)"."""
        return ModelSource(self.name, self.version, self.setting.describe())

    def fit(
        self, series: pd.Series, horizon: pd.Timedelta, regressors: pd.DataFrame | None = None
    ) -> DailyProfileForecaster:
        """Choose the setting by a backtest on the series; remember its range."""
        series = self._remember(series, horizon, regressors)
        self.setting = choose_setting(series, self.horizon, self.resolution or self.horizon)
        known = series.dropna()
        self.limits = (known.min(), known.max()) if len(known) else (-np.inf, np.inf)
        return self

    def predict(
        self,
        event_starts: pd.DatetimeIndex,
        history: pd.Series | None = None,
        regressors: pd.DataFrame | None = None,
    ) -> pd.Series:
        """The profile's value for each event, within the range of the fitted series
        (persistence where too few days are known)."""
        history = self._history(history)
        resolution = self.resolution or self.horizon
        inputs = profile_inputs(history, event_starts, self.horizon, resolution)
        profile = pd.Series(np.clip(blend(inputs, self.setting), *self.limits), index=event_starts)
        naive = last_known_values(history, event_starts, self.horizon)
        return profile.fillna(naive).rename("forecast")
