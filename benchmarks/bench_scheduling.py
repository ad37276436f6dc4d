"""Benchmark: scheduling one battery at 15-minute resolution over 1, 2 and 7 days.

Measures, per horizon (96, 192 and 672 steps) and solver backend, the median of:

- build: checking the problem, writing the sparse arrays and handing them to the solver
  (for Pyomo backends: building the Pyomo model from the arrays);
- solve: the solver's own run (for Pyomo backends: writing its input, running the solver,
  reading the solution back);
- total: the whole ``schedule_storage`` call, as a caller sees it.

Run as a script (``python benchmarks/bench_scheduling.py``; ``--write`` also replaces the
"Scheduling" section of benchmarks/README.md), or with pytest-benchmark
(``python -m pytest benchmarks/bench_scheduling.py --benchmark-only``; build and solve
medians are in each result's extra_info). It needs no database. Targets for the HiGHS
backend's build + solve: 10, 15 and 50 ms.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from benchmarks.readme import replace_section
from flexmeasures.scheduling import (
    StorageProblem,
    available_solvers,
    schedule_storage,
)
from flexmeasures.scheduling.backends import SOLVERS

HORIZONS = {96: 10.0, 192: 15.0, 672: 50.0}  # steps → target for HiGHS build + solve (ms)
QUARTER = timedelta(minutes=15)
SECTION = "## Scheduling"


def day_ahead_prices(steps: int, negative_hours: bool = False) -> pd.Series:
    """Synthetic day-ahead prices (EUR/MWh) per quarter-hour: morning and evening peaks,
    a midday dip (below zero on sunny days if ``negative_hours``) and noise; fixed seed."""
    rng = np.random.default_rng(2021)
    hours = np.arange(steps) / 4
    daily = 45 + 25 * np.sin((hours - 8) / 24 * 2 * np.pi) + 15 * np.cos(hours / 12 * 2 * np.pi)
    if negative_hours:
        daily -= 120 * np.exp(-(((hours % 24) - 13) ** 2) / 8)
    values = np.round(daily + rng.normal(0, 4, steps), 2)
    index = pd.date_range("2021-03-01", periods=steps, freq=QUARTER, tz="UTC")
    return pd.Series(values, index=index)


def battery_problem(steps: int, negative_hours: bool = False) -> StorageProblem:
    """A 2 MW / 4 MWh battery (95 % each way), half full, to be full again at the end."""
    prices = day_ahead_prices(steps, negative_hours)
    end = prices.index[-1] + QUARTER
    return StorageProblem(
        prices,
        QUARTER,
        charging_capacity=2.0,
        discharging_capacity=2.0,
        soc_min=0.4,
        soc_max=4.0,
        soc_start=2.0,
        soc_targets=pd.Series([4.0], index=[end]),
        charging_efficiency=0.95,
        discharging_efficiency=0.95,
    )


def measure(problem: StorageProblem, solver: str, repeat: int) -> dict[str, float]:
    """Median build, solve and total times (ms) of scheduling the problem."""
    schedule_storage(problem, solver)  # warm-up: imports, solver start-up
    builds, solves, totals = [], [], []
    for _ in range(repeat):
        started = time.perf_counter()
        schedule = schedule_storage(problem, solver)
        totals.append(time.perf_counter() - started)
        builds.append(schedule.build_seconds)
        solves.append(schedule.solve_seconds)
    assert schedule.optimal, schedule.message
    return {
        "build": 1e3 * statistics.median(builds),
        "solve": 1e3 * statistics.median(solves),
        "total": 1e3 * statistics.median(totals),
        "cost": schedule.expected_cost,
    }


def results_table(repeat_highs: int = 30, repeat_pyomo: int = 5) -> str:
    """A Markdown table of median timings per scenario and backend."""
    lines = [
        "| steps | scenario | backend | build (ms) | solve (ms) | build + solve (ms) "
        "| whole call (ms) | target (ms) | cost (EUR) |",
        "|---:|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    solvers = available_solvers()
    scenarios = [(steps, False) for steps in HORIZONS] + [(192, True)]
    for steps, negative in scenarios:
        problem = battery_problem(steps, negative)
        name = "negative prices (MILP)" if negative else "positive prices"
        for solver in solvers:
            repeat = repeat_highs if solver == "highs" else repeat_pyomo
            timing = measure(problem, solver, repeat)
            both = timing["build"] + timing["solve"]
            target = HORIZONS[steps] if solver == "highs" and not negative else None
            verdict = "" if target is None else f"{target:g} {'✓' if both < target else '✗'}"
            lines.append(
                f"| {steps} | {name} | {solver} | {timing['build']:.1f} | {timing['solve']:.1f} "
                f"| {both:.1f} | {timing['total']:.1f} | {verdict} | {timing['cost']:.2f} |"
            )
    return "\n".join(lines)


def section(table: str) -> str:
    """The README section with the table and how it was made."""
    return f"""{SECTION}

`python benchmarks/bench_scheduling.py --write` (no database needed). One battery (2 MW,
4 MWh, 95 % efficient each way, half full, to be full at the end) at 15-minute steps over
1, 2 and 7 days of synthetic day-ahead prices; the last row has negative midday prices,
where charging while discharging would pay on paper, so the LP's solution overlaps and
the no-overlap MILP (a binary for each step with a non-positive price) is solved after
it (both counted).
Medians of 30 runs (HiGHS) or 5 runs (Pyomo backends), after a warm-up run.
Build = checks + sparse arrays + handing them to the solver (Pyomo: + building the Pyomo
model from the arrays); solve = the solver's run (Pyomo: + writing its input file and
reading the solution). Machine: {platform.machine()}, {os.cpu_count()} cores, Python
{platform.python_version()}, shared with other work while measured.

{table}

The in-process HiGHS backend is the default because it stays well within its targets;
the Pyomo backends spend most of their time around the solver (building the Pyomo model,
writing the solver's input, starting a process, reading the solution back). The MILP
row is the rare case (negative prices while the battery is full); binaries are added only
for steps with non-positive prices.
"""


@pytest.mark.parametrize("solver", [solver for solver in SOLVERS if solver in available_solvers()])
@pytest.mark.parametrize("steps", list(HORIZONS))
def test_schedule_one_battery(benchmark, steps, solver):
    """pytest-benchmark: the whole schedule_storage call; build and solve medians (ms) go
    into extra_info."""
    problem = battery_problem(steps)
    rounds = 30 if solver == "highs" else 5
    schedules = []

    def schedule():
        schedules.append(schedule_storage(problem, solver))

    benchmark.pedantic(schedule, rounds=rounds, warmup_rounds=1)
    assert all(result.optimal for result in schedules)
    benchmark.extra_info["build_ms"] = 1e3 * statistics.median(s.build_seconds for s in schedules)
    benchmark.extra_info["solve_ms"] = 1e3 * statistics.median(s.solve_seconds for s in schedules)


def main() -> None:
    """Print the table; with --write, also put it into benchmarks/README.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="update benchmarks/README.md")
    arguments = parser.parse_args()
    text = section(results_table())
    print(text)
    if arguments.write:
        replace_section("Scheduling", text)


if __name__ == "__main__":
    main()
