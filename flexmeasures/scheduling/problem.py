"""The storage scheduling problem, with every input in explicit units.

Power in MW (consumption positive), energy and state of charge (SOC) in MWh, prices in
currency/MWh, times as timezone-aware UTC step starts at a fixed resolution.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from flexmeasures.scheduling.commitments import PowerCommitment, commitment_bounds
from flexmeasures.scheduling.errors import InvalidProblemError, MissingPricesError
from flexmeasures.scheduling.runs import true_runs
from flexmeasures.scheduling.wording import format_time

LARGEST_QUANTITY = 1e9
"""The largest power (MW) and energy (MWh) in size the scheduler computes with (a million
GWh): far beyond any storage device, and far below where LP solvers lose their precision
or take a number for infinity (HiGHS: 1e20)."""

TIE_BREAKER_SHARE_OF_SPREAD = 1e-3
"""The seed's "prefer charging sooner" slope spans at most this share of the price spread."""


def step_starts(start: datetime, end: datetime, resolution: timedelta) -> pd.DatetimeIndex:
    """The UTC starts of the steps of ``resolution`` that fill [start, end).

    Works on absolute time, so a local day with a daylight-saving change has 23 or 25
    hours of steps. Raises InvalidProblemError if the window is empty or not a whole
    number of steps.
    """
    start_utc, end_utc = _utc(start, "start"), _utc(end, "end")
    if resolution <= timedelta(0):
        raise InvalidProblemError("The resolution must be a positive duration.")
    steps = (end_utc - start_utc) / resolution
    if steps < 1 or steps != int(steps):
        raise InvalidProblemError(
            f"The window from {format_time(start_utc)} to {format_time(end_utc)} is not a "
            f"positive whole number of {resolution} steps."
        )
    return pd.date_range(start_utc, periods=int(steps), freq=resolution, name="start")


def check_prices(
    prices: pd.Series, start: datetime, end: datetime, resolution: timedelta
) -> pd.Series:
    """The prices (currency/MWh) of each step in [start, end), indexed by UTC step start.

    Raises MissingPricesError naming each window of consecutive steps without a price
    (absent or NaN), so that the caller can answer UNKNOWN_PRICES.
    """
    grid = step_starts(start, end, resolution)
    known = prices.copy()
    known.index = _utc_index(known.index, "prices")
    on_grid = known[~known.index.duplicated(keep="last")].reindex(grid).astype(float)
    missing = on_grid.isna().to_numpy()
    if missing.any():
        raise MissingPricesError(_missing_windows(grid, missing, resolution))
    on_grid.name = "price"
    return on_grid


def _missing_windows(
    grid: pd.DatetimeIndex, missing: np.ndarray, resolution: timedelta
) -> list[tuple[datetime, datetime]]:
    """The (start, end) intervals of consecutive missing steps."""
    return [
        (grid[first].to_pydatetime(), (grid[last - 1] + resolution).to_pydatetime())
        for first, last in true_runs(missing)
    ]


def split_round_trip_efficiency(round_trip: float) -> tuple[float, float]:
    """Charging and discharging efficiencies (each the square root) from a round-trip one."""
    if not 0 < round_trip <= 1:
        raise InvalidProblemError("The round-trip efficiency must be in (0, 1].")
    one_way = math.sqrt(round_trip)
    return one_way, one_way


