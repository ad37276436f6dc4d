"""Forecast combinations with the daily profile: the mean of its forecasts and the
regression models' (see ``MeanForecaster``).

On load series the profile and OLS are often about equally accurate while erring on
different days (the profile misses a change of level, the auto-regression a repeated
daily shape), and then their mean beats both. The model choice scores these combinations
on the mean of their parts' backtest forecasts, so they cost no extra fits there.
"""

from __future__ import annotations

from typing import ClassVar

from flexmeasures.forecasting.models import MeanForecaster


class ProfileOLSMean(MeanForecaster):
    """The mean of the daily profile's and OLS's forecasts (sensor's unit)."""

    name = "profile+ols"
    parts: ClassVar[tuple[str, ...]] = ("profile", "ols")


class ProfileOLSHGBMean(MeanForecaster):
    """The mean of the daily profile's, OLS's and gradient boosting's forecasts."""

    name = "profile+ols+hgb"
    parts: ClassVar[tuple[str, ...]] = ("profile", "ols", "hgb")


PROFILE_COMBINATIONS: tuple[type[MeanForecaster], ...] = (ProfileOLSMean, ProfileOLSHGBMean)
