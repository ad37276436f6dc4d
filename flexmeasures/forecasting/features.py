"""Design matrices for forecasting one sensor's series at one horizon.

Conventions (shared by the whole forecasting package):

- A target series is a pandas Series of floats (in the sensor's unit, e.g. MW) indexed by
  event starts: a tz-aware UTC DatetimeIndex at a fixed resolution.
- The forecast for the event starting at ``s`` is made at belief time ``s + resolution -
  horizon`` (the horizon is counted back from the event's end, as in timely-beliefs). A
  measurement is known once its event has ended, so the newest value known at that belief
  time is the one of the event starting at ``s - horizon``. Lagged outcomes are therefore
  only ever taken at lags of at least the horizon.
- External regressors (e.g. weather forecasts) are given per target event; the caller makes
  sure they hold what was known at the belief time (e.g. a forecast issued before it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

DAY = pd.Timedelta(days=1)
WEEK = pd.Timedelta(days=7)
CALENDAR_KINDS = ("dummies", "fourier", "ordinal", "none")


@dataclass(frozen=True)
class FeatureSpec:
    """Which features to build.

    - lags: lags of the outcome (each at least the horizon);
    - calendar: "dummies" (hour-of-day and day-of-week indicators), "fourier" (daily and
      weekly harmonics), "ordinal" (hour and weekday as numbers, for tree models) or "none";
    - timezone: the sensor's local timezone, in which calendar features are computed;
    - regressors: names of the external regressor columns to use (if given).
    """

    lags: tuple[pd.Timedelta, ...]
    calendar: str = "dummies"
    timezone: str = "UTC"
    regressors: tuple[str, ...] = field(default_factory=tuple)

    def describe(self) -> str:
        """A short human-readable summary, e.g. "lags 1h,1d,7d; dummies; regressors temp"."""
        lags = ",".join(_format_timedelta(lag) for lag in self.lags)
        text = f"lags {lags}; {self.calendar}"
        if self.regressors:
            text += f"; regressors {','.join(self.regressors)}"
        return text


def _format_timedelta(delta: pd.Timedelta) -> str:
    """Compact notation of a duration: 7d, 1h, 1h15m, 30m."""
    total_minutes = int(delta.total_seconds() // 60)
    days, minutes = divmod(total_minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [
        f"{days}d" if days else "",
        f"{hours}h" if hours else "",
        f"{minutes}m" if minutes else "",
    ]
    return "".join(parts) or "0m"


def validate_series(series: pd.Series) -> None:
    """Raise ValueError unless the series has a tz-aware UTC DatetimeIndex."""
    index = series.index
    if not isinstance(index, pd.DatetimeIndex):
        raise ValueError("The series needs a DatetimeIndex of event starts.")
    if index.tz is None or str(index.tz) != "UTC":
        raise ValueError("The series' index must be tz-aware and in UTC.")
    if not index.is_monotonic_increasing or index.has_duplicates:
        raise ValueError("The series' index must be sorted and without duplicates.")


def infer_resolution(series: pd.Series) -> pd.Timedelta:
    """The series' resolution: its index frequency, else the smallest step between events."""
    if series.index.freq is not None:
        return pd.Timedelta(series.index.freq)
    if len(series.index) < 2:
        raise ValueError("Cannot tell the resolution of a series with fewer than two events.")
    steps = np.diff(series.index.asi8)
    return pd.Timedelta(int(steps[steps > 0].min()), unit="ns")


def regular_series(series: pd.Series, resolution: pd.Timedelta | None = None) -> pd.Series:
    """The series (as floats) on a regular grid at its resolution, with NaN for missing
    events; a series of fewer than two events without a frequency is returned as is."""
    validate_series(series)
    values = series.astype(float)
    if resolution is None:
        if series.index.freq is None and len(series) < 2:
            return values
        resolution = infer_resolution(series)
    if values.empty:
        return values
    return values.asfreq(resolution)


def _ceil_to_multiple(delta: pd.Timedelta, unit: pd.Timedelta) -> pd.Timedelta:
    """The smallest multiple of unit that is at least delta (and at least one unit)."""
    return unit * max(1, int(np.ceil(delta / unit)))


def periodic_lags(horizon: pd.Timedelta) -> tuple[pd.Timedelta, ...]:
    """Lags at the sensor's periodicity that are known at the horizon: the same time on the
    most recent known day (1 day ahead or more), and the same time last week."""
    daily = _ceil_to_multiple(horizon, DAY)
    weekly = _ceil_to_multiple(horizon, WEEK)
    return tuple(sorted({daily, weekly}))


def recent_lags(
    horizon: pd.Timedelta, resolution: pd.Timedelta, count: int = 4
) -> tuple[pd.Timedelta, ...]:
    """The most recent known values: lags horizon, horizon + 1 step, … (count lags)."""
    first = _ceil_to_multiple(horizon, resolution)
    return tuple(first + i * resolution for i in range(count))


