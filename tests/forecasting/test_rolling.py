"""Rolling forecasts use only data known at each step's belief time."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from flexmeasures.forecasting import DEFAULT_HORIZONS, rolling_forecasts
from flexmeasures.forecasting.rolling import refit_windows
from tests.forecasting.conftest import hourly_index

H = pd.Timedelta(hours=1)


def random_walk(days: int = 20) -> pd.Series:
    """An hourly random walk (kW): the future cannot be guessed from the past."""
    index = hourly_index(days)
    rng = np.random.default_rng(11)
    return pd.Series(100 + np.cumsum(rng.normal(0, 1, len(index))), index=index)


@pytest.mark.parametrize("name", ["ols", "naive"])
@pytest.mark.parametrize("hours", [1, 6])
def test_forecasts_never_use_data_after_their_belief_time(name, hours):
    """Tamper with everything unknown at one step's belief time: that step's forecast must
    not change, while a later step's forecast (which may see the tampered data) does."""
    horizon = hours * H
    series = random_walk()
    start, end = series.index[-48], series.index[-24]
    original = rolling_forecasts(series, horizon, start, end, name).set_index("event_start")
    step = series.index[-36]
    tampered = series.copy()
    tampered[tampered.index > step - horizon] *= 100  # events known only after the belief time
    leaked = rolling_forecasts(tampered, horizon, start, end, name).set_index("event_start")
    assert leaked.loc[step, "value"] == original.loc[step, "value"]
    later = step + horizon + H
    assert leaked.loc[later, "value"] != original.loc[later, "value"]


def test_rolling_frame_has_one_row_per_step_with_horizon_and_belief_time():
    series = random_walk()
    start, end = series.index[-48], series.index[-24]
    result = rolling_forecasts(series, 6 * H, start.to_pydatetime(), end, "ols")
    assert list(result["event_start"]) == list(
        pd.date_range(start, end, freq="h", inclusive="left")
    )
    assert (result["belief_horizon"] == 6 * H).all()
    assert (result["event_start"] + H - result["belief_time"] == 6 * H).all()
    assert result["source"].str.startswith("ols 1.0").all()


def test_steps_without_any_known_data_get_no_forecast():
    series = random_walk(3)
    result = rolling_forecasts(series, 48 * H, series.index[0], series.index[30], "ols")
    assert result.empty


def test_refit_windows_split_steps_per_day():
    steps = pd.date_range("2024-01-01 12:00", periods=72, freq="h", tz="UTC")
    windows = refit_windows(steps, pd.Timedelta(days=1))
    assert [len(window) for window in windows] == [24, 24, 24]


def test_naive_start_is_refused():
    series = random_walk(3)
    with pytest.raises(ValueError, match="timezone-aware"):
        rolling_forecasts(series, H, pd.Timestamp("2024-01-02"), series.index[-1], "naive")


def test_default_horizons():
    assert [h / H for h in DEFAULT_HORIZONS] == [1, 6, 24, 48]
