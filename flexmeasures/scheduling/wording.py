"""Quantities and times in words a Prosumer reads: "25 kWh", "2 MW", "16:00 UTC"."""

from __future__ import annotations

from datetime import datetime

import pandas as pd


def _number(value: float) -> str:
    """A number with at most three decimals and no trailing zeros, e.g. 12.5 or 13."""
    text = f"{value:,.3f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def format_energy(mwh: float) -> str:
    """An energy given in MWh, in kWh below 1 MWh: format_energy(0.025) == "25 kWh"."""
    if abs(mwh) < 1:
        return f"{_number(mwh * 1000)} kWh"
    return f"{_number(mwh)} MWh"


def format_power(mw: float) -> str:
    """A power given in MW, in kW below 1 MW: format_power(0.011) == "11 kW"."""
    if abs(mw) < 1:
        return f"{_number(mw * 1000)} kW"
    return f"{_number(mw)} MW"


def format_time(moment: datetime) -> str:
    """A moment in UTC to the minute, e.g. "2015-06-02 16:00 UTC"."""
    return f"{pd.Timestamp(moment).tz_convert('UTC'):%Y-%m-%d %H:%M} UTC"


def format_window(start: datetime, end: datetime) -> str:
    """An interval in UTC, e.g. "2015-06-02 10:00 UTC to 2015-06-02 12:00 UTC"."""
    return f"{format_time(start)} to {format_time(end)}"
