"""Rolling forecasts: a forecast for every step of a window, each from the data known at
its belief time (event end - horizon), with the model refitted once per refit period.

Per refit period (a day by default) the model is fitted once, on the events known at the
period's first belief time, and all steps of the period are predicted in one call; each
step's lagged outcomes are taken at lags of at least the horizon, so they are known at that
step's own belief time.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import partial

import numpy as np
import pandas as pd

from flexmeasures.forecasting.features import DAY, infer_resolution, regular_series
from flexmeasures.forecasting.physics import physical_model
from flexmeasures.forecasting.quantiles import MEDIAN, QuantileForecaster, quantile_column

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
    quantiles: Sequence[float] | None = None,
) -> pd.DataFrame:
    """Forecasts for every step in [start, end) at the series' resolution.

    ``series`` holds the measurements (sensor's unit; UTC event starts); ``regressors``
    holds, per event start, the external variables as known at that event's belief time
    for this horizon (e.g. weather forecasts issued before it). Returns one row per step
    with a forecast: event_start, belief_time, belief_horizon (= horizon), value (sensor's
    unit) and source (the label of the model that made it, see ModelSource.label).

    ``model_options`` go to ``physical_model`` (e.g. timezone, and asset_type, latitude
    and longitude for solar and wind physics). With ``quantiles`` (probabilities, e.g.
    (0.1, 0.5, 0.9)), each row also has a column per probability other than the median
    (named by ``quantile_column``, e.g. "p10"), NaN where the model has no band.
    """
    series = regular_series(series)
    horizon = pd.Timedelta(horizon)
    steps = pd.date_range(_utc(start), _utc(end), freq=infer_resolution(series), inclusive="left")
    frames = [
        _forecast_window(
            series, window, horizon, model_name, regressors, model_options or {}, quantiles
        )
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
    quantiles: Sequence[float] | None = None,
) -> pd.DataFrame:
    """Fit on the data known at the window's first belief time; predict the window."""
    resolution = infer_resolution(series)
    known_at_fit = series.loc[: window[0] - horizon]
    factory = partial(physical_model, model_name, **model_options)
    if quantiles:
        timezone = model_options.get("timezone", "UTC")
        model = QuantileForecaster(factory, quantiles, timezone)
    else:
        model = factory()
    model.fit(known_at_fit, horizon, regressors)
    known_at_last_step = series.loc[: window[-1] - horizon]
    frame = pd.DataFrame(
        {
            "event_start": window,
            "belief_time": window + resolution - horizon,
            "belief_horizon": horizon,
            "value": np.nan,
            "source": model.source.label,
        }
    )
    if not quantiles:
        values = model.predict(window, history=known_at_last_step, regressors=regressors)
        return frame.assign(value=values.to_numpy(float))
    table = model.predict_quantiles(window, history=known_at_last_step, regressors=regressors)
    frame["value"] = table.pop(MEDIAN).to_numpy(float)
    for probability in table.columns:
        frame[quantile_column(probability)] = table[probability].to_numpy(float)
    return frame


def _utc(moment: datetime | pd.Timestamp) -> pd.Timestamp:
    """A tz-aware moment in UTC (naive moments are refused: their meaning is unclear)."""
    moment = pd.Timestamp(moment)
    if moment.tzinfo is None:
        raise ValueError("Start and end of rolling forecasts must be timezone-aware.")
    return moment.tz_convert("UTC")
