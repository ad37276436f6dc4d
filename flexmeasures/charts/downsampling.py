"""Downsampling a time series to the screen: at most two points per horizontal pixel.

Each pixel column of the chart covers an equal slice of the time window; of the values in
a slice only the lowest and the highest are kept (in time order), so peaks and troughs stay
visible while a year of 15-minute values (35,040) shrinks to twice the chart's width. A
slice with no known value keeps one NaN, so gaps stay gaps.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

POINTS_PER_PIXEL = 2


def pixel_buckets(index: pd.DatetimeIndex, start: pd.Timestamp, end: pd.Timestamp, width: int):
    """The pixel column (0 … width - 1) of each time in ``index``, for a chart of ``width``
    pixels showing [start, end)."""
    span = max(int((end - start).value), 1)
    offsets = np.asarray(index.asi8, dtype="int64") - start.value
    # as fractions of the window: offsets × width in nanoseconds would overflow int64 for
    # a year at a width over ~290 pixels
    return np.clip(np.floor(offsets / span * width), 0, width - 1).astype("int64")


def kept_positions(values: pd.Series, buckets: np.ndarray) -> np.ndarray:
    """Positions (into ``values``) of the lowest and highest value of each bucket, sorted.

    A bucket of NaN values only keeps its first position (a NaN point: a gap in the line).
    """
    numbers = values.to_numpy(dtype="float64")
    frame = pd.DataFrame(
        {
            "bucket": buckets,
            "low": np.where(np.isnan(numbers), np.inf, numbers),
            "high": np.where(np.isnan(numbers), -np.inf, numbers),
        }
    )
    grouped = frame.groupby("bucket", sort=False)
    positions = np.concatenate([grouped["low"].idxmin(), grouped["high"].idxmax()])
    return np.unique(positions)


def downsample(values: pd.Series, start: pd.Timestamp, end: pd.Timestamp, width: int) -> pd.Series:
    """Keep at most POINTS_PER_PIXEL values per pixel column of a ``width``-pixel chart of
    [start, end): each column's lowest and highest value (see the module doc).

    ``values`` is indexed by time (sorted); a series that already fits is returned as is.
    """
    if len(values) <= POINTS_PER_PIXEL * width:
        return values
    buckets = pixel_buckets(values.index, start, end, width)
    return values.iloc[kept_positions(values.reset_index(drop=True), buckets)]


def downsample_band(
    values: pd.Series,
    lower: pd.Series,
    upper: pd.Series,
    start: pd.Timestamp,
    end: pd.Timestamp,
    width: int,
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Downsample a line with its band (all three on the same index): the line as
    ``downsample`` does, the band widened to the lowest lower and highest upper bound of
    each pixel column, so the band still covers every value it covered."""
    if len(values) <= POINTS_PER_PIXEL * width:
        return values, lower, upper
    buckets = pixel_buckets(values.index, start, end, width)
    positions = kept_positions(values.reset_index(drop=True), buckets)
    lowest = pd.Series(lower.to_numpy()).groupby(buckets).transform("min").to_numpy()
    highest = pd.Series(upper.to_numpy()).groupby(buckets).transform("max").to_numpy()
    index = values.index[positions]
    return (
        values.iloc[positions],
        pd.Series(lowest[positions], index=index),
        pd.Series(highest[positions], index=index),
    )


def downsample_mean(frame: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp, width: int):
    """Keep at most POINTS_PER_PIXEL rows per pixel column of a ``width``-pixel chart of
    [start, end): each half pixel's mean per column, at the time of its first row. For
    stacked areas, whose layers must stay on one time axis and keep their energy (a
    mean per time slice does; the lowest and highest values do not stack). ``frame`` is
    indexed by time (sorted); a frame that already fits is returned as is."""
    if len(frame) <= POINTS_PER_PIXEL * width:
        return frame
    buckets = pixel_buckets(frame.index, start, end, POINTS_PER_PIXEL * width)
    means = frame.groupby(buckets, sort=True).mean()
    means.index = pd.DatetimeIndex(frame.index.to_series().groupby(buckets, sort=True).first())
    return means
