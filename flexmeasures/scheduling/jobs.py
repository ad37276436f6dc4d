"""Scheduling jobs: read an asset's prices, solve its storage problem, save the schedule.

``make_schedule`` is what the "scheduling" queue runs (and what API v1.2 and the CLI call
directly). It reads the most recent price beliefs (forecasts included) of the asset's
market, builds the pure ``StorageProblem``, solves it with FLEXMEASURES_LP_SOLVER and
saves the power schedule (MW, consumption positive) as beliefs of the scheduler's data
source, recorded at the schedule's start. Saving overwrites the same beliefs, so a retried
job does not duplicate them.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pandas as pd
from flask import current_app
from sqlalchemy import select

from flexmeasures.data import db
from flexmeasures.data.ingest import save_beliefs
from flexmeasures.data.models import Asset, DataSource, Market
from flexmeasures.data.queries import resample_events, search_beliefs
from flexmeasures.scheduling.asset_types import power_limits_for_asset_type
from flexmeasures.scheduling.errors import InvalidProblemError, MissingPricesError
from flexmeasures.scheduling.problem import StorageProblem, check_prices
from flexmeasures.scheduling.schedule import StorageSchedule, schedule_storage

SCHEDULER_SOURCE = {
    "name": "FlexMeasures",
    "type": "scheduling script",
    "model": "StorageScheduler",
    "version": "1",
}


def scheduler_source() -> DataSource:
    """The data source of schedules (created on first use)."""
    source = db.session.scalar(select(DataSource).filter_by(**SCHEDULER_SOURCE))
    if source is None:
        source = DataSource(**SCHEDULER_SOURCE)
        db.session.add(source)
        db.session.flush()
    return source


def make_schedule(
    asset_id: int,
    start: datetime,
    end: datetime,
    soc_at_start: float,
    soc_targets: list[tuple[datetime, float]] | None = None,
    prefer_charging_sooner: bool = True,
) -> dict[str, Any]:
    """Compute and save the schedule of a storage asset for [start, end) and commit.

    SOC values in MWh. Returns a summary: expected cost (in the market's currency), status,
    explanation and shortfalls (when targets cannot be met), and the solver's timings.
    Raises MissingPricesError (UNKNOWN_PRICES) and InvalidProblemError with messages a
    Prosumer can act on.
    """
    asset = db.session.get(Asset, asset_id)
    if asset is None:
        raise InvalidProblemError(f"There is no asset with id {asset_id}.")
    problem = storage_problem(
        asset, start, end, soc_at_start, soc_targets or [], prefer_charging_sooner
    )
    schedule = schedule_storage(problem, solver=current_app.config["FLEXMEASURES_LP_SOLVER"])
    save_schedule(asset, schedule, start)
    db.session.commit()
    return schedule_summary(schedule)


def storage_problem(
    asset: Asset,
    start: datetime,
    end: datetime,
    soc_at_start: float,
    soc_targets: list[tuple[datetime, float]],
    prefer_charging_sooner: bool = True,
) -> StorageProblem:
    """The storage problem of an asset over [start, end) at its resolution (units: MW, MWh)."""
    if asset.max_soc_in_mwh is None:
        raise InvalidProblemError(
            f"Asset {asset.name} has no max_soc_in_mwh; set its state of charge limits first."
        )
    charging, discharging = power_limits_for_asset_type(asset.asset_type_name, asset.capacity_in_mw)
    targets = pd.Series(
        [value for _, value in soc_targets],
        index=pd.DatetimeIndex([moment for moment, _ in soc_targets], tz="UTC"),
        dtype=float,
    )
    return StorageProblem(
        prices=market_prices(asset, start, end),
        resolution=asset.event_resolution,
        charging_capacity=charging,
        discharging_capacity=discharging,
        soc_min=asset.min_soc_in_mwh or 0.0,
        soc_max=asset.max_soc_in_mwh,
        soc_start=soc_at_start,
        soc_targets=targets,
        prefer_charging_sooner=prefer_charging_sooner,
    )


def market_prices(asset: Asset, start: datetime, end: datetime) -> pd.Series:
    """The most recent prices of the asset's market per step of the asset (currency/MWh).

    Raises MissingPricesError naming the windows without prices.
    """
    resolution = asset.event_resolution
    market = db.session.get(Market, asset.market_id) if asset.market_id else None
    if market is None:
        raise MissingPricesError([(start, end)])
    found = search_beliefs([market.id], start, end)
    prices = pd.Series(found["event_value"].to_numpy(), index=found["event_start"])
    prices = resample_events(prices, market.event_resolution, resolution, start, end)
    check_prices(prices, start, end, resolution)
    return prices


def save_schedule(asset: Asset, schedule: StorageSchedule, start: datetime) -> int:
    """Save the power schedule as beliefs recorded at ``start`` (overwriting a retry's)."""
    power = schedule.power
    resolution = pd.Timedelta(asset.event_resolution)
    beliefs = pd.DataFrame(
        {
            "sensor_id": asset.id,
            "event_start": power.index,
            "belief_horizon": (power.index + resolution) - pd.Timestamp(start),
            "source_id": scheduler_source().id,
            "event_value": power.to_numpy(),
        }
    )
    return save_beliefs(beliefs, on_conflict="overwrite")


def schedule_summary(schedule: StorageSchedule) -> dict[str, Any]:
    """What a job returns: cost, status, explanation, shortfalls and timings (JSON-able)."""
    return {
        "expected_cost": schedule.expected_cost,
        "status": schedule.status,
        "solver": schedule.solver,
        "explanation": list(schedule.explanation),
        "shortfalls": [shortfall.describe() for shortfall in schedule.shortfalls],
        "build_seconds": schedule.build_seconds,
        "solve_seconds": schedule.solve_seconds,
    }


def planning_window(soc_datetime: datetime, resolution: timedelta) -> tuple[datetime, datetime]:
    """The schedule's window: from the SOC moment (floored to the resolution) over the
    planning horizon (FLEXMEASURES_PLANNING_HORIZON)."""
    start = pd.Timestamp(soc_datetime).tz_convert("UTC").floor(resolution).to_pydatetime()
    return start, start + current_app.config["FLEXMEASURES_PLANNING_HORIZON"]