@dataclass(frozen=True)
class StorageProblem:
    """What to schedule: a storage device (battery or EV charger) facing prices.

    - prices: currency/MWh per step, indexed by the steps' UTC starts, at ``resolution``,
      no NaN (use ``check_prices`` first to report missing ones);
    - charging_capacity / discharging_capacity: MW (0 discharging: a one-way EV charger);
    - soc_min / soc_max / soc_start: MWh; the start SOC holds at the first step's start;
    - soc_targets: MWh indexed by UTC time; a target at t is the SOC at the end of the
      step ending at t (t must be a step end after the start, at most the last step's end);
    - charging_efficiency / discharging_efficiency: shares in (0, 1] of energy that goes
      into / comes out of storage (see ``split_round_trip_efficiency``);
    - inflexible_load: MW per step of the rest of the site (consumption positive), with
      site_capacity the connection's limit in MW in both directions;
    - prefer_charging_sooner: the seed's tie-breaker (see ``tie_breaker_slope``);
    - power_commitments: promises about the net power (MW, consumption positive) in some
      windows, e.g. a DSO dispatch or a filled order, which bind the steps they overlap
      (see ``commitments.py``).
    """

    prices: pd.Series
    resolution: timedelta
    charging_capacity: float
    discharging_capacity: float
    soc_max: float
    soc_min: float = 0.0
    soc_start: float = 0.0
    soc_targets: pd.Series | None = field(default_factory=lambda: pd.Series(dtype=float))
    charging_efficiency: float = 1.0
    discharging_efficiency: float = 1.0
    inflexible_load: pd.Series | None = None
    site_capacity: float | None = None
    prefer_charging_sooner: bool = True
    power_commitments: tuple[PowerCommitment, ...] = ()

    def __post_init__(self) -> None:
        """Normalise indexes to UTC and refuse malformed inputs with InvalidProblemError."""
        object.__setattr__(self, "prices", _checked_prices(self.prices, self.resolution))
        _check_quantities(self)
        targets = self.soc_targets if self.soc_targets is not None else pd.Series(dtype=float)
        object.__setattr__(self, "soc_targets", _checked_targets(targets, self))
        if self.inflexible_load is not None:
            load = _checked_load(self.inflexible_load, self.prices.index)
            object.__setattr__(self, "inflexible_load", load)
        commitments = tuple(self.power_commitments)
        if not all(isinstance(c, PowerCommitment) for c in commitments):
            raise InvalidProblemError("Power commitments must be PowerCommitment objects.")
        object.__setattr__(self, "power_commitments", commitments)

    @property
    def n_steps(self) -> int:
        """The number of steps."""
        return len(self.prices)

    @property
    def start(self) -> pd.Timestamp:
        """The start of the first step (UTC)."""
        return self.prices.index[0]

    @property
    def end(self) -> pd.Timestamp:
        """The end of the last step (UTC)."""
        return self.prices.index[-1] + self.resolution

    @property
    def step_hours(self) -> float:
        """The length of a step in hours (MW × hours = MWh)."""
        return self.resolution / timedelta(hours=1)

    @functools.cached_property
    def step_ends(self) -> pd.DatetimeIndex:
        """The ends of the steps (UTC): the times the SOC trajectory refers to."""
        return (self.prices.index + self.resolution).rename("end")

    @functools.cached_property
    def target_steps(self) -> np.ndarray:
        """For each SOC target, the index of the step at whose end it applies."""
        offsets = self.soc_targets.index.asi8 - self.start.value
        return offsets // pd.Timedelta(self.resolution).value - 1

    @functools.cached_property
    def commitment_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Per step, the least and most net power (MW) the commitments allow (-inf / +inf
        where none binds)."""
        return commitment_bounds(self.power_commitments, self.prices.index, self.resolution)

    def load_array(self) -> np.ndarray:
        """The inflexible site load per step in MW (zeros without one)."""
        if self.inflexible_load is None:
            return np.zeros(self.n_steps)
        return self.inflexible_load.to_numpy(dtype=float)

    def tie_breaker_slope(self) -> float:
        """Currency/MWh added per step to the tie-breaker's penalty (0 if switched off).

        Across the horizon the penalty spans at most 1/1000 of the price spread (or of the
        price level when all prices are equal), so it only decides between options that
        cost (nearly) the same.
        """
        if not self.prefer_charging_sooner or self.n_steps < 2:
            return 0.0
        values = self.prices.to_numpy(dtype=float)
        spread = float(values.max() - values.min())
        scale = spread if spread > 0 else max(float(np.abs(values).max()), 1.0)
        return TIE_BREAKER_SHARE_OF_SPREAD * scale / (self.n_steps - 1)


def _utc(moment: datetime, what: str) -> pd.Timestamp:
    """A timezone-aware moment as a UTC Timestamp."""
    stamp = pd.Timestamp(moment)
    if stamp.tzinfo is None:
        raise InvalidProblemError(f"The {what} must be timezone-aware (got {moment}).")
    return stamp.tz_convert("UTC")


def _utc_index(index: pd.Index, what: str) -> pd.DatetimeIndex:
    """A timezone-aware DatetimeIndex converted to UTC."""
    if not isinstance(index, pd.DatetimeIndex) or index.tz is None:
        raise InvalidProblemError(f"The {what} must be indexed by timezone-aware times.")
    return index.tz_convert("UTC")


def _checked_prices(prices: pd.Series, resolution: timedelta) -> pd.Series:
    """Prices as floats on a regular UTC index; NaN raises MissingPricesError."""
    if resolution <= timedelta(0):
        raise InvalidProblemError("The resolution must be a positive duration.")
    if len(prices) == 0:
        raise InvalidProblemError("There are no steps to schedule (no prices given).")
    index = _utc_index(prices.index, "prices")
    if len(index) > 1 and not (np.diff(index.asi8) == pd.Timedelta(resolution).value).all():
        raise InvalidProblemError(
            f"The prices must be one per step of {resolution}, sorted, without gaps."
        )
    checked = pd.Series(prices.to_numpy(dtype=float), index=index.rename("start"), name="price")
    if checked.isna().any():
        raise MissingPricesError(
            _missing_windows(checked.index, checked.isna().to_numpy(), resolution)
        )
    return checked


def _check_quantities(problem: StorageProblem) -> None:
    """Capacities, SOC bounds and efficiencies must be finite and make sense."""
    for name in ("charging_capacity", "discharging_capacity", "soc_min", "soc_max", "soc_start"):
        _check_size(getattr(problem, name), name.replace("_", " "))
    if problem.charging_capacity < 0 or problem.discharging_capacity < 0:
        raise InvalidProblemError("Power capacities must not be negative.")
    if problem.soc_min > problem.soc_max:
        raise InvalidProblemError("The minimum state of charge is above the maximum.")
    for name in ("charging_efficiency", "discharging_efficiency"):
        if not 0 < getattr(problem, name) <= 1:
            raise InvalidProblemError(f"The {name.replace('_', ' ')} must be in (0, 1].")
    capacity = problem.site_capacity
    if capacity is not None and not (math.isfinite(capacity) and capacity >= 0):
        raise InvalidProblemError("The site capacity must be a non-negative number.")


def _check_size(value: float, name: str) -> None:
    """A quantity (MW or MWh) must be finite and at most LARGEST_QUANTITY in size."""
    if not math.isfinite(value):
        raise InvalidProblemError(f"The {name} must be a finite number.")
    if abs(value) > LARGEST_QUANTITY:
        raise InvalidProblemError(
            f"The {name} of {value:g} is too large to schedule with (at most "
            f"{LARGEST_QUANTITY:g} in size)."
        )


def _checked_targets(targets: pd.Series, problem: StorageProblem) -> pd.Series:
    """SOC targets (MWh) on UTC step ends within the horizon, sorted."""
    if len(targets) == 0:
        return pd.Series(dtype=float, index=pd.DatetimeIndex([], tz="UTC"), name="soc_target")
    index = _utc_index(targets.index, "SOC targets")
    checked = pd.Series(targets.to_numpy(dtype=float), index=index, name="soc_target")
    checked = checked.sort_index()
    if not np.isfinite(checked.to_numpy()).all():
        raise InvalidProblemError("SOC targets must be finite numbers.")
    if (checked.abs() > LARGEST_QUANTITY).any():
        raise InvalidProblemError(
            f"SOC targets must be at most {LARGEST_QUANTITY:g} MWh in size, not "
            f"{checked.abs().max():g} MWh."
        )
    if checked.index.has_duplicates:
        raise InvalidProblemError("There are two SOC targets for the same time.")
    start, resolution = problem.prices.index[0], pd.Timedelta(problem.resolution)
    offsets = (checked.index - start).asi8 / resolution.value
    misplaced = (offsets != np.round(offsets)) | (offsets < 1) | (offsets > len(problem.prices))
    if misplaced.any():
        moment = checked.index[np.flatnonzero(misplaced)[0]]
        raise InvalidProblemError(
            f"The SOC target at {format_time(moment)} is not at the end of a step of "
            f"{problem.resolution} between {format_time(start)} and "
            f"{format_time(start + resolution * len(problem.prices))}."
        )
    return checked


def _checked_load(load: pd.Series, index: pd.DatetimeIndex) -> pd.Series:
    """The inflexible load (MW) on the prices' steps; every step needs a value."""
    checked = pd.Series(load.to_numpy(dtype=float), index=_utc_index(load.index, "site load"))
    checked = checked.reindex(index)
    if checked.isna().any():
        raise InvalidProblemError("The inflexible site load must have a value for every step.")
    return checked.rename("inflexible_load")
