"""How sure a forecast is: quantiles from the model's own backtest errors per hour of day.

Every model is fitted twice: once on all the data (for the forecasts), and once on the data
known before the last BACKTEST of history, to forecast that span as it would have been
forecast (each event from the data known at its belief time). The backtest's residuals
(actual - forecast, in the sensor's unit) give, per local hour of the day (pooled with the
NEIGHBOUR_HOURS hours on either side, so that each hour has enough of them), the quantiles
added to the point forecast: the 10 % and 90 % quantiles span the band in which 8 out of 10
outcomes should fall. Solar residuals are zero at night, so the band closes there.

The 50 % belief is the model's point forecast itself (its estimate of the expected value,
which ``getPrognosis`` returns); the other quantiles are monotone in their probability and
lie on the right side of it (a 10 % quantile is never above the point forecast, a 90 % one
never below). A series that never had one sign (production measured as a positive power,
a consumption-only load) gets no quantile of the other sign (``sign_bounds``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from flexmeasures.forecasting.features import infer_resolution, regular_series
from flexmeasures.forecasting.models import Forecaster
from flexmeasures.forecasting.physics import WrappedForecaster

DEFAULT_PROBABILITIES = (0.1, 0.5, 0.9)
MEDIAN = 0.5
BACKTEST = pd.Timedelta(days=28)
NEIGHBOUR_HOURS = 1
MIN_BACKTEST_FRACTION = 1 / 3  # at most this share of the history is held out


def check_probabilities(probabilities: Sequence[float]) -> tuple[float, ...]:
    """The probabilities sorted, with the median added; ValueError unless each is in (0, 1)."""
    values = sorted({float(p) for p in probabilities} | {MEDIAN})
    if any(not 0 < p < 1 for p in values):
        raise ValueError(f"Quantile probabilities must lie between 0 and 1, not {values}.")
    return tuple(values)


def quantile_column(probability: float) -> str:
    """The name of a quantile's column in forecast frames: 0.1 → "p10", 0.025 → "p2.5"."""
    return f"p{100 * probability:g}"


def backtest_residuals(
    factory: Callable[[], Forecaster],
    series: pd.Series,
    horizon: pd.Timedelta,
    regressors: pd.DataFrame | None = None,
    span: pd.Timedelta = BACKTEST,
) -> pd.Series:
    """Residuals (actual - forecast, sensor unit) of a new model from ``factory`` over the
    last ``span`` of the series (at most MIN_BACKTEST_FRACTION of its known history), fitted
    on the events known at the first test event's belief time. Empty if too short."""
    series = regular_series(series)
    known = series.dropna()
    if len(known) < 3:
        return pd.Series(dtype=float, index=pd.DatetimeIndex([], tz="UTC"))
    span = min(pd.Timedelta(span), (known.index[-1] - known.index[0]) * MIN_BACKTEST_FRACTION)
    resolution = infer_resolution(series)
    first_test = (known.index[-1] - span).ceil(resolution)
    model = factory().fit(series.loc[: first_test - horizon], horizon, regressors)
    tested = series.loc[first_test:].dropna()
    predicted = model.predict(tested.index, history=series, regressors=regressors)
    return (tested - predicted).dropna()


def residual_quantiles(
    residuals: pd.Series, probabilities: Sequence[float], timezone: str = "UTC"
) -> pd.DataFrame:
    """Quantiles of the residuals per local hour of the day (rows 0 to 23; columns the
    probabilities, sensor unit).

    Each hour's size is its own mean absolute residual; its shape (quantiles of residuals
    divided by the size of their own hour) is pooled with the NEIGHBOUR_HOURS hours on
    either side (around midnight too), or over all hours if those have none. So an hour
    next to the night (solar) gets its own width, not one shrunk by the night's zeros.
    Each residual is divided by the size of its hour without itself (leave one out: a
    large residual does not shrink itself), and the shape's quantiles are finite-sample
    ones (see ``finite_sample_quantiles``)."""
    residuals = residuals.dropna()
    if residuals.empty:
        raise ValueError("No residuals to take quantiles of.")
    hours = np.asarray(residuals.index.tz_convert(timezone).hour)
    values = residuals.to_numpy(float)
    grouped = pd.Series(np.abs(values)).groupby(hours)
    sizes = grouped.mean().reindex(range(24)).fillna(0)
    own_size = _sizes_without(values, hours, grouped)
    sized = own_size > 0
    scaled = np.divide(values, own_size, out=np.zeros_like(values), where=sized)
    overall = finite_sample_quantiles(scaled[sized], probabilities) if sized.any() else None
    rows = {}
    for hour in range(24):
        distance = np.abs((hours - hour + 12) % 24 - 12)
        near = scaled[sized & (distance <= NEIGHBOUR_HOURS)]
        shape = finite_sample_quantiles(near, probabilities) if near.size else overall
        if shape is None:
            shape = np.zeros(len(probabilities))
        rows[hour] = sizes[hour] * shape
    return pd.DataFrame.from_dict(rows, orient="index", columns=list(probabilities))


def _sizes_without(values: np.ndarray, hours: np.ndarray, grouped) -> np.ndarray:
    """Per residual, the mean absolute residual of its hour without itself (with itself
    when it is its hour's only one)."""
    sums = grouped.sum().reindex(range(24)).fillna(0).to_numpy()[hours]
    counts = grouped.count().reindex(range(24)).fillna(0).to_numpy()[hours]
    alone = counts <= 1
    return np.where(alone, sums, (sums - np.abs(values)) / np.maximum(counts - 1, 1))


