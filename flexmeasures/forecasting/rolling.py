"""Rolling forecasts: a forecast for every step of a window, each from the data known at
its belief time (event end - horizon), with the model refitted once per refit period.

Per refit period (a day by default) the model is fitted once, on the events known at the
period's first belief time, and all steps of the period are predicted in one call; each
step's lagged outcomes are taken at lags of at least the horizon, so they are known at that
step's own belief time.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd

from flexmeasures.forecasting.features import DAY, infer_resolution, regular_series
from flexmeasures.forecasting.models import get_model

DEFAULT_HORIZONS = tuple(pd.Timedelta(hours=hours) for hours in (1, 6, 24, 48))
COLUMNS = ["event_start", "belief_time", "belief_horizon", "value", "source"]


def rolling_forecasts(
    series: pd.Series,
    horizon: pd.Timedelta,
    start: datetime | pd.Timestamp,
    end: datetime | pd.Timestamp,
    model_name: str = "ols",
    regressors: pd.DataFrame | None = None,
    refit_every: pd.Timedelta = DAY,
    model_options: dict | None = None,
) -> pd.DataFrame:
    """Forecasts for every step in [start, end) at the series' resolution.

    ``series`` holds the measurements (sensor's unit; UTC event starts); ``regressors``
    holds, per event start, the external variables as known at that event's belief time
    for this horizon (e.g. weather forecasts issued before it). Returns one row per step
    with a forecast: event_start, belief_time, belief_horizon (= horizon), value (sensor's
    unit) and source (the label of the model that made it, see ModelSource.label).
    """
    series = regular_series(series)
    horizon = pd.Timedelta(horizon)
    steps = pd.date_range(_utc(start), _utc(end), freq=infer_resolution(series), inclusive="left")
    frames = [
        _forecast_window(series, window, horizon, model_name, regressors, model_options or {})
        for window in refit_windows(steps, refit_every)
    ]
    if not frames:
        return pd.DataFrame(columns=COLUMNS)
    return pd.concat(frames, ignore_index=True).dropna(subset=["value"]).reset_index(drop=True)


def refit_windows(steps: pd.DatetimeIndex, refit_every: pd.Timedelta) -> list[pd.DatetimeIndex]:
    """The steps split into consecutive windows of refit_every, counted from the first."""
    if steps.empty:
        return []
    codes = np.asarray((steps - steps[0]) // pd.Timedelta(refit_every))
    boundaries = np.flatnonzero(np.diff(codes)) + 1
    return [steps[chunk] for chunk in np.split(np.arange(len(steps)), boundaries)]


def _forecast_window(
    series: pd.Series,
    window: pd.DatetimeIndex,
    horizon: pd.Timedelta,
    model_name: str,
    regressors: pd.DataFrame | None,
    model_options: dict,
) -> pd.DataFrame:
    """Fit on the data known at the window's first belief time; predict the window."""
    resolution = infer_resolution(series)
    known_at_fit = series.loc[: window[0] - horizon]
    model = get_model(model_name, **model_options).fit(known_at_fit, horizon, regressors)
    known_at_last_step = series.loc[: window[-1] - horizon]
    values = model.predict(window, history=known_at_last_step, regressors=regressors)
    return pd.DataFrame(
        {
            "event_start": window,
            "belief_time": window + resolution - horizon,
            "belief_horizon": horizon,
            "value": values.to_numpy(float),
            "source": model.source.label,
        }
    )


def _utc(moment: datetime | pd.Timestamp) -> pd.Timestamp:
    """A tz-aware moment in UTC (naive moments are refused: their meaning is unclear)."""
    moment = pd.Timestamp(moment)
    if moment.tzinfo is None:
        raise ValueError("Start and end of rolling forecasts must be timezone-aware.")
    return moment.tz_convert("UTC")
