"""Naive baselines: the forecasts any model has to beat.

- "naive-persistence" (also "naive"): the last value known at the belief time.
- "naive-yesterday": the value at the same time on the most recent day known at the
  belief time: yesterday for horizons up to 24 hours, two days back for horizons up to 48
  hours, and so on (the lag is the horizon rounded up to whole days).
- "naive-week": the value at the same time last week (the horizon rounded up to whole
  weeks).

Lags are whole days in UTC (24 hours), not calendar days: around a daylight saving time
change the "same time yesterday" is an hour off in local time for one day.

Where the seasonal value is unknown (a gap in the history, or too little history), the
seasonal baselines give the persistence forecast instead, as the regression models do.

"Best naive" is the baseline with the lowest error on a backtest (see ``best_naive``);
values are in the sensor's unit throughout.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from flexmeasures.forecasting.features import DAY, WEEK
from flexmeasures.forecasting.metrics import wape
from flexmeasures.forecasting.models import NaiveForecaster, last_known_values

PERSISTENCE = "naive-persistence"
YESTERDAY = "naive-yesterday"
LAST_WEEK = "naive-week"
NAIVE_MODELS = (PERSISTENCE, YESTERDAY, LAST_WEEK)


def seasonal_lag(horizon: pd.Timedelta, period: pd.Timedelta) -> pd.Timedelta:
    """The smallest whole number of periods (at least one) that is at least the horizon:
    the value that many periods back is known at the belief time."""
    return period * max(1, int(np.ceil(pd.Timedelta(horizon) / period)))


def seasonal_values(
    history: pd.Series, event_starts: pd.DatetimeIndex, horizon: pd.Timedelta, period: pd.Timedelta
) -> pd.Series:
    """For each event start s, the value of the event starting at s - lag, where lag is the
    horizon rounded up to whole periods; persistence where that value is unknown."""
    lag = seasonal_lag(horizon, period)
    seasonal = history.reindex(event_starts - lag).to_numpy(float)
    persistence = last_known_values(history, event_starts, horizon).to_numpy(float)
    values = np.where(np.isfinite(seasonal), seasonal, persistence)
    return pd.Series(values, index=event_starts, name="forecast")


class PersistenceForecaster(NaiveForecaster):
    """Persistence under its baseline name (the same forecasts as "naive")."""

    name = PERSISTENCE


class SeasonalNaiveForecaster(NaiveForecaster):
    """The value one period (rounded up to cover the horizon) before each event."""

    period: pd.Timedelta = DAY

    def predict(
        self,
        event_starts: pd.DatetimeIndex,
        history: pd.Series | None = None,
        regressors: pd.DataFrame | None = None,
    ) -> pd.Series:
        """The seasonal value known at each event's belief time (see ``seasonal_values``)."""
        return seasonal_values(self._history(history), event_starts, self.horizon, self.period)


class YesterdayForecaster(SeasonalNaiveForecaster):
    """Same time yesterday (two days back for horizons over 24 hours, and so on)."""

    name = YESTERDAY
    period = DAY


class LastWeekForecaster(SeasonalNaiveForecaster):
    """Same time last week."""

    name = LAST_WEEK
    period = WEEK


BASELINES: dict[str, type[NaiveForecaster]] = {
    PERSISTENCE: PersistenceForecaster,
    YESTERDAY: YesterdayForecaster,
    LAST_WEEK: LastWeekForecaster,
}


def baseline_forecasts(
    history: pd.Series, event_starts: pd.DatetimeIndex, horizon: pd.Timedelta
) -> dict[str, pd.Series]:
    """Each baseline's forecasts (sensor's unit) of the events, by name, from the history
    (each event using only what is known at its belief time)."""
    return {
        name: model().fit(history, horizon).predict(event_starts)
        for name, model in BASELINES.items()
    }


def best_naive(actual: pd.Series, forecasts: dict[str, pd.Series]) -> tuple[str, float]:
    """The name and WAPE (a fraction) of the forecast with the lowest WAPE against the
    actual values, compared on the events all of them forecast; ties go to the first
    given (persistence, then yesterday, then last week). NaN WAPEs never win."""
    common = pd.DataFrame(forecasts).dropna().index.intersection(actual.dropna().index)
    scores = {name: wape(actual.loc[common], f.loc[common]) for name, f in forecasts.items()}
    finite = {name: score for name, score in scores.items() if np.isfinite(score)}
    if not finite:
        first = next(iter(forecasts))
        return first, float("nan")
    name = min(finite, key=finite.get)
    return name, finite[name]
