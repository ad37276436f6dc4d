"""The zero-safe Box-Cox transformation round-trips."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from flexmeasures.forecasting.transform import ShiftedBoxCox, TransformError


def zero_heavy_values() -> np.ndarray:
    """A solar-like profile: 60 % zeros, the rest skewed positive values (kW)."""
    rng = np.random.default_rng(3)
    values = rng.gamma(2.0, 1.5, 1000)
    values[rng.random(1000) < 0.6] = 0.0
    return values


def test_zero_heavy_series_round_trips():
    values = pd.Series(zero_heavy_values())
    transform = ShiftedBoxCox.fit(values)
    transformed = transform.transform(values)
    assert np.isfinite(transformed).all()
    assert transform.inverse(transformed).to_numpy() == pytest.approx(values.to_numpy(), abs=1e-9)


def test_negative_values_round_trip_and_lambda_is_maximum_likelihood():
    values = -zero_heavy_values()  # production is negative under the USEF convention
    transform = ShiftedBoxCox.fit(values)
    assert transform.inverse(transform.transform(values)) == pytest.approx(values, abs=1e-9)
    assert transform.offset > -values.min()  # zeros and minimum both land above zero


def test_transform_reduces_skew():
    values = zero_heavy_values()[zero_heavy_values() > 0]
    transform = ShiftedBoxCox.fit(values)
    skew = pd.Series(values).skew()
    assert abs(pd.Series(transform.transform(values)).skew()) < abs(skew)


def test_nan_stays_nan():
    transform = ShiftedBoxCox.fit(zero_heavy_values())
    result = transform.transform(pd.Series([0.0, np.nan, 2.0]))
    assert result.isna().tolist() == [False, True, False]


@pytest.mark.parametrize("values", [[2.0] * 10, [np.nan] * 10, [1.0, 2.0]])
def test_degenerate_data_cannot_be_fitted(values):
    with pytest.raises(TransformError):
        ShiftedBoxCox.fit(np.array(values))


def test_inverse_clips_to_the_domain():
    transform = ShiftedBoxCox(offset=1.0, lmbda=0.5)  # domain of z: z > -2
    assert np.isfinite(transform.inverse(np.array([-10.0]))).all()
