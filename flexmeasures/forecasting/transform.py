"""A Box-Cox transformation that copes with zeros and negative values.

Power profiles often hold many zeros (solar at night, idle chargers) and, under the USEF
sign convention, negative values (production). Plain Box-Cox needs strictly positive data,
so we shift the data first: z = boxcox(y + offset, λ). The offset lifts the minimum of the
training data to a margin above zero; the margin is a fraction of the data's range, so that
zeros do not turn into extreme outliers (as they would with a tiny offset). λ is chosen by
maximum likelihood on the shifted data (the log-likelihood of scipy.stats.boxcox_llf,
maximised by Brent's method as scipy.stats.boxcox does, computed directly from the data's
logarithms). The inverse is exact.

Values below the training minimum minus the margin are outside the transform's domain;
they are clipped to its edge (documented loss of exactness only there).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, special

MARGIN_FRACTION = 0.05
SMALLEST_SHIFTED_VALUE = 1e-12


class TransformError(ValueError):
    """The data cannot be transformed (e.g. it is constant or has no finite values)."""


@dataclass(frozen=True)
class ShiftedBoxCox:
    """Box-Cox on value + offset: fitted parameters and the transformation both ways.

    Units: ``offset`` is in the data's unit; ``lmbda`` is dimensionless.
    """

    offset: float
    lmbda: float

    @classmethod
    def fit(
        cls, values: pd.Series | np.ndarray, margin_fraction: float = MARGIN_FRACTION
    ) -> ShiftedBoxCox:
        """Choose the offset from the data's range and λ by maximum likelihood."""
        finite = np.asarray(values, dtype=float)
        finite = finite[np.isfinite(finite)]
        if finite.size < 3:
            raise TransformError("Box-Cox needs at least three finite values.")
        low, high = finite.min(), finite.max()
        if high - low <= 0:
            raise TransformError("Box-Cox cannot be fitted to constant data.")
        offset = margin_fraction * (high - low) - low
        return cls(offset=float(offset), lmbda=maximum_likelihood_lambda(finite + offset))

    def transform(self, values: pd.Series | np.ndarray) -> pd.Series | np.ndarray:
        """The transformed values (same type and index as the input; NaN stays NaN)."""
        shifted = np.maximum(np.asarray(values, dtype=float) + self.offset, SMALLEST_SHIFTED_VALUE)
        result = special.boxcox(shifted, self.lmbda)
        return _like(values, result)

    def inverse(self, values: pd.Series | np.ndarray) -> pd.Series | np.ndarray:
        """The values on the original scale (same type and index as the input).

        Transformed values beyond the range Box-Cox can produce are clipped to it first.
        """
        transformed = np.asarray(values, dtype=float)
        if self.lmbda > 0:
            transformed = np.maximum(transformed, -1 / self.lmbda + SMALLEST_SHIFTED_VALUE)
        elif self.lmbda < 0:
            transformed = np.minimum(transformed, -1 / self.lmbda - SMALLEST_SHIFTED_VALUE)
        result = special.inv_boxcox(transformed, self.lmbda) - self.offset
        return _like(values, result)


def maximum_likelihood_lambda(values: np.ndarray) -> float:
    """The Box-Cox λ that maximises the log-likelihood of positive ``values`` (Brent's
    method from the bracket (-2, 2), as scipy.stats.boxcox)."""
    logs = np.log(values)
    total = logs.sum()

    def negative_llf(lmbda: float) -> float:
        """Minus the Box-Cox log-likelihood: N/2 log(variance of the transformed values)
        - (λ - 1) sum(log values); the variance of (x^λ - 1) / λ is taken as that of
        exp(λ (log x - r)) times exp(2 λ r) / λ², with r the largest log x for λ > 0 (the
        smallest for λ < 0), so that no power overflows. +inf where it cannot be told."""
        if lmbda == 0:
            log_variance = np.log(np.var(logs))
        else:
            reference = logs.max() if lmbda > 0 else logs.min()
            scaled = np.exp(lmbda * (logs - reference))
            log_variance = np.log(np.var(scaled)) + 2 * lmbda * reference - 2 * np.log(abs(lmbda))
        value = 0.5 * logs.size * log_variance - (lmbda - 1) * total
        return float(value) if np.isfinite(value) else np.inf

    return float(optimize.brent(negative_llf, brack=(-2.0, 2.0)))


def _like(template: pd.Series | np.ndarray, values: np.ndarray) -> pd.Series | np.ndarray:
    """The values as a Series shaped like the template if it is one, else as an array."""
    if isinstance(template, pd.Series):
        return pd.Series(values, index=template.index, name=template.name)
    return values
