"""Model choice per sensor and horizon by a rolling-origin backtest ("auto").

Over the most recent history (``BACKTEST_FOLDS`` folds of ``FOLD_LENGTH`` each, at the end
of the data known when choosing; shorter folds, of whole days, when the history is too
short to leave MIN_TRAINING before them), every candidate model (the naive baselines, the
daily profile, OLS, gradient boosting, and forecast combinations: the means of OLS and
gradient boosting, of the profile and OLS, and of all three) is fitted at each fold's first
belief time on the data known then and forecasts the fold's events, each from the data
known at its own belief time (as in ``rolling_forecasts``). A forecast combination is
scored on the mean of its parts' backtest forecasts (the same fits, no extra cost). The
candidates are scored by WAPE on the events all of them forecast; the lowest wins (ties:
the first candidate), except that a naive baseline wins only if it beats the best other
candidate clearly: by a one-sided paired test on the days of the backtest
(``clearly_better``, 5 %), or by far (a WAPE over ``NAIVE_MARGIN``, a fifth, lower).
When the candidates are within a point of each other, a two-week
backtest picks the winner by the noise of those weeks; a model that the baselines beat
only by chance is kept. So the chosen model is never clearly worse than the best naive
forecast on the backtest.

A choice is kept for ``max_age`` (``DEFAULT_MAX_AGE``, a week) of data: forecasts whose
first belief time is more than that after the end of the backtest's data choose again
(see ``Selection.valid_for``). Too little history for a backtest chooses ``NO_BACKTEST_MODEL``
(OLS, which itself falls back to persistence on degenerate data), and says why.

Pure: series in, ``Selection`` out. Values are in the sensor's unit; WAPE is a fraction.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from flexmeasures.forecasting.baselines import NAIVE_MODELS
from flexmeasures.forecasting.combinations import PROFILE_COMBINATIONS
from flexmeasures.forecasting.features import DAY, infer_resolution, regular_series
from flexmeasures.forecasting.models import MODELS, MeanForecaster
from flexmeasures.forecasting.profile import DailyProfileForecaster
from flexmeasures.forecasting.rolling import rolling_forecasts

AUTO = "auto"
REGRESSION_MODELS = ("ols", "hgb")
COMBINATIONS = (MeanForecaster.name, *(model.name for model in PROFILE_COMBINATIONS))
# (combinations are scored as the mean of their parts' forecasts)
CANDIDATES = (*NAIVE_MODELS, DailyProfileForecaster.name, *REGRESSION_MODELS, *COMBINATIONS)
NAIVE_SIGNIFICANCE = 1.645  # one-sided 5 %: see clearly_better
SIGN_TEST_LEVEL = 0.05
NAIVE_MARGIN = 0.2  # a naive forecast with a WAPE this much lower wins anyway
BACKTEST_FOLDS = 2
FOLD_LENGTH = pd.Timedelta(days=7)
MIN_TRAINING = pd.Timedelta(days=2)
DEFAULT_MAX_AGE = pd.Timedelta(days=7)
NO_BACKTEST_MODEL = "ols"


@dataclass(frozen=True)
class Selection:
    """The model chosen for one sensor and horizon, and why.

    - model: the chosen model's name; horizon: the forecast horizon;
    - wape: its backtest WAPE (fraction); scores: every candidate's backtest WAPE;
    - best_naive, best_naive_wape: the best baseline and its WAPE on the same events;
    - data_until: the start of the last event of the data the choice was made on (UTC);
    - backtest_start: the start of the backtest's first fold (UTC);
    - reason: why no backtest was made (empty if one was).
    """

    model: str
    horizon: pd.Timedelta
    wape: float = float("nan")
    best_naive: str = ""
    best_naive_wape: float = float("nan")
    scores: dict[str, float] = field(default_factory=dict)
    data_until: pd.Timestamp | None = None
    backtest_start: pd.Timestamp | None = None
    reason: str = ""

    @property
    def skill(self) -> float:
        """1 - WAPE / WAPE of the best naive forecast (0: as good as it; NaN: unknown)."""
        if not self.best_naive_wape > 0:
            return float("nan")
        return 1 - self.wape / self.best_naive_wape

    def valid_for(self, start: pd.Timestamp, max_age: pd.Timedelta = DEFAULT_MAX_AGE) -> bool:
        """Whether forecasts of events from ``start`` on may use this choice: it was made
        on data known at their first belief time, at most ``max_age`` before it."""
        if self.data_until is None:
            return False
        first_known = pd.Timestamp(start) - self.horizon
        return first_known - pd.Timedelta(max_age) < self.data_until <= first_known

    def describe(self) -> str:
        """In words, e.g. "ols (backtest accuracy 84.1 %; best naive naive-yesterday
        80.2 %; skill 19.7 %)"."""
        if self.reason:
            return f"{self.model} ({self.reason})"
        return (
            f"{self.model} (backtest accuracy {1 - self.wape:.1%}; best naive "
            f"{self.best_naive} {1 - self.best_naive_wape:.1%}; skill {self.skill:.1%})"
        )

    def to_dict(self) -> dict[str, Any]:
        """As JSON-compatible values (ISO 8601 times and durations; NaN as None)."""
        data = asdict(self)
        data["horizon"] = pd.Timedelta(self.horizon).isoformat()
        for key in ("data_until", "backtest_start"):
            data[key] = data[key].isoformat() if data[key] is not None else None
        data["scores"] = {name: _json_float(score) for name, score in self.scores.items()}
        for key in ("wape", "best_naive_wape"):
            data[key] = _json_float(data[key])
        data["skill"] = _json_float(self.skill)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Selection:
        """The selection saved by ``to_dict``."""
        values = {key: data[key] for key in data if key in cls.__dataclass_fields__}
        values["horizon"] = pd.Timedelta(data["horizon"])
        for key in ("data_until", "backtest_start"):
            values[key] = pd.Timestamp(data[key]) if data.get(key) else None
        for key in ("wape", "best_naive_wape"):
            values[key] = _float(data.get(key))
        values["scores"] = {name: _float(score) for name, score in data["scores"].items()}
        return cls(**values)


