"""Solar physics for forecasting: clear-sky irradiance over each event, and the clear-sky
index (measured power over the power expected under a clear sky).

Solar power is mostly the sun's position and the sky's clearness. The position, and the
irradiance a clear sky would give, are known at any horizon: pvlib (the field's library)
computes them from the place and the time. What is left to forecast is the clear-sky index,
which is near 1 on clear days and lower on cloudy ones, whatever the hour or the season.

Time conventions are those of ``flexmeasures.forecasting.features``: events are given by
their UTC start and last one resolution. Clear-sky irradiance of an event is the mean over
the event, not its value at the start: the mean of pvlib's Ineichen clear-sky global
horizontal irradiance (W/m², Linke turbidity from pvlib's monthly climatology) at the
midpoints of sub-intervals of at most SUBSTEP.

The index is power / (scale × max(irradiance, FLOOR_IRRADIANCE)). ``scale`` (sensor unit
per W/m²) is fitted so that clear moments have an index near 1 (negative power, USEF's sign
of production, gives a negative scale). The floor keeps the index finite at night and at
low sun. The way back is exact for events with any sun; events without sun (the sun below
the horizon throughout) get no power.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pvlib

SUBSTEP = pd.Timedelta(minutes=5)
FLOOR_IRRADIANCE = 50.0  # W/m²: below this, the index is taken relative to this
HIGH_SUN_IRRADIANCE = 400.0  # W/m²: events clear enough to fit the scale on
SCALE_QUANTILE = 0.95  # clear moments: the high end of power per irradiance


def check_location(latitude: float, longitude: float) -> None:
    """Raise ValueError unless latitude is in [-90, 90] and longitude in [-180, 180]."""
    if not (np.isfinite(latitude) and -90 <= latitude <= 90):
        raise ValueError(f"Latitude {latitude} is not between -90 and 90 degrees.")
    if not (np.isfinite(longitude) and -180 <= longitude <= 180):
        raise ValueError(f"Longitude {longitude} is not between -180 and 180 degrees.")


def sample_times(event_starts: pd.DatetimeIndex, resolution: pd.Timedelta) -> pd.DatetimeIndex:
    """Midpoints of equal sub-intervals (at most SUBSTEP long) of each event, event by event
    (so the result holds len(event_starts) × sub-intervals moments, in UTC)."""
    count = max(1, int(np.ceil(pd.Timedelta(resolution) / SUBSTEP)))
    offsets = (np.arange(count) + 0.5) * (pd.Timedelta(resolution).value / count)
    moments = event_starts.asi8[:, None] + np.rint(offsets).astype("int64")[None, :]
    return pd.DatetimeIndex(moments.ravel(), tz="UTC")


def clear_sky_irradiance(
    event_starts: pd.DatetimeIndex, resolution: pd.Timedelta, latitude: float, longitude: float
) -> pd.Series:
    """Clear-sky global horizontal irradiance (W/m²) averaged over each event
    [start, start + resolution) at the location (degrees north and east); 0 when the sun is
    below the horizon throughout. Indexed like ``event_starts`` (UTC).

    Values already computed for the same place and resolution are taken from a cache (the
    sun does not change its mind: a backtest asks for the same history many times)."""
    check_location(latitude, longitude)
    event_starts = pd.DatetimeIndex(event_starts).tz_convert("UTC")
    if event_starts.empty:
        return pd.Series(index=event_starts, dtype=float, name="clear_sky_ghi")
    key = (float(latitude), float(longitude), pd.Timedelta(resolution).value)
    known = _IRRADIANCE_CACHE.get(key)
    missing = event_starts.unique() if known is None else event_starts.difference(known.index)
    if len(missing):
        fresh = _computed_irradiance(missing, resolution, latitude, longitude)
        known = fresh if known is None else pd.concat([known, fresh]).sort_index()
        _remember(key, known if len(known) <= CACHE_EVENTS else fresh)
    values = known.reindex(event_starts).to_numpy(float)
    return pd.Series(values, index=event_starts, name="clear_sky_ghi")


CACHE_EVENTS = 200_000  # per place and resolution (five years of 15-minute events)
CACHE_PLACES = 64
_IRRADIANCE_CACHE: dict[tuple[float, float, int], pd.Series] = {}


def _remember(key: tuple[float, float, int], irradiance: pd.Series) -> None:
    """Keep ``irradiance`` for ``key``, forgetting the oldest place past CACHE_PLACES."""
    _IRRADIANCE_CACHE.pop(key, None)
    while len(_IRRADIANCE_CACHE) >= CACHE_PLACES:
        _IRRADIANCE_CACHE.pop(next(iter(_IRRADIANCE_CACHE)))
    _IRRADIANCE_CACHE[key] = irradiance


def _computed_irradiance(
    event_starts: pd.DatetimeIndex, resolution: pd.Timedelta, latitude: float, longitude: float
) -> pd.Series:
    """pvlib's Ineichen clear-sky GHI (W/m²) averaged over each event (see
    ``clear_sky_irradiance``), computed afresh; ``event_starts`` unique, in UTC."""
    times = sample_times(event_starts, resolution)
    location = pvlib.location.Location(latitude, longitude, tz="UTC", altitude=0)
    position = location.get_solarposition(times)
    ghi = location.get_clearsky(times, model="ineichen", solar_position=position)["ghi"]
    per_event = np.nan_to_num(ghi.to_numpy(float)).reshape(len(event_starts), -1)
    return pd.Series(per_event.mean(axis=1), index=event_starts, name="clear_sky_ghi")


@dataclass(frozen=True)
class ClearSkyIndex:
    """The transformation between power (sensor unit) and clear-sky index (dimensionless),
    given each event's clear-sky irradiance (W/m²); ``scale`` is in sensor unit per W/m²."""

    scale: float

    @classmethod
    def fit(cls, power: pd.Series, irradiance: pd.Series) -> ClearSkyIndex:
        """The scale at which clear moments have an index near 1: the SCALE_QUANTILE of
        |power| / irradiance over events with at least HIGH_SUN_IRRADIANCE, signed like
        most of the power there (1.0 if no such event has a finite, non-zero power)."""
        frame = pd.concat([power.rename("power"), irradiance.rename("sun")], axis=1).dropna()
        frame = frame[frame["sun"] >= HIGH_SUN_IRRADIANCE]
        ratios = (frame["power"] / frame["sun"]).to_numpy(float)
        magnitude = float(np.quantile(np.abs(ratios), SCALE_QUANTILE)) if ratios.size else 0.0
        if not magnitude > 0:
            return cls(scale=1.0)
        return cls(scale=magnitude * (-1.0 if np.median(ratios) < 0 else 1.0))

    def expected(self, irradiance: pd.Series) -> pd.Series:
        """The denominator: power under a clear sky, with the irradiance floored at
        FLOOR_IRRADIANCE (sensor unit)."""
        return self.scale * np.maximum(irradiance.astype(float), FLOOR_IRRADIANCE)

    def to_index(self, power: pd.Series, irradiance: pd.Series) -> pd.Series:
        """Clear-sky index of each event of ``power`` (NaN where irradiance is unknown)."""
        return power / self.expected(irradiance.reindex(power.index))

    def to_power(self, index: pd.Series, irradiance: pd.Series) -> pd.Series:
        """Power (sensor unit) of each event of ``index``: the inverse of ``to_index`` for
        events with sun, and 0 for events with the sun below the horizon throughout (no
        light, no power; the index a model carries over from dusk would say otherwise)."""
        sun = irradiance.reindex(index.index)
        return (index * self.expected(sun)).where(sun != 0, 0.0)
