"""Forecast quantiles: learnt from backtest residuals per local hour of the day, monotone,
on the right side of the point forecast, and about as wide as the errors turn out."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from flexmeasures.forecasting.models import NaiveForecaster, OLSForecaster
from flexmeasures.forecasting.quantiles import (
    QuantileForecaster,
    backtest_residuals,
    check_probabilities,
    finite_sample_quantiles,
    quantile_forecasts,
    residual_quantiles,
    sign_bounds,
)
from flexmeasures.forecasting.rolling import rolling_forecasts

HOUR = pd.Timedelta(hours=1)


def noisy_daytime(days: int, seed: int = 4) -> pd.Series:
    """Hourly values (kW) with noise only between 10:00 and 16:00 Amsterdam time."""
    index = pd.date_range("2024-04-01", periods=24 * days, freq=HOUR, tz="UTC")
    hours = index.tz_convert("Europe/Amsterdam").hour
    noise = np.random.default_rng(seed).normal(0, 1.0, len(index))
    return pd.Series(np.where((hours >= 10) & (hours < 16), 5 + noise, 0.0), index=index)


def test_residual_quantiles_are_per_local_hour():
    residuals = noisy_daytime(90) - 5 * (noisy_daytime(90) != 0)
    table = residual_quantiles(residuals, (0.1, 0.5, 0.9), "Europe/Amsterdam")

    assert list(table.index) == list(range(24)) and list(table.columns) == [0.1, 0.5, 0.9]
    assert (table.loc[[0, 3, 20], :] == 0).all().all()  # no errors at night: no band
    # hour 13: its own mean absolute error, times the pooled shape of 12:00 to 14:59, of
    # residuals each divided by the mean absolute error of the others of its hour
    hours = residuals.index.tz_convert("Europe/Amsterdam").hour
    size = residuals[hours == 13].abs().mean()
    absolute = residuals.abs().groupby(hours)
    others = (absolute.transform("sum") - residuals.abs()) / (absolute.transform("count") - 1)
    pooled = np.sort((residuals / others)[(hours >= 12) & (hours <= 14)].to_numpy())
    n = len(pooled)  # the floor((n + 1) / 10)-th smallest and largest, and the median
    shape = [pooled[int((n + 1) * 0.1) - 1], np.median(pooled), pooled[-int((n + 1) * 0.1)]]
    np.testing.assert_allclose(table.loc[13], size * np.array(shape))
    assert table.loc[13, 0.9] - table.loc[13, 0.1] > 2  # the noise's band (sd 1)
    # the first hour with noise is as wide as the others, though its neighbour has none
    assert table.loc[10, 0.9] - table.loc[10, 0.1] > 2


def test_finite_sample_quantiles_hold_new_values_with_their_probability():
    assert list(finite_sample_quantiles(np.arange(1.0, 20.0), (0.1, 0.5, 0.9))) == [2, 10, 18]
    assert list(finite_sample_quantiles(np.arange(1.0, 5.0), (0.1, 0.9))) == [1, 4]
    # 4000 samples of 20 values and a 21st: how often is the 21st below the 90 % quantile?
    draws = np.random.default_rng(3).normal(size=(4000, 21))
    finite = [finite_sample_quantiles(row[:20], (0.9,))[0] for row in draws]
    empirical = np.quantile(draws[:, :20], 0.9, axis=1)
    assert np.mean(draws[:, 20] <= finite) >= 0.89  # k / (n + 1) = 19 / 21 = 0.905
    assert np.mean(draws[:, 20] <= empirical) < 0.88  # the plain quantile: too narrow


def test_quantiles_are_monotone_and_around_the_point_forecast():
    point = pd.Series(
        [1.0, 2.0, 3.0], index=pd.date_range("2024-01-01", periods=3, freq=HOUR, tz="UTC")
    )
    # a table that is neither monotone nor centred (e.g. a biased model)
    table = pd.DataFrame({0.1: [0.5] * 24, 0.5: [0.7] * 24, 0.9: [0.2] * 24, 0.95: [0.1] * 24})

    frame = quantile_forecasts(point, table)

    np.testing.assert_allclose(frame[0.5], point)  # the median is the point forecast
    assert (frame[0.1] <= frame[0.5]).all()
    assert (np.diff(frame.to_numpy(), axis=1) >= 0).all()


def test_a_band_never_takes_a_sign_the_series_never_had():
    production = pd.Series(
        [0.0, 3.0, 5.0, 0.0], index=pd.date_range("2024-06-01", periods=4, freq=HOUR, tz="UTC")
    )
    point = pd.Series([0.5, 4.0], index=production.index[:2])
    wide = pd.DataFrame({0.1: [-2.0] * 24, 0.5: [0.0] * 24, 0.9: [2.0] * 24})

    frame = quantile_forecasts(point, wide, bounds=sign_bounds(production))

    np.testing.assert_allclose(frame[0.1], [0.0, 2.0])  # not -1.5: no negative production
    np.testing.assert_allclose(frame[0.9], [2.5, 6.0])
    assert sign_bounds(-production) == (-np.inf, 0.0)
    assert sign_bounds(production - 1) == (-np.inf, np.inf)


def test_a_never_negative_series_gets_no_negative_quantile():
    series = noisy_daytime(days=40).clip(lower=0)

    model = QuantileForecaster(lambda: OLSForecaster(), timezone="Europe/Amsterdam")
    model.fit(series, 6 * HOUR)
    frame = model.predict_quantiles(series.index[-48:], history=series)

    frame = frame.dropna()
    # below zero only where the point forecast (the median) itself is, which the band keeps
    assert (frame[0.1] >= np.minimum(frame[0.5], 0)).all() and (frame[0.9] >= 0).all()
    assert (frame[0.1] < 0).sum() <= (frame[0.5] < 0).sum()


def test_probabilities_are_checked():
    assert check_probabilities((0.9, 0.1)) == (0.1, 0.5, 0.9)
    with pytest.raises(ValueError, match="between 0 and 1"):
        check_probabilities((0.0, 0.9))


def test_backtest_residuals_are_out_of_sample():
    series = noisy_daytime(30)
    residuals = backtest_residuals(NaiveForecaster, series, 24 * HOUR)

    # the last 10 days (a third of the history, under the 28 days asked for)
    assert residuals.index[0] >= series.index[-1] - pd.Timedelta(days=10)
    # naive: each residual is the change since the value known 24 hours before
    expected = (series - series.shift(24)).reindex(residuals.index)
    np.testing.assert_allclose(residuals, expected)


def test_the_band_holds_about_eight_in_ten_outcomes():
    series = noisy_daytime(90)
    history, test = series.iloc[: 60 * 24], series.iloc[60 * 24 :]
    model = QuantileForecaster(
        lambda: OLSForecaster(timezone="Europe/Amsterdam"), timezone="Europe/Amsterdam"
    )
    frame = model.fit(history, 6 * HOUR).predict_quantiles(test.index, history=series)

    day = test != 0
    inside = (test >= frame[0.1]) & (test <= frame[0.9])
    assert 0.68 <= inside[day].mean() <= 0.92  # 0.8 aimed for; 180 outcomes
    assert (frame.loc[~day, 0.9] - frame.loc[~day, 0.1]).abs().max() < 0.1  # no band at night


def test_rolling_forecasts_carry_their_quantiles():
    series = noisy_daytime(21)
    start, end = series.index[-48], series.index[-1] + HOUR
    frame = rolling_forecasts(
        series,
        HOUR,
        start,
        end,
        "ols",
        model_options={"timezone": "Europe/Amsterdam"},
        quantiles=(0.1, 0.5, 0.9),
    )

    assert list(frame.columns[-2:]) == ["p10", "p90"] and len(frame) == 48
    assert (frame["p10"] <= frame["value"]).all() and (frame["value"] <= frame["p90"]).all()
    assert (frame["p90"] > frame["p10"] + 1).any()
    without = rolling_forecasts(
        series, HOUR, start, end, "ols", model_options={"timezone": "Europe/Amsterdam"}
    )
    np.testing.assert_allclose(without["value"], frame["value"])  # the same point forecasts