def _json_float(value: float) -> float | None:
    """A float for JSON: None instead of NaN or infinity."""
    return float(value) if np.isfinite(value) else None


def _float(value: float | None) -> float:
    """A float read from JSON: NaN for None."""
    return float("nan") if value is None else float(value)


def select_model(
    series: pd.Series,
    horizon: pd.Timedelta,
    regressors: pd.DataFrame | None = None,
    model_options: dict | None = None,
    candidates: tuple[str, ...] = CANDIDATES,
    folds: int = BACKTEST_FOLDS,
    fold_length: pd.Timedelta = FOLD_LENGTH,
) -> Selection:
    """Choose among the candidate models by a rolling-origin backtest over the end of
    ``series`` (all the data known when choosing; sensor's unit, UTC event starts).

    ``regressors`` and ``model_options`` are as for ``rolling_forecasts``. Each of the
    ``folds`` folds is ``fold_length`` long; the models are refitted at each fold's start.
    """
    horizon = pd.Timedelta(horizon)
    known = regular_series(series).dropna()
    if len(known) < 2:
        return Selection(NO_BACKTEST_MODEL, horizon, reason="too little history for a backtest")
    end = known.index[-1] + infer_resolution(regular_series(series))
    fold_length = fitting_fold_length(end - known.index[0] - horizon, folds, fold_length)
    if fold_length is None:
        reason = f"too little history for a backtest ({known.index[-1] - known.index[0]})"
        return Selection(NO_BACKTEST_MODEL, horizon, reason=reason)
    start = end - folds * fold_length
    forecasts = backtest_forecasts(
        series, horizon, start, end, candidates, regressors, model_options, fold_length
    )
    return choose(series, forecasts, horizon, known.index[-1], start)


def fitting_fold_length(
    span: pd.Timedelta, folds: int, longest: pd.Timedelta = FOLD_LENGTH
) -> pd.Timedelta | None:
    """The longest fold length (at most ``longest``, whole days) such that ``folds`` folds
    leave MIN_TRAINING of the span before them; None if not even one day does."""
    days = min(longest.days, int((span - MIN_TRAINING) / (folds * DAY)))
    return DAY * days if days >= 1 else None


def backtest_forecasts(
    series: pd.Series,
    horizon: pd.Timedelta,
    start: pd.Timestamp,
    end: pd.Timestamp,
    candidates: tuple[str, ...],
    regressors: pd.DataFrame | None = None,
    model_options: dict | None = None,
    fold_length: pd.Timedelta = FOLD_LENGTH,
) -> dict[str, pd.Series]:
    """Each candidate's rolling forecasts (sensor's unit) of the events in [start, end),
    refitted every fold_length, by model name. A forecast combination whose parts come
    before it among the candidates is the mean of their forecasts (the same fits)."""
    forecasts = {}
    for name in candidates:
        parts = combination_parts(name)
        if parts and all(part in forecasts for part in parts):
            forecasts[name] = mean_forecast([forecasts[part] for part in parts])
            continue
        frame = rolling_forecasts(
            series,
            horizon,
            start,
            end,
            model_name=name,
            regressors=regressors,
            refit_every=fold_length,
            model_options=model_options or {},
        )
        forecasts[name] = pd.Series(frame["value"].to_numpy(float), index=frame["event_start"])
    return forecasts


