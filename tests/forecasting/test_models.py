"""Models: OLS recovers a known AR process, falls back to naive on degenerate data and
says so; gradient boosting and naive work through the same interface."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from flexmeasures.forecasting import get_model
from flexmeasures.forecasting.metrics import mae
from flexmeasures.forecasting.models import OLSForecaster
from tests.forecasting.conftest import hourly_index

H = pd.Timedelta(hours=1)


def simulate_ar(days: int = 60, seed: int = 7) -> pd.Series:
    """y_t = 2 + 0.5 y_(t-1h) + 0.3 y_(t-1d) + e_t, e ~ N(0, 1): an hourly AR process."""
    index = hourly_index(days)
    rng = np.random.default_rng(seed)
    values = np.full(len(index), 10.0)
    noise = rng.normal(0, 1, len(index))
    for t in range(24, len(index)):
        values[t] = 2 + 0.5 * values[t - 1] + 0.3 * values[t - 24] + noise[t]
    return pd.Series(values[24:], index=index[24:])


def test_ols_recovers_the_coefficients_of_an_ar_process():
    model = get_model("ols", calendar="none", transform="none").fit(simulate_ar(), H)
    coefficients = model.coefficients()
    assert coefficients["lag_1h"] == pytest.approx(0.5, abs=0.05)
    assert coefficients["lag_1d"] == pytest.approx(0.3, abs=0.05)
    assert coefficients["const"] == pytest.approx(2.0, abs=0.7)
    others = coefficients.drop(["const", "lag_1h", "lag_1d"])
    assert (others.abs() < 0.1).all()
    assert model.source.name == "ols" and model.source.fallback_reason is None


def test_ols_forecasts_beat_naive_on_an_ar_process():
    series = simulate_ar()
    train, test = series.iloc[:-48], series.index[-48:]
    ols = get_model("ols").fit(train, 6 * H)
    naive = get_model("naive").fit(train, 6 * H)
    assert mae(series, ols.predict(test, history=series)) < mae(
        series, naive.predict(test, history=series)
    )


def test_source_label_names_model_version_and_specification(daily_profile):
    model = get_model("ols", transform="boxcox").fit(daily_profile, H)
    assert model.source.label.startswith("ols 1.0 (lags 1h")
    assert "Box-Cox" in model.source.label


@pytest.mark.parametrize(
    "values, reason",
    [
        (np.full(24 * 10, 3.0), "constant series"),
        (np.full(24 * 10, np.nan), "no data"),
        (np.array([1.0, 2.0, 4.0, 3.0]), "too little history"),
    ],
)
@pytest.mark.parametrize("name", ["ols", "hgb"])
def test_degenerate_input_falls_back_to_naive_and_says_so(name, values, reason):
    index = hourly_index(10)[: len(values)]
    series = pd.Series(values, index=index)
    model = get_model(name).fit(series, H)
    assert model.source.name == "naive"
    assert reason in model.source.fallback_reason
    assert reason in model.source.label
    forecast = model.predict(index[-1:] + 2 * H)  # known at belief time: the last value
    np.testing.assert_array_equal(forecast.to_numpy(), values[-1:])


def test_failing_fit_falls_back_to_naive(daily_profile, monkeypatch):
    def singular(*args):
        raise np.linalg.LinAlgError("SVD did not converge")

    monkeypatch.setattr(OLSForecaster, "_fit_estimator", singular)
    model = get_model("ols").fit(daily_profile, H)
    assert model.source.fallback_reason == "fitting failed: SVD did not converge"


def test_naive_forecast_is_the_last_value_known_at_the_belief_time(daily_profile):
    model = get_model("naive").fit(daily_profile, 6 * H)
    targets = daily_profile.index[-3:]
    forecast = model.predict(targets)
    expected = daily_profile.reindex(targets - 6 * H).to_numpy()
    np.testing.assert_array_equal(forecast.to_numpy(), expected)


def test_hgb_works_through_the_same_interface(daily_profile):
    train, test = daily_profile.iloc[:-24], daily_profile.index[-24:]
    model = get_model("hgb", max_iter=50).fit(train, 6 * H)
    forecast = model.predict(test, history=daily_profile)
    assert model.source.name == "hgb"
    assert forecast.notna().all()
    naive = get_model("naive").fit(train, 6 * H).predict(test, history=daily_profile)
    assert mae(daily_profile, forecast) < mae(daily_profile, naive)


def test_weather_regressor_is_used(daily_profile):
    rng = np.random.default_rng(5)
    temperature = pd.Series(rng.normal(10, 5, len(daily_profile)), index=daily_profile.index)
    load = daily_profile + 0.5 * temperature
    weather = temperature.to_frame("temperature")
    model = get_model("ols").fit(load.iloc[:-24], 24 * H, regressors=weather)
    assert model.coefficients()["x_temperature"] == pytest.approx(0.5, abs=0.05)
    assert "regressors temperature" in model.source.label


def test_unknown_model_name_is_refused():
    with pytest.raises(ValueError, match="Unknown forecasting model 'arima'"):
        get_model("arima")


def test_predicting_gaps_falls_back_to_naive_per_event(daily_profile):
    model = get_model("ols", calendar="none").fit(daily_profile.iloc[:-24], H)
    history = daily_profile.copy()
    history.iloc[-30:-20] = np.nan  # a gap: some lags are unknown
    forecast = model.predict(daily_profile.index[-24:], history=history)
    assert forecast.notna().all()


def test_hours_without_data_fit_quietly(daily_profile):
    """Solar-like data with nights missing: some hour dummies are all zero (rank-deficient
    design); the minimum-norm OLS solution is used without warnings in the worker's log."""
    daytime = daily_profile.where(daily_profile.index.hour.isin(range(6, 18)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = get_model("ols").fit(daytime, H)
    assert model.source.name == "ols"


def test_the_mean_model_forecasts_the_mean_of_ols_and_hgb(daily_profile):
    train, test = daily_profile.iloc[:-24], daily_profile.index[-24:]
    combined = get_model("ols+hgb", timezone="Europe/Amsterdam").fit(train, 6 * H)
    parts = [
        get_model(name, timezone="Europe/Amsterdam").fit(train, 6 * H).predict(test, daily_profile)
        for name in ("ols", "hgb")
    ]

    forecast = combined.predict(test, history=daily_profile)

    np.testing.assert_allclose(forecast, (parts[0] + parts[1]) / 2)
    assert combined.source.label.startswith("ols+hgb 1.0 (mean of ols 1.0 (lags")
    assert "hgb 1.1 (lags" in combined.source.label