def candidate_lag_sets(
    horizon: pd.Timedelta, resolution: pd.Timedelta, history: pd.Timedelta
) -> list[tuple[pd.Timedelta, ...]]:
    """Candidate sets of lags to choose from by cross-validation.

    Each set holds the last known value (lag = horizon) and the periodic lags; one adds
    the day before the latest known day, and for horizons under a day one adds the four
    most recent known values. Lags longer than half the available history are left out
    (they would leave too few complete rows to fit on).
    """
    recent = recent_lags(horizon, resolution)
    periodic = periodic_lags(horizon)
    day_before = (periodic[0] + DAY,)
    sets = [recent[:1] + periodic, recent[:1] + periodic + day_before]
    if horizon < DAY:
        sets.insert(0, recent + periodic)
    usable = [tuple(sorted({lag for lag in lags if lag <= history / 2})) for lags in sets]
    unique = list(dict.fromkeys(lags for lags in usable if lags))
    return unique or [recent[:1]]


def lag_features(
    series: pd.Series, index: pd.DatetimeIndex, lags: Sequence[pd.Timedelta]
) -> pd.DataFrame:
    """For each event start s in index, the outcome at s - lag (NaN where unknown)."""
    columns = {
        f"lag_{_format_timedelta(lag)}": series.shift(freq=lag).reindex(index) for lag in lags
    }
    return pd.DataFrame(columns, index=index)


def calendar_features(index: pd.DatetimeIndex, kind: str, timezone: str) -> pd.DataFrame:
    """Calendar features of event starts, computed in the given local timezone."""
    if kind not in CALENDAR_KINDS:
        raise ValueError(f"Unknown calendar features '{kind}'; choose from {CALENDAR_KINDS}.")
    local = index.tz_convert(timezone)
    hours = local.hour + local.minute / 60
    weekdays = local.dayofweek
    if kind == "dummies":
        return _dummy_features(index, local.hour, weekdays)
    if kind == "fourier":
        return _fourier_features(index, hours, weekdays)
    if kind == "ordinal":
        return pd.DataFrame({"hour": hours, "weekday": weekdays}, index=index, dtype=float)
    return pd.DataFrame(index=index)


def _dummy_features(index: pd.DatetimeIndex, hours: pd.Index, weekdays: pd.Index) -> pd.DataFrame:
    """Hour-of-day and day-of-week indicators, without hour 0 and Monday (the intercept)."""
    columns = {f"hour_{h}": (hours == h).astype(float) for h in range(1, 24)}
    columns.update({f"weekday_{d}": (weekdays == d).astype(float) for d in range(1, 7)})
    return pd.DataFrame(columns, index=index)


def _fourier_features(index: pd.DatetimeIndex, hours: pd.Index, weekdays: pd.Index) -> pd.DataFrame:
    """Sine and cosine terms: 4 daily harmonics and 2 weekly ones."""
    day_phase = 2 * np.pi * np.asarray(hours) / 24
    week_phase = 2 * np.pi * (np.asarray(weekdays) + np.asarray(hours) / 24) / 7
    columns = {}
    for k in range(1, 5):
        columns[f"day_sin_{k}"] = np.sin(k * day_phase)
        columns[f"day_cos_{k}"] = np.cos(k * day_phase)
    for k in range(1, 3):
        columns[f"week_sin_{k}"] = np.sin(k * week_phase)
        columns[f"week_cos_{k}"] = np.cos(k * week_phase)
    return pd.DataFrame(columns, index=index)


def regressor_features(
    regressors: pd.DataFrame | None, index: pd.DatetimeIndex, names: Sequence[str]
) -> pd.DataFrame:
    """The named external regressors at each event start (NaN where not given)."""
    if not names:
        return pd.DataFrame(index=index)
    if regressors is None:
        raise ValueError(f"Regressors {list(names)} are needed but none were given.")
    missing = [name for name in names if name not in regressors.columns]
    if missing:
        raise ValueError(f"Regressors {missing} are missing.")
    return regressors[list(names)].astype(float).reindex(index).add_prefix("x_")


def build_features(
    series: pd.Series,
    index: pd.DatetimeIndex,
    spec: FeatureSpec,
    regressors: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The design matrix for forecasting the events starting at ``index``.

    Lagged outcomes are read from ``series`` (the history, in the sensor's unit); calendar
    features use ``spec.timezone``; regressors come from the ``regressors`` frame (indexed
    by event start). Rows may contain NaN where lags or regressors are unknown.
    """
    parts = [
        lag_features(series, index, spec.lags),
        calendar_features(index, spec.calendar, spec.timezone),
        regressor_features(regressors, index, spec.regressors),
    ]
    return pd.concat(parts, axis=1)