def mean_forecast(forecasts: list[pd.Series]) -> pd.Series:
    """The mean of forecasts per event (NaN where any has none): a combination's forecast."""
    return pd.concat(forecasts, axis=1).mean(axis=1, skipna=False)


def combination_parts(name: str) -> tuple[str, ...]:
    """The models whose mean a forecast combination is (none for other models)."""
    model = MODELS.get(name)
    if isinstance(model, type) and issubclass(model, MeanForecaster):
        return tuple(model.parts)
    return ()


def choose(
    series: pd.Series,
    forecasts: dict[str, pd.Series],
    horizon: pd.Timedelta,
    data_until: pd.Timestamp,
    backtest_start: pd.Timestamp,
    significance: float = NAIVE_SIGNIFICANCE,
) -> Selection:
    """The Selection among ``forecasts`` by their WAPE against ``series`` on the events all
    of them cover: the lowest wins (ties: the first given), except that a naive forecast
    wins only if it beats the best other forecast clearly (see ``clearly_better``) or by
    far (a WAPE over NAIVE_MARGIN lower); else that one wins. The naive ones among them
    give the best naive."""
    frame, actual = scored_events(series, forecasts)
    errors = frame.sub(actual, axis=0).abs()
    volume = float(actual.abs().sum())
    scores = {name: float(errors[name].sum()) / volume if volume > 0 else np.nan for name in frame}
    finite = {name: score for name, score in scores.items() if np.isfinite(score)}
    if not finite:
        return Selection(NO_BACKTEST_MODEL, horizon, reason="no events to score the backtest on")
    model = min(finite, key=finite.get)
    models = {name: score for name, score in finite.items() if name not in NAIVE_MODELS}
    if model in NAIVE_MODELS and models:
        challenger = min(models, key=models.get)
        by_far = finite[model] < (1 - NAIVE_MARGIN) * models[challenger]
        if not (by_far or clearly_better(errors[model], errors[challenger], significance)):
            model = challenger
    naive = {name: score for name, score in finite.items() if name in NAIVE_MODELS}
    naive_name = min(naive, key=naive.get) if naive else ""
    return Selection(
        model=model,
        horizon=horizon,
        wape=finite[model],
        best_naive=naive_name,
        best_naive_wape=naive.get(naive_name, float("nan")),
        scores=scores,
        data_until=data_until,
        backtest_start=backtest_start,
    )


def scored_events(
    series: pd.Series, forecasts: dict[str, pd.Series]
) -> tuple[pd.DataFrame, pd.Series]:
    """The forecasts (a column each) and the actual values of ``series``, on the events
    that all of them have a finite value for."""
    frame = pd.DataFrame(forecasts)
    actual = series.reindex(frame.index)
    rows = np.isfinite(frame.to_numpy(float)).all(axis=1) & np.isfinite(actual.to_numpy(float))
    return frame[rows], actual[rows]


def clearly_better(
    errors: pd.Series, other_errors: pd.Series, significance: float = NAIVE_SIGNIFICANCE
) -> bool:
    """Whether the absolute errors ``errors`` are lower than ``other_errors`` (same events)
    by more than chance, judged on their sums per day of the backtest by two one-sided
    paired tests: the t statistic of the daily differences (the mean over its standard
    error, in the manner of Diebold and Mariano) exceeds ``significance`` (1.645: 5 %), or
    the days on which they are lower are too many for a coin (sign test, 5 %; this catches
    a forecast that is exact while the other errs on a few days only). With one day, or
    days that all differ by the same amount, it is whether the sum is lower at all."""
    days = errors.index.floor("D")
    daily = (other_errors - errors).groupby(days).sum().to_numpy(float)
    spread = daily.std(ddof=1) if daily.size > 1 else 0.0
    if not spread > 0:
        return bool(daily.sum() > 0)
    wins = int((daily > 0).sum())
    if stats.binom.sf(wins - 1, daily.size, 0.5) <= SIGN_TEST_LEVEL:
        return True
    return bool(daily.mean() / (spread / np.sqrt(daily.size)) > significance)


def selection_periods(
    start: pd.Timestamp, end: pd.Timestamp, max_age: pd.Timedelta = DEFAULT_MAX_AGE
) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """[start, end) cut into periods of max_age: the model is chosen again for each (the
    schedule on which forecasts over a long window choose their model)."""
    starts = pd.date_range(start, end, freq=pd.Timedelta(max_age), inclusive="left")
    return [(s, min(s + pd.Timedelta(max_age), end)) for s in starts]


def known_at(series: pd.Series, start: pd.Timestamp, horizon: pd.Timedelta) -> pd.Series:
    """The part of the series known at the first belief time of events from ``start`` on:
    events starting at or before start - horizon."""
    return series.loc[: pd.Timestamp(start) - pd.Timedelta(horizon)]
