"""Design matrices: lags known at the belief time, calendar in local time, regressors."""

from __future__ import annotations

import pandas as pd
import pytest

from flexmeasures.forecasting.features import (
    FeatureSpec,
    build_features,
    candidate_lag_sets,
    infer_resolution,
    periodic_lags,
    regular_series,
)
from tests.forecasting.conftest import hourly_index

H = pd.Timedelta(hours=1)


@pytest.mark.parametrize("hours", [1, 6, 24, 48])
def test_candidate_lags_are_never_shorter_than_the_horizon(hours):
    horizon = pd.Timedelta(hours=hours)
    lag_sets = candidate_lag_sets(horizon, pd.Timedelta(minutes=15), pd.Timedelta(days=60))
    assert lag_sets
    assert all(lag >= horizon for lags in lag_sets for lag in lags)


def test_periodic_lags_are_the_latest_known_day_and_week():
    assert periodic_lags(H) == (pd.Timedelta(days=1), pd.Timedelta(days=7))
    assert periodic_lags(48 * H) == (pd.Timedelta(days=2), pd.Timedelta(days=7))


def test_short_history_drops_the_weekly_lag():
    lag_sets = candidate_lag_sets(H, H, pd.Timedelta(days=6))
    assert all(pd.Timedelta(days=7) not in lags for lags in lag_sets)


def test_lag_feature_is_the_value_one_lag_earlier():
    index = hourly_index(3)
    series = pd.Series(range(len(index)), index=index, dtype=float)
    features = build_features(series, index, FeatureSpec((H, 24 * H), calendar="none"))
    assert features.loc[index[30], "lag_1h"] == 29
    assert features.loc[index[30], "lag_1d"] == 6
    assert pd.isna(features.loc[index[5], "lag_1d"])


def test_calendar_dummies_use_the_local_timezone():
    index = pd.DatetimeIndex([pd.Timestamp("2024-07-01 10:00", tz="UTC")])
    spec = FeatureSpec((), calendar="dummies", timezone="Europe/Amsterdam")
    features = build_features(pd.Series(dtype=float, index=index[:0]), index, spec)
    assert features.loc[index[0], "hour_12"] == 1  # 10:00 UTC is 12:00 in summer time
    assert features.loc[index[0], "hour_10"] == 0
    assert features.filter(like="weekday_").sum(axis=1).iloc[0] == 0  # Monday: baseline


def test_fourier_terms_repeat_daily():
    index = hourly_index(2)
    spec = FeatureSpec((), calendar="fourier")
    features = build_features(pd.Series(dtype=float, index=index[:0]), index, spec)
    daily = features.filter(like="day_")
    assert daily.iloc[3].to_numpy() == pytest.approx(daily.iloc[27].to_numpy())


def test_regressors_are_aligned_and_required():
    index = hourly_index(1)
    weather = pd.DataFrame({"temperature": range(24)}, index=index, dtype=float)
    spec = FeatureSpec((), calendar="none", regressors=("temperature",))
    features = build_features(pd.Series(dtype=float, index=index[:0]), index[5:7], spec, weather)
    assert features["x_temperature"].tolist() == [5, 6]
    with pytest.raises(ValueError, match="temperature"):
        build_features(pd.Series(dtype=float, index=index[:0]), index, spec, None)


def test_series_must_be_utc_and_gaps_become_nan():
    naive = pd.Series([1.0, 2.0], index=pd.date_range("2024-01-01", periods=2, freq="h"))
    with pytest.raises(ValueError, match="UTC"):
        regular_series(naive)
    index = hourly_index(1).delete(3)
    regular = regular_series(pd.Series(1.0, index=index))
    assert infer_resolution(regular) == H
    assert len(regular) == 24 and regular.isna().sum() == 1
