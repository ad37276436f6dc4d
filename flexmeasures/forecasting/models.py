"""Forecasting models behind one interface: ``fit(series, horizon, regressors)`` then
``predict(event_starts, history, regressors)``.

- "ols": an ordinary least squares auto-regressive model with external variables
  (NumPy's least squares). Among candidate specifications (sets of lags, with or without the
  zero-safe Box-Cox transform) it picks the one with the lowest error in rolling-origin
  cross-validation over the most recent days.
- "hgb": scikit-learn's HistGradientBoostingRegressor on the same kind of features.
- "ols+hgb": the mean of the OLS and HGB forecasts (a forecast combination).
- "naive": the last value known at the belief time (persistence).

A regression model whose input is degenerate (no values, constant, too short) or whose
fitting fails falls back to the naive model, and says so in ``source`` (which model made
the forecast, its version and why), for the forecasts' data source label. Events that a
fitted model cannot forecast (a lag or regressor missing) also get the naive forecast.

Series conventions (UTC event starts, belief time = event end - horizon) are those of
``flexmeasures.forecasting.features``. Values are in the sensor's unit throughout.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, replace
from typing import ClassVar

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingRegressor
from threadpoolctl import ThreadpoolController

from flexmeasures.forecasting.features import (
    DAY,
    FeatureSpec,
    build_features,
    candidate_lag_sets,
    infer_resolution,
    regular_series,
)
from flexmeasures.forecasting.transform import ShiftedBoxCox, TransformError

MIN_ROWS_PER_COLUMN = 2
MIN_REGRESSOR_COVERAGE = 0.5

# The matrices are small (tens of columns): one BLAS/OpenMP thread is as fast, and it keeps
# fitting fast when other processes (workers, tests) share the cores, where spinning
# threads slow it down many times.
THREADS = ThreadpoolController()


class InsufficientData(ValueError):
    """Too few complete rows to fit any candidate specification."""


@dataclass(frozen=True)
class ModelSource:
    """Which model produced a forecast: name, version, specification, fallback reason."""

    name: str
    version: str
    specification: str = ""
    fallback_reason: str | None = None

    @property
    def label(self) -> str:
        """E.g. "ols 1.0 (lags 1d,7d; dummies)" or "naive 1.0 (fallback: constant series)"."""
        details = self.specification
        if self.fallback_reason:
            details = f"fallback: {self.fallback_reason}"
        return f"{self.name} {self.version}" + (f" ({details})" if details else "")


class Forecaster(ABC):
    """A model for one sensor and one horizon (see module docstring for conventions)."""

    name: ClassVar[str]
    version: ClassVar[str]

    def __init__(self) -> None:
        self.horizon: pd.Timedelta | None = None
        self.resolution: pd.Timedelta | None = None
        self.history: pd.Series | None = None
        self.regressors: pd.DataFrame | None = None

    @abstractmethod
    def fit(
        self, series: pd.Series, horizon: pd.Timedelta, regressors: pd.DataFrame | None = None
    ) -> Forecaster:
        """Fit on all of ``series`` (the data known at the fit's belief time)."""

    @abstractmethod
    def predict(
        self,
        event_starts: pd.DatetimeIndex,
        history: pd.Series | None = None,
        regressors: pd.DataFrame | None = None,
    ) -> pd.Series:
        """Forecasts for events starting at ``event_starts``, each using only the history
        known at its belief time (defaults: the fitted series and regressors)."""

    @property
    def source(self) -> ModelSource:
        """The model that produces this forecaster's forecasts."""
        return ModelSource(self.name, self.version)

    def _remember(
        self, series: pd.Series, horizon: pd.Timedelta, regressors: pd.DataFrame | None
    ) -> pd.Series:
        """Store the regular series, horizon and regressors; return the regular series."""
        self.horizon = pd.Timedelta(horizon)
        if self.horizon <= pd.Timedelta(0):
            raise ValueError("The forecast horizon must be positive.")
        self.history = regular_series(series)
        self.resolution = _resolution_or_none(self.history)
        self.regressors = regressors
        return self.history

    def _history(self, history: pd.Series | None) -> pd.Series:
        """The given history on a regular grid, or the fitted one."""
        if self.history is None:
            raise RuntimeError("Fit the model before predicting.")
        if history is None:
            return self.history
        return regular_series(history, self.resolution)


def _resolution_or_none(series: pd.Series) -> pd.Timedelta | None:
    """The series' resolution, or None if it cannot be told (fewer than two events)."""
    try:
        return infer_resolution(series)
    except ValueError:
        return None


class NaiveForecaster(Forecaster):
    """Persistence: each event gets the last value known at its belief time."""

    name = "naive"
    version = "1.0"

    def __init__(self, **_options) -> None:
        """Options of the other models (e.g. timezone) are accepted and ignored, so that
        callers can switch models by name."""
        super().__init__()

    def fit(
        self, series: pd.Series, horizon: pd.Timedelta, regressors: pd.DataFrame | None = None
    ) -> NaiveForecaster:
        """Remember the series; there is nothing to estimate."""
        self._remember(series, horizon, regressors)
        return self

    def predict(
        self,
        event_starts: pd.DatetimeIndex,
        history: pd.Series | None = None,
        regressors: pd.DataFrame | None = None,
    ) -> pd.Series:
        """The last finite value of an event starting at or before ``start - horizon``
        (NaN where there is none)."""
        return last_known_values(self._history(history), event_starts, self.horizon)


def last_known_values(
    history: pd.Series, event_starts: pd.DatetimeIndex, horizon: pd.Timedelta
) -> pd.Series:
    """For each event start s, the last finite value of an event starting ≤ s - horizon."""
    known = history.dropna()
    if known.empty:
        return pd.Series(np.nan, index=event_starts, name="forecast")
    positions = np.searchsorted(known.index.asi8, (event_starts - horizon).asi8, side="right") - 1
    values = np.where(positions >= 0, known.to_numpy(float)[np.maximum(positions, 0)], np.nan)
    return pd.Series(values, index=event_starts, name="forecast")


@dataclass(frozen=True)
class Candidate:
    """A specification to try: the features and whether to Box-Cox the outcome."""

    spec: FeatureSpec
    use_transform: bool

    def describe(self) -> str:
        """E.g. "lags 1d,7d; dummies; Box-Cox"."""
        return self.spec.describe() + ("; Box-Cox" if self.use_transform else "")


@dataclass
class Design:
    """A candidate's design matrix and outcome (transformed if so), as arrays over all
    events, with the rows complete enough to train on."""

    candidate: Candidate
    transform: ShiftedBoxCox | None
    features: np.ndarray
    outcome: np.ndarray
    usable: np.ndarray


@dataclass
class FittedCandidate:
    """A candidate fitted on data: the estimator and the transform (if any)."""

    candidate: Candidate
    estimator: object
    transform: ShiftedBoxCox | None


class RegressionForecaster(Forecaster):
    """Regression on lagged outcomes, calendar features and regressors, with candidate
    selection by rolling-origin cross-validation and a naive fall-back."""

    allows_missing_features: ClassVar[bool] = False

    def __init__(
        self,
        timezone: str = "UTC",
        calendar: str = "dummies",
        transform: str = "auto",
        cv_folds: int = 3,
        fold_length: pd.Timedelta = DAY,
    ) -> None:
        """timezone: the sensor's, for calendar features; transform: "auto" (let
        cross-validation decide), "boxcox" or "none"; cv_folds of fold_length each."""
        super().__init__()
        if transform not in ("auto", "boxcox", "none"):
            raise ValueError("transform must be 'auto', 'boxcox' or 'none'.")
        self.timezone = timezone
        self.calendar = calendar
        self.transform_choice = transform
        self.cv_folds = cv_folds
        self.fold_length = pd.Timedelta(fold_length)
        self.fitted: FittedCandidate | None = None
        self.fallback: NaiveForecaster | None = None
        self.fallback_reason: str | None = None

    @abstractmethod
    def _fit_estimator(self, features: np.ndarray, outcome: np.ndarray) -> object:
        """Fit the underlying estimator on a design matrix and outcome."""

    @abstractmethod
    def _predict_estimator(self, estimator: object, features: np.ndarray) -> np.ndarray:
        """Predictions of the underlying estimator for a design matrix."""

    @property
    def source(self) -> ModelSource:
        """The model that actually produces the forecasts (the naive one after a fall-back)."""
        if self.fallback is not None:
            return ModelSource(
                NaiveForecaster.name, NaiveForecaster.version, fallback_reason=self.fallback_reason
            )
        specification = self.fitted.candidate.describe() if self.fitted else ""
        return ModelSource(self.name, self.version, specification)

    @THREADS.wrap(limits=1)
    def fit(
        self, series: pd.Series, horizon: pd.Timedelta, regressors: pd.DataFrame | None = None
    ) -> RegressionForecaster:
        """Select a specification by cross-validation and fit it on all of the series;
        fall back to the naive model on degenerate data or when fitting fails."""
        series = self._remember(series, horizon, regressors)
        self.fitted, self.fallback, self.fallback_reason = None, None, None
        reason = degenerate_reason(series)
        if reason is None:
            try:
                self.fitted = self._fit_best(series)
            except InsufficientData as error:
                reason = str(error)
            except (np.linalg.LinAlgError, ValueError, TransformError) as error:
                reason = f"fitting failed: {error}"
        if reason is not None:
            self.fallback_reason = reason
            self.fallback = NaiveForecaster().fit(series, horizon, regressors)
        return self

    @THREADS.wrap(limits=1)
    def predict(
        self,
        event_starts: pd.DatetimeIndex,
        history: pd.Series | None = None,
        regressors: pd.DataFrame | None = None,
    ) -> pd.Series:
        """Model forecasts; events the model cannot forecast get the naive forecast."""
        history = self._history(history)
        naive = last_known_values(history, event_starts, self.horizon)
        if self.fallback is not None:
            return naive
        regressors = self.regressors if regressors is None else regressors
        predicted = self._predict_with(self.fitted, history, event_starts, regressors)
        return predicted.fillna(naive).rename("forecast")

    def candidates(self, series: pd.Series) -> list[Candidate]:
        """Specifications to choose from, given the data (override to change the search)."""
        history_span = series.dropna().index[-1] - series.dropna().index[0]
        resolution = infer_resolution(series)
        lag_sets = candidate_lag_sets(self.horizon, resolution, history_span)
        names = usable_regressors(self.regressors, series.index)
        transforms = {"auto": (False, True), "boxcox": (True,), "none": (False,)}
        return [
            Candidate(FeatureSpec(lags, self.calendar, self.timezone, names), use_transform)
            for lags in lag_sets
            for use_transform in transforms[self.transform_choice]
        ]

    def _fit_best(self, series: pd.Series) -> FittedCandidate:
        """Fit the candidate with the lowest cross-validated MAE on all rows."""
        designs = self._designs(series, self.candidates(series))
        viable = [design for design in designs if self._enough_rows(design, design.usable)]
        if not viable:
            raise InsufficientData(f"too little history ({series.notna().sum()} values)")
        best = viable[0]
        if len(viable) > 1:
            best = min(viable, key=lambda design: self._cross_validated_mae(series, design))
        estimator = self._fit_rows(best, best.usable)
        return FittedCandidate(best.candidate, estimator, best.transform)

    def _designs(self, series: pd.Series, candidates: list[Candidate]) -> list[Design]:
        """Each candidate's features and (transformed) outcome for every event of the series.

        The transform's two parameters are fitted once on all the series; the candidates
        and the folds of the cross-validation share them (they say nothing about any
        particular event). The features are built once per outcome scale, with the lags of
        all candidates, and each candidate takes its columns from them.
        """
        transform = None
        if any(candidate.use_transform for candidate in candidates):
            transform = ShiftedBoxCox.fit(series)
        lags = tuple(sorted({lag for candidate in candidates for lag in candidate.spec.lags}))
        tables = {}
        for use_transform in sorted({candidate.use_transform for candidate in candidates}):
            outcome = transform.transform(series) if use_transform else series
            spec = replace(candidates[0].spec, lags=lags)
            features = build_features(outcome, series.index, spec, self.regressors)
            tables[use_transform] = (outcome.to_numpy(float), features.to_numpy(float))
        return [
            self._design(candidate, transform, *tables[candidate.use_transform], lags)
            for candidate in candidates
        ]

    def _design(
        self,
        candidate: Candidate,
        transform: ShiftedBoxCox | None,
        outcome: np.ndarray,
        features: np.ndarray,
        lags: tuple[pd.Timedelta, ...],
    ) -> Design:
        """A candidate's design: its lag columns of ``features`` (built with all ``lags``,
        which come first) and the other columns, and the rows complete enough to use."""
        columns = [lags.index(lag) for lag in candidate.spec.lags]
        columns += list(range(len(lags), features.shape[1]))
        features = features[:, columns]
        usable = np.isfinite(outcome)
        if not self.allows_missing_features:
            usable &= np.isfinite(features).all(axis=1)
        return Design(
            candidate, transform if candidate.use_transform else None, features, outcome, usable
        )

    def _enough_rows(self, design: Design, rows: np.ndarray) -> bool:
        """Whether these rows are enough to fit the design's columns on."""
        return int(rows.sum()) >= MIN_ROWS_PER_COLUMN * (design.features.shape[1] + 1)

    def _fit_rows(self, design: Design, rows: np.ndarray) -> object:
        """The estimator fitted on the given rows of a design."""
        return self._fit_estimator(design.features[rows], design.outcome[rows])

    def _cross_validated_mae(self, series: pd.Series, design: Design) -> float:
        """Mean MAE (original scale) over rolling origins: each fold is fitted on the events
        known before its first belief time and tested on the next fold_length of events."""
        errors = []
        index = series.index
        for test_rows in self._fold_masks(series):
            train_rows = design.usable & (index <= index[test_rows][0] - self.horizon)
            test_rows = test_rows & design.usable
            if not (self._enough_rows(design, train_rows) and test_rows.any()):
                continue
            estimator = self._fit_rows(design, train_rows)
            predicted = self._predict_estimator(estimator, design.features[test_rows])
            if design.transform:
                predicted = design.transform.inverse(predicted)
            errors.append(np.mean(np.abs(predicted - series.to_numpy(float)[test_rows])))
        finite = [error for error in errors if np.isfinite(error)]
        return float(np.mean(finite)) if finite else float("inf")

    def _fold_masks(self, series: pd.Series) -> list[np.ndarray]:
        """Boolean masks of the test folds: the last cv_folds spans of fold_length."""
        end = series.dropna().index[-1]
        index = series.index
        masks = []
        for k in range(self.cv_folds, 0, -1):
            start = end - k * self.fold_length
            masks.append(np.asarray((index > start) & (index <= start + self.fold_length)))
        return [mask for mask in masks if mask.any()]

    def _predict_with(
        self,
        fitted: FittedCandidate,
        history: pd.Series,
        event_starts: pd.DatetimeIndex,
        regressors: pd.DataFrame | None,
    ) -> pd.Series:
        """Predictions of a fitted candidate on the original scale (NaN where a feature
        is missing and the estimator cannot cope with that)."""
        transform = fitted.transform
        outcome = transform.transform(history) if transform else history
        features = build_features(outcome, event_starts, fitted.candidate.spec, regressors)
        values = np.full(len(event_starts), np.nan)
        rows = np.ones(len(event_starts), bool)
        if not self.allows_missing_features:
            rows = features.notna().all(axis=1).to_numpy()
        if rows.any():
            values[rows] = self._predict_estimator(fitted.estimator, features.to_numpy(float)[rows])
        if transform:
            values = transform.inverse(values)
        return pd.Series(values, index=event_starts, name="forecast")


def degenerate_reason(series: pd.Series) -> str | None:
    """Why a regression model cannot be fitted to this series, or None if it can be."""
    finite = series.replace([np.inf, -np.inf], np.nan).dropna()
    if finite.empty:
        return "no data"
    if finite.nunique() == 1:
        return "constant series"
    if len(finite) < 3:
        return f"too little history ({len(finite)} values)"
    return None


def usable_regressors(regressors: pd.DataFrame | None, index: pd.DatetimeIndex) -> tuple:
    """Names of regressor columns with values for at least half of the given events."""
    if regressors is None or regressors.empty:
        return ()
    coverage = regressors.reindex(index).notna().mean()
    return tuple(str(name) for name in coverage.index[coverage >= MIN_REGRESSOR_COVERAGE])


class OLSForecaster(RegressionForecaster):
    """Ordinary least squares auto-regression with external variables."""

    name = "ols"
    version = "1.0"

    def _fit_estimator(self, features: np.ndarray, outcome: np.ndarray) -> object:
        """OLS with an intercept, by the normal equations of the columns scaled to unit
        length, solved for the minimum-norm solution, which copes with collinear or empty
        columns (e.g. an hour that never occurs in the data). Forming the small Gram matrix
        is several times faster than decomposing the tall design matrix."""
        design = np.column_stack([np.ones(len(features)), features])
        lengths = np.sqrt(np.einsum("ij,ij->j", design, design))
        lengths[lengths == 0] = 1.0
        design /= lengths
        gram, moments = design.T @ design, design.T @ outcome
        params = np.linalg.lstsq(gram, moments, rcond=None)[0] / lengths
        if not np.all(np.isfinite(params)):
            raise ValueError("OLS produced non-finite coefficients")
        return params

    def _predict_estimator(self, estimator: object, features: np.ndarray) -> np.ndarray:
        """Intercept plus features times coefficients."""
        return estimator[0] + features @ estimator[1:]

    def coefficients(self) -> pd.Series:
        """The fitted coefficients by feature name (on the transformed scale if any)."""
        if self.fitted is None:
            raise RuntimeError("No fitted regression (not fitted, or fell back to naive).")
        spec = self.fitted.candidate.spec
        names = build_features(self.history, self.history.index[:1], spec, self.regressors).columns
        return pd.Series(self.fitted.estimator, index=["const", *names])


class HGBForecaster(RegressionForecaster):
    """Gradient-boosted trees (scikit-learn's HistGradientBoostingRegressor) on the same
    lag, calendar and regressor features; missing features are handled by the trees."""

    name = "hgb"
    version = "1.1"  # 1.1: 100 trees on 63 bins (1.0: 200 trees on 255 bins)
    allows_missing_features = True

    def __init__(
        self, timezone: str = "UTC", max_iter: int = 100, max_bins: int = 63, **options
    ) -> None:
        """Calendar features as hour and weekday numbers; no transform (trees need none).

        100 trees on 63 bins per feature: as accurate on the benchmark series as 200 trees
        on 255 bins (slightly more so), in half the time."""
        options = {"calendar": "ordinal", "transform": "none", "cv_folds": 0, **options}
        super().__init__(timezone=timezone, **options)
        self.max_iter = max_iter
        self.max_bins = max_bins

    def candidates(self, series: pd.Series) -> list[Candidate]:
        """One specification with all candidate lags together (trees select by themselves)."""
        found = super().candidates(series)
        lags = tuple(sorted({lag for c in found for lag in c.spec.lags}))
        return [replace(found[0], spec=replace(found[0].spec, lags=lags))]

    def _fit_estimator(self, features: np.ndarray, outcome: np.ndarray) -> object:
        """Fit boosted trees with a fixed seed (reproducible forecasts)."""
        model = HistGradientBoostingRegressor(
            max_iter=self.max_iter,
            max_bins=self.max_bins,
            learning_rate=0.1,
            early_stopping=False,
            random_state=0,
        )
        return model.fit(features, outcome)

    def _predict_estimator(self, estimator: object, features: np.ndarray) -> np.ndarray:
        """Tree ensemble predictions."""
        return estimator.predict(features)


class MeanForecaster(Forecaster):
    """A forecast combination: the mean of the forecasts of the models named in ``parts``
    (any in MODELS), each fitted on the same data. Where the parts' errors differ, their
    mean is usually more accurate than each of them (and it is never worse than the worse
    one). A part that falls back to the naive model contributes the naive forecast."""

    name = "ols+hgb"
    version = "1.0"
    parts: ClassVar[tuple[str, ...]] = ("ols", "hgb")

    def __init__(self, **options) -> None:
        """``options`` go to each part (e.g. timezone)."""
        super().__init__()
        self.models = [get_model(part, **options) for part in self.parts]

    @property
    def source(self) -> ModelSource:
        """This model, with its parts' labels as the specification."""
        labels = ", ".join(model.source.label for model in self.models)
        return ModelSource(self.name, self.version, f"mean of {labels}")

    def fit(
        self, series: pd.Series, horizon: pd.Timedelta, regressors: pd.DataFrame | None = None
    ) -> MeanForecaster:
        """Fit every part on the series."""
        series = self._remember(series, horizon, regressors)
        for model in self.models:
            model.fit(series, horizon, regressors)
        return self

    def predict(
        self,
        event_starts: pd.DatetimeIndex,
        history: pd.Series | None = None,
        regressors: pd.DataFrame | None = None,
    ) -> pd.Series:
        """The mean of the parts' forecasts (NaN where any part has none)."""
        history = self._history(history)
        forecasts = [model.predict(event_starts, history, regressors) for model in self.models]
        return pd.concat(forecasts, axis=1).mean(axis=1, skipna=False).rename("forecast")


MODELS: dict[str, type[Forecaster]] = {
    "ols": OLSForecaster,
    "hgb": HGBForecaster,
    "naive": NaiveForecaster,
    MeanForecaster.name: MeanForecaster,
}


def get_model(name: str, **options) -> Forecaster:
    """A new, unfitted model by name (e.g. "ols", "hgb", "ols+hgb" or "naive"), with model options
    (e.g. timezone="Europe/Amsterdam" for the regression models)."""
    if name not in MODELS:
        raise ValueError(f"Unknown forecasting model '{name}'; choose from {sorted(MODELS)}.")
    return MODELS[name](**options)
