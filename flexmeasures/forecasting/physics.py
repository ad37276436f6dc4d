"""Models that know the physics of solar and wind assets, around any model of ``models``.

- Solar (``ClearSkyIndexForecaster``): the wrapped model forecasts the clear-sky index
  (see ``flexmeasures.forecasting.solar``), which is turned back into power with the
  clear-sky irradiance of each forecast event at the asset's location. Lagged values are
  then "yesterday's clearness" instead of "yesterday's power", which holds across sunrise,
  sunset and the seasons' changing day length; and the forecast is near zero at night.
- Wind (``SeasonalTermsForecaster``): hour-of-day and season terms (sine and cosine of the
  local time of day and of the day of the year) as regressors, instead of hour and weekday
  indicators (wind knows no weekdays).

``physical_model(name, asset_type=..., latitude=..., longitude=..., **options)`` builds the
right one for an asset type, or the plain model of ``get_model`` for other types. Values
are in the sensor's unit; times follow ``flexmeasures.forecasting.features``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from flexmeasures.forecasting.models import Forecaster, ModelSource, get_model
from flexmeasures.forecasting.solar import ClearSkyIndex, check_location, clear_sky_irradiance

SOLAR_TYPES = ("solar",)
WIND_TYPES = ("wind",)
YEAR_DAYS = 365.25


def seasonal_terms(index: pd.DatetimeIndex, timezone: str = "UTC") -> pd.DataFrame:
    """Sine and cosine of the local time of day (two harmonics) and of the day of the year
    (one) at each event start: smooth daily and yearly cycles, dimensionless."""
    local = index.tz_convert(timezone)
    hours = np.asarray(local.hour + local.minute / 60, dtype=float)
    day_phase = 2 * np.pi * hours / 24
    year_phase = 2 * np.pi * (np.asarray(local.dayofyear, dtype=float) - 1 + hours / 24) / YEAR_DAYS
    columns = {
        "hour_sin_1": np.sin(day_phase),
        "hour_cos_1": np.cos(day_phase),
        "hour_sin_2": np.sin(2 * day_phase),
        "hour_cos_2": np.cos(2 * day_phase),
        "season_sin": np.sin(year_phase),
        "season_cos": np.cos(year_phase),
    }
    return pd.DataFrame(columns, index=index)


class WrappedForecaster(Forecaster):
    """A model around another one (``inner``), whose name and version it takes on."""

    suffix = ""

    def __init__(self, inner: Forecaster) -> None:
        super().__init__()
        self.inner = inner
        self.name = inner.name
        self.version = inner.version

    @property
    def source(self) -> ModelSource:
        """The inner model's source, with ``suffix`` added to its specification."""
        inner = self.inner.source
        specification = "; ".join(part for part in (inner.specification, self.suffix) if part)
        return ModelSource(inner.name, inner.version, specification, inner.fallback_reason)


class ClearSkyIndexForecaster(WrappedForecaster):
    """Forecast the clear-sky index with the inner model; turn it back into power."""

    suffix = "clear-sky index"

    def __init__(self, inner: Forecaster, latitude: float, longitude: float) -> None:
        """``latitude`` and ``longitude`` of the asset, in degrees north and east."""
        super().__init__(inner)
        check_location(latitude, longitude)
        self.latitude = float(latitude)
        self.longitude = float(longitude)
        self.transform: ClearSkyIndex | None = None

    def irradiance(self, index: pd.DatetimeIndex) -> pd.Series:
        """Interval-averaged clear-sky irradiance (W/m²) of the events starting at
        ``index``, at the series' resolution (``clear_sky_irradiance`` remembers it per
        place, so each event is computed once per process)."""
        return clear_sky_irradiance(index, self.resolution, self.latitude, self.longitude)

    def fit(
        self, series: pd.Series, horizon: pd.Timedelta, regressors: pd.DataFrame | None = None
    ) -> ClearSkyIndexForecaster:
        """Fit the scale of the clear-sky index, then the inner model on the index (on
        power itself if the series' resolution cannot be told)."""
        series = self._remember(series, horizon, regressors)
        self.transform = None
        if self.resolution is None:
            self.inner.fit(series, horizon, regressors)
            return self
        sun = self.irradiance(series.index)
        self.transform = ClearSkyIndex.fit(series, sun)
        self.inner.fit(self.transform.to_index(series, sun), horizon, regressors)
        return self

    def predict(
        self,
        event_starts: pd.DatetimeIndex,
        history: pd.Series | None = None,
        regressors: pd.DataFrame | None = None,
    ) -> pd.Series:
        """The inner model's index forecasts, at least 0 (no sky is darker than dark, so
        the forecast never has the opposite sign of production), times each event's
        clear-sky power."""
        history = self._history(history)
        if self.transform is None:
            return self.inner.predict(event_starts, history, regressors)
        index_history = self.transform.to_index(history, self.irradiance(history.index))
        index = self.inner.predict(event_starts, index_history, regressors).clip(lower=0)
        return self.transform.to_power(index, self.irradiance(event_starts)).rename("forecast")


class SeasonalTermsForecaster(WrappedForecaster):
    """The inner model with hour-of-day and season terms among its regressors."""

    suffix = "hour and season terms"

    def __init__(self, inner: Forecaster, timezone: str = "UTC") -> None:
        """``timezone``: the sensor's, in which the hour of the day is counted."""
        super().__init__(inner)
        self.timezone = timezone

    def with_terms(self, index: pd.DatetimeIndex, regressors: pd.DataFrame | None) -> pd.DataFrame:
        """The seasonal terms at ``index``, next to the given regressors (if any)."""
        terms = seasonal_terms(index, self.timezone)
        if regressors is None or regressors.empty:
            return terms
        return terms.join(regressors.reindex(index))

    def fit(
        self, series: pd.Series, horizon: pd.Timedelta, regressors: pd.DataFrame | None = None
    ) -> SeasonalTermsForecaster:
        """Fit the inner model with the terms added to the regressors."""
        series = self._remember(series, horizon, regressors)
        self.inner.fit(series, horizon, self.with_terms(series.index, regressors))
        return self

    def predict(
        self,
        event_starts: pd.DatetimeIndex,
        history: pd.Series | None = None,
        regressors: pd.DataFrame | None = None,
    ) -> pd.Series:
        """The inner model's forecasts, with the terms of the forecast events."""
        regressors = self.regressors if regressors is None else regressors
        return self.inner.predict(
            event_starts, self._history(history), self.with_terms(event_starts, regressors)
        )


def physical_model(
    name: str,
    asset_type: str | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
    **options,
) -> Forecaster:
    """A new, unfitted model by name (see ``get_model``) that knows the asset type's
    physics: the clear-sky index for solar assets with a location (degrees north and
    east), hour-of-day and season terms (in ``options["timezone"]``) for wind; the plain
    model for other types. Raises ValueError for an unknown model or a bad location."""
    if asset_type in WIND_TYPES:
        inner = get_model(name, **{**options, "calendar": "none"})
        return SeasonalTermsForecaster(inner, options.get("timezone", "UTC"))
    if asset_type in SOLAR_TYPES and latitude is not None and longitude is not None:
        return ClearSkyIndexForecaster(get_model(name, **options), latitude, longitude)
    return get_model(name, **options)
