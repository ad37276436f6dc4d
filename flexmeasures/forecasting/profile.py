"""The daily profile model ("profile"): each event gets a quantile of the values at the
same time of day over the last few days known at its belief time.

Where "same time yesterday" repeats one day, with all its passing clouds or visitors, the
profile takes, per time of day, a quantile (the median or a little above it) of several
days: what a typical recent day looked like at that moment. The number of days and the
probability of the quantile are chosen when fitting, by a backtest over the last
BACKTEST_DAYS of the history (each day forecast from the days before it, as it would have
been), among DAY_COUNTS and PROBABILITIES; the lowest absolute error wins, ties go to the
fewest days and the lowest probability.

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

import numpy as np
import pandas as pd

from flexmeasures.forecasting.features import DAY
from flexmeasures.forecasting.models import Forecaster, ModelSource, last_known_values

DAY_COUNTS = (7, 10, 14)  # how many recent days the profile may take
PROBABILITIES = (0.5, 0.6, 0.7, 0.8)  # which quantile of them it may take
BACKTEST_DAYS = 14  # how many of the last days of the history choose the two
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


def choose_setting(series: pd.Series, horizon: pd.Timedelta) -> tuple[int, float]:
    """The number of days and the probability with the lowest absolute error when the
    last BACKTEST_DAYS of the series are forecast from the days known before each event;
    the smallest of each when the series is too short to tell."""
    known = series.dropna()
    fallback = (DAY_COUNTS[0], PROBABILITIES[0])
    if known.empty:
        return fallback
    events = series.loc[known.index[-1] - BACKTEST_DAYS * DAY :].dropna()
    values = same_time_values(series, events.index, horizon, max(DAY_COUNTS))
    settings = [(days, p) for days in DAY_COUNTS for p in PROBABILITIES]
    forecasts = np.stack([profile_quantile(values, days, p) for days, p in settings])
    scored = np.isfinite(forecasts).all(axis=0)
    if not scored.any():
        return fallback
    errors = np.abs(forecasts[:, scored] - events.to_numpy(float)[scored]).sum(axis=1)
    return settings[int(np.argmin(errors))]


class DailyProfileForecaster(Forecaster):
    """A quantile of the same time of day over recent days (see the module docstring)."""

    name = "profile"
    version = "1.0"

    def __init__(self, **_options) -> None:
        """Options of the other models (e.g. timezone) are accepted and ignored: the days
        are counted in UTC, so the time zone changes nothing."""
        super().__init__()
        self.days = DAY_COUNTS[0]
        self.probability = PROBABILITIES[0]

    @property
    def source(self) -> ModelSource:
        """E.g. "profile 1.0 (70 % quantile of 10 days)"."""
        return ModelSource(
            self.name, self.version, f"{self.probability:.0%} quantile of {self.days} days"
        )

    def fit(
        self, series: pd.Series, horizon: pd.Timedelta, regressors: pd.DataFrame | None = None
    ) -> DailyProfileForecaster:
        """Choose the number of days and the quantile by a backtest on the series."""
        series = self._remember(series, horizon, regressors)
        self.days, self.probability = choose_setting(series, self.horizon)
        return self

    def predict(
        self,
        event_starts: pd.DatetimeIndex,
        history: pd.Series | None = None,
        regressors: pd.DataFrame | None = None,
    ) -> pd.Series:
        """The profile's value for each event (persistence where too few days are known)."""
        history = self._history(history)
        values = same_time_values(history, event_starts, self.horizon, self.days)
        profile = pd.Series(
            profile_quantile(values, self.days, self.probability), index=event_starts
        )
        naive = last_known_values(history, event_starts, self.horizon)
        return profile.fillna(naive).rename("forecast")