def finite_sample_quantiles(values: np.ndarray, probabilities: Sequence[float]) -> np.ndarray:
    """Quantiles of a sample that hold for a new value from the same distribution with at
    least their probability (split-conformal order statistics): for p > 0.5 the
    ceil((n + 1) p)-th smallest of the n values (the largest if that is beyond n), for
    p < 0.5 the floor((n + 1) p)-th smallest (the smallest if that is 0), and the median
    for p = 0.5. Empirical quantiles of small samples are too narrow: of 20 values, the
    90 % one lies below about 1 in 7 new values, not 1 in 10."""
    ordered = np.sort(np.asarray(values, dtype=float))
    n = ordered.size
    result = []
    for p in probabilities:
        if p == MEDIAN:
            result.append(np.median(ordered))
            continue
        rank = np.ceil((n + 1) * p) if p > MEDIAN else np.floor((n + 1) * p)
        result.append(ordered[int(np.clip(rank, 1, n)) - 1])
    return np.asarray(result)


def sign_bounds(series: pd.Series) -> tuple[float, float]:
    """(0, inf) for a series that was never negative (e.g. solar production measured as a
    positive power), (-inf, 0) for one never positive, else no bounds: a quantile of a
    sign the series never had would be a band promising what cannot happen."""
    known = series.dropna()
    if len(known) and (known >= 0).all():
        return 0.0, np.inf
    if len(known) and (known <= 0).all():
        return -np.inf, 0.0
    return -np.inf, np.inf


def quantile_forecasts(
    point: pd.Series,
    table: pd.DataFrame,
    timezone: str = "UTC",
    bounds: tuple[float, float] = (-np.inf, np.inf),
) -> pd.DataFrame:
    """Per event of ``point`` (forecasts, sensor unit), a column per probability of
    ``table`` (see ``residual_quantiles``): the point forecast plus the residual quantile of
    the event's local hour, within ``bounds`` (see ``sign_bounds``), kept on the right side
    of the point forecast and monotone in the probability; the median column (0.5) is the
    point forecast itself."""
    probabilities = np.asarray(sorted(table.columns), dtype=float)
    hours = np.asarray(point.index.tz_convert(timezone).hour)
    offsets = table[list(probabilities)].to_numpy(float)[hours]
    centre = point.to_numpy(float)[:, None]
    values = np.clip(centre + offsets, *bounds)
    values = np.where(probabilities < MEDIAN, np.minimum(values, centre), values)
    values = np.where(probabilities > MEDIAN, np.maximum(values, centre), values)
    values = np.where(probabilities == MEDIAN, centre, values)
    finite = np.isfinite(values).all(axis=1)
    values[finite] = np.maximum.accumulate(values[finite], axis=1)
    return pd.DataFrame(values, index=point.index, columns=list(probabilities))


class QuantileForecaster(WrappedForecaster):
    """A model (made by ``factory``) whose forecasts come with quantiles (see module doc)."""

    def __init__(
        self,
        factory: Callable[[], Forecaster],
        probabilities: Sequence[float] = DEFAULT_PROBABILITIES,
        timezone: str = "UTC",
        backtest: pd.Timedelta = BACKTEST,
    ) -> None:
        """``factory`` makes a new, unfitted model; ``timezone`` is the sensor's (hours of
        the day are local); ``backtest`` is the span held out for the residuals."""
        super().__init__(factory())
        self.factory = factory
        self.probabilities = check_probabilities(probabilities)
        self.timezone = timezone
        self.backtest = pd.Timedelta(backtest)
        self.table: pd.DataFrame | None = None
        self.bounds: tuple[float, float] = (-np.inf, np.inf)

    def fit(
        self, series: pd.Series, horizon: pd.Timedelta, regressors: pd.DataFrame | None = None
    ) -> QuantileForecaster:
        """Fit the model on all of the series, and the residual quantiles on a backtest
        (none if the history is too short for one)."""
        series = self._remember(series, horizon, regressors)
        self.inner.fit(series, horizon, regressors)
        self.bounds = sign_bounds(series)
        residuals = backtest_residuals(
            self.factory, series, self.horizon, regressors, self.backtest
        )
        self.table = (
            residual_quantiles(residuals, self.probabilities, self.timezone)
            if len(residuals)
            else None
        )
        return self

    def predict(
        self,
        event_starts: pd.DatetimeIndex,
        history: pd.Series | None = None,
        regressors: pd.DataFrame | None = None,
    ) -> pd.Series:
        """The model's point forecasts."""
        return self.inner.predict(event_starts, self._history(history), regressors)

    def predict_quantiles(
        self,
        event_starts: pd.DatetimeIndex,
        history: pd.Series | None = None,
        regressors: pd.DataFrame | None = None,
    ) -> pd.DataFrame:
        """A column per probability (the median: the point forecast); NaN in the other
        columns when there was no backtest to learn the errors from."""
        point = self.predict(event_starts, history, regressors)
        if self.table is None:
            frame = pd.DataFrame(np.nan, index=point.index, columns=list(self.probabilities))
            frame[MEDIAN] = point
            return frame
        return quantile_forecasts(point, self.table, self.timezone, self.bounds)
