"""Downsampling to the screen: at most two points per pixel, peaks and gaps kept."""

from __future__ import annotations

import numpy as np
import pandas as pd

from flexmeasures.charts.downsampling import downsample, downsample_band

START = pd.Timestamp("2025-01-01", tz="UTC")
YEAR = pd.date_range(START, periods=35040, freq="15min")
END = YEAR[-1] + pd.Timedelta("15min")


def test_a_year_of_quarter_hours_shrinks_to_two_points_per_pixel():
    values = pd.Series(np.sin(np.arange(len(YEAR)) / 50), index=YEAR)
    shown = downsample(values, START, END, width=800)
    assert len(shown) <= 2 * 800
    assert shown.index.is_monotonic_increasing
    assert shown.max() == values.max() and shown.min() == values.min()


def test_a_single_spike_survives():
    values = pd.Series(0.0, index=YEAR)
    values.iloc[12345] = 42.0
    values.iloc[23456] = -7.0
    shown = downsample(values, START, END, width=300)
    assert shown.loc[YEAR[12345]] == 42.0
    assert shown.loc[YEAR[23456]] == -7.0


def test_gaps_stay_gaps():
    values = pd.Series(1.0, index=YEAR)
    values.iloc[10000:12000] = np.nan  # about three weeks without data
    shown = downsample(values, START, END, width=400)
    gap = shown.loc[YEAR[10100] : YEAR[11900]]
    assert len(gap) > 0 and gap.isna().all()


def test_short_series_are_left_alone():
    values = pd.Series([1.0, 2.0, 3.0], index=YEAR[:3])
    assert downsample(values, START, END, width=800) is values


def test_a_band_still_covers_every_value():
    values = pd.Series(np.random.default_rng(1).normal(size=len(YEAR)), index=YEAR)
    lower, upper = values - 1, values + 1
    line, low, high = downsample_band(values, lower, upper, START, END, width=500)
    assert len(line) <= 1000 and line.index.equals(low.index) and low.index.equals(high.index)
    assert low.min() == lower.min() and high.max() == upper.max()
    assert (low <= line).all() and (line <= high).all()


def test_every_pixel_of_a_wide_chart_of_a_year_gets_its_points():
    # a year in nanoseconds times 1000 pixels is beyond int64: the buckets must not wrap
    values = pd.Series(np.sin(np.arange(len(YEAR)) / 50), index=YEAR)
    shown = downsample(values, START, END, width=1000)
    pixel = (END - START) / 1000
    assert shown.index.to_series().diff().max() <= 2 * pixel  # no stretch left out
    assert len(shown) > 1000
