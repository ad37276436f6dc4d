"""Scheduling jobs: read an asset's prices, solve its storage problem, save the schedule.

``make_schedule`` is what the "scheduling" queue runs (and what API v1.2 calls directly).
It reads the most recent price beliefs (forecasts included) of the asset's market and the
asset's power commitments overlapping the window (a DSO dispatch, a filled order: table
``power_commitment``), builds the pure ``StorageProblem``, solves it with
FLEXMEASURES_LP_SOLVER (or the solver given) and saves the power schedule (MW,
consumption positive) as beliefs of the scheduler's data source, recorded at the
schedule's start. Saving overwrites the same beliefs, so a retried
job does not duplicate them (and a later schedule from the same start replaces an earlier
one); the job also returns its own power values (``schedule_summary``).
``compute_schedule`` does the same without committing (the ``flexmeasures add schedule``
command commits it as its one transaction) and also returns the SOC trajectory.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
from flask import current_app
from rq.job import Job
from sqlalchemy import Select, bindparam, select, text
from sqlalchemy.orm import aliased

from flexmeasures.data import db
from flexmeasures.data.ingest import save_beliefs
from flexmeasures.data.models import Asset, DataSource, Sensor
from flexmeasures.data.queries import resample_events, search_beliefs
from flexmeasures.data.services.commitments import commitments_overlapping
from flexmeasures.jobs import enqueue
from flexmeasures.scheduling.asset_types import power_limits_for_asset_type, storage_settings
from flexmeasures.scheduling.backends import resolve_solver
from flexmeasures.scheduling.commitments import PowerCommitment
from flexmeasures.scheduling.errors import InvalidProblemError, MissingPricesError
from flexmeasures.scheduling.problem import StorageProblem, check_prices, step_starts
from flexmeasures.scheduling.schedule import StorageSchedule, schedule_storage

SCHEDULER_SOURCE = {
    "name": "FlexMeasures",
    "type": "scheduling script",
    "model": "StorageScheduler",
    "version": "1",
}
SCHEDULING_JOB_TIMEOUT = 600
"""Seconds a scheduling job may run before RQ stops it (and records it as failed)."""

SocTargets = Sequence[tuple[datetime, float]]


@dataclass(frozen=True)
class ComputedSchedule:
    """A schedule saved (not yet committed) for an asset, with where the time went.

    ``currency`` is that of the market's prices (e.g. EUR), in which the schedule's
    expected cost is; ``saved`` the number of power beliefs written; timings in seconds.
    """

    asset_id: int
    schedule: StorageSchedule
    currency: str
    saved: int
    read_seconds: float
    save_seconds: float


def make_schedule(
    asset_id: int,
    start: datetime,
    end: datetime,
    soc_at_start: float,
    soc_targets: SocTargets | None = None,
    prefer_charging_sooner: bool = True,
    solver: str | None = None,
    settings: DeviceSettings | None = None,
) -> dict[str, Any]:
    """Compute and save the schedule of a storage asset for [start, end) and commit.

    SOC values in MWh; ``solver`` defaults to FLEXMEASURES_LP_SOLVER; ``settings`` override
    the asset's stored ones for this schedule (API v3_0's flex-model). Returns a summary
    (see ``schedule_summary``). Raises MissingPricesError (UNKNOWN_PRICES) and other
    SchedulingErrors with messages a Prosumer can act on; then nothing is saved.
    """
    try:
        computed = compute_schedule(
            asset_id,
            start,
            end,
            soc_at_start,
            soc_targets,
            prefer_charging_sooner,
            solver,
            settings,
        )
    except BaseException:
        db.session.rollback()  # in-process jobs share the caller's session
        raise
    started = time.perf_counter()
    db.session.commit()
    committed = time.perf_counter() - started
    return schedule_summary(computed, commit_seconds=committed)


def compute_schedule(
    asset_id: int,
    start: datetime,
    end: datetime,
    soc_at_start: float,
    soc_targets: SocTargets | None = None,
    prefer_charging_sooner: bool = True,
    solver: str | None = None,
    settings: DeviceSettings | None = None,
) -> ComputedSchedule:
    """Compute the schedule of a storage asset for [start, end) and save it, uncommitted.

    Same arguments and errors as ``make_schedule``; the caller commits (or rolls back).
    """
    solver_name = resolve_solver(solver or current_app.config["FLEXMEASURES_LP_SOLVER"])
    started = time.perf_counter()
    inputs = with_market(job_inputs(asset_id), settings)
    prices = market_prices(inputs, start, end)
    problem = storage_problem(
        inputs,
        prices,
        soc_at_start,
        list(soc_targets or []),
        prefer_charging_sooner,
        settings,
        power_commitments(inputs.id, start, end),
    )
    read_seconds = time.perf_counter() - started
    schedule = schedule_storage(problem, solver=solver_name)
    started = time.perf_counter()
    saved = save_schedule(inputs, schedule, start, inputs.scheduler_source_id)
    return ComputedSchedule(
        asset_id=inputs.id,
        schedule=schedule,
        currency=currency_of(inputs.price_unit or ""),
        saved=saved,
        read_seconds=read_seconds,
        save_seconds=time.perf_counter() - started,
    )


@dataclass(frozen=True)
class DeviceSettings:
    """Settings of one schedule that override the asset's stored ones (None: keep those):
    power capacity (MW), SOC limits (MWh), efficiencies (shares in (0, 1]) and the market
    (a price sensor) whose prices to optimise against."""

    capacity_in_mw: float | None = None
    min_soc_in_mwh: float | None = None
    max_soc_in_mwh: float | None = None
    charging_efficiency: float = 1.0
    discharging_efficiency: float = 1.0
    market_id: int | None = None

    def applied_to(self, asset: Asset | JobInputs) -> dict[str, Any]:
        """The asset's capacity and SOC limits with these settings applied."""
        names = ("capacity_in_mw", "min_soc_in_mwh", "max_soc_in_mwh")
        return {
            name: getattr(asset, name) if getattr(self, name) is None else getattr(self, name)
            for name in names
        }


@dataclass(frozen=True)
class JobInputs:
    """What a job reads about its asset, in one query: the asset's settings (named as on
    Asset: MW, MWh), its market's resolution and price unit (None without a market), and
    the id of the scheduler's data source (None before the first schedule is saved)."""

    id: int
    name: str
    asset_type_name: str
    capacity_in_mw: float
    min_soc_in_mwh: float | None
    max_soc_in_mwh: float | None
    event_resolution: timedelta
    market_id: int | None
    market_resolution: timedelta | None
    price_unit: str | None
    scheduler_source_id: int | None


def job_inputs(asset_id: int) -> JobInputs:
    """Read a storage asset's JobInputs in one round trip to the database.

    Raises InvalidProblemError for an unknown asset and UnsupportedAssetTypeError for an
    asset without a storage scheduler.
    """
    row = db.session.execute(_job_inputs_query(), {"asset_id": asset_id}).one_or_none()
    if row is None:
        raise InvalidProblemError(f"There is no asset with id {asset_id}.")
    storage_settings(row.asset_type_name)
    return JobInputs(**row._mapping)


@functools.cache
def _job_inputs_query() -> Select:
    """The statement behind ``job_inputs``, built once per process (building it, with its
    alias of the sensor table, costs more than running it)."""
    market = aliased(Sensor)
    source_id = (
        select(DataSource.id)
        .filter_by(**SCHEDULER_SOURCE)
        .order_by(DataSource.id)
        .limit(1)
        .scalar_subquery()
    )
    return (
        select(
            *(getattr(Asset, name) for name in _ASSET_COLUMNS),
            market.event_resolution.label("market_resolution"),
            market.unit.label("price_unit"),
            source_id.label("scheduler_source_id"),
        )
        .select_from(Asset)
        .outerjoin(market, market.id == Asset.market_id)
        .where(Asset.id == bindparam("asset_id"))
    )


_ASSET_COLUMNS = (
    "id",
    "name",
    "asset_type_name",
    "capacity_in_mw",
    "min_soc_in_mwh",
    "max_soc_in_mwh",
    "event_resolution",
    "market_id",
)


def with_market(inputs: JobInputs, settings: DeviceSettings | None) -> JobInputs:
    """The job's inputs with the market of the settings, if they name one."""
    if settings is None or settings.market_id is None:
        return inputs
    market = db.session.get(Sensor, settings.market_id)
    if market is None:
        raise InvalidProblemError(f"There is no price sensor with id {settings.market_id}.")
    return replace(
        inputs,
        market_id=market.id,
        market_resolution=market.event_resolution,
        price_unit=market.unit,
    )


def storage_asset(asset_id: int) -> Asset:
    """The asset with this id, if it has a storage scheduler (InvalidProblemError or
    UnsupportedAssetTypeError otherwise)."""
    asset = db.session.get(Asset, asset_id)
    if asset is None:
        raise InvalidProblemError(f"There is no asset with id {asset_id}.")
    storage_settings(asset.asset_type_name)
    return asset


def check_schedule_request(
    asset: Asset,
    start: datetime,
    end: datetime,
    soc_at_start: float,
    soc_targets: SocTargets,
    settings: DeviceSettings | None = None,
) -> None:
    """Check a request as a job would, before it is queued, without reading prices.

    Raises InvalidProblemError (e.g. an empty window, a target outside it or between
    steps, no SOC limits) or UnsupportedAssetTypeError.
    """
    steps = step_starts(start, end, asset.event_resolution)
    placeholder_prices = pd.Series(0.0, index=steps)
    storage_problem(asset, placeholder_prices, soc_at_start, soc_targets, settings=settings)


def storage_problem(
    asset: Asset | JobInputs,
    prices: pd.Series,
    soc_at_start: float,
    soc_targets: SocTargets,
    prefer_charging_sooner: bool = True,
    settings: DeviceSettings | None = None,
    commitments: Sequence[PowerCommitment] = (),
) -> StorageProblem:
    """The storage problem of an asset facing prices (currency/MWh per step of the asset).

    SOC at start and targets (moment, value) in MWh; capacities from the asset (MW, MWh),
    unless ``settings`` override them; ``commitments`` bound its net power (MW).
    """
    settings = settings or DeviceSettings()
    limits = settings.applied_to(asset)
    if limits["max_soc_in_mwh"] is None:
        raise InvalidProblemError(
            f"Asset {asset.name} has no max_soc_in_mwh; set its state of charge limits first."
        )
    charging, discharging = power_limits_for_asset_type(
        asset.asset_type_name, limits["capacity_in_mw"]
    )
    targets = pd.Series(
        [value for _, value in soc_targets],
        index=pd.DatetimeIndex([moment for moment, _ in soc_targets]),
        dtype=float,
    )
    if targets.index.tz is None:
        targets.index = targets.index.tz_localize("UTC")
    return StorageProblem(
        prices=prices,
        resolution=asset.event_resolution,
        charging_capacity=charging,
        discharging_capacity=discharging,
        soc_min=limits["min_soc_in_mwh"] or 0.0,
        soc_max=limits["max_soc_in_mwh"],
        soc_start=soc_at_start,
        soc_targets=targets,
        charging_efficiency=settings.charging_efficiency,
        discharging_efficiency=settings.discharging_efficiency,
        prefer_charging_sooner=prefer_charging_sooner,
        power_commitments=tuple(commitments),
    )


def power_commitments(asset_id: int, start: datetime, end: datetime) -> list[PowerCommitment]:
    """The asset's recorded commitments overlapping [start, end), for the scheduler (net
    power in MW, consumption positive)."""
    return [
        PowerCommitment(
            start=row.start,
            end=row.end,
            kind=row.kind,
            power=row.power_in_mw,
            reason=row.reason or f"{row.source} {row.external_id or row.id}",
        )
        for row in commitments_overlapping([asset_id], start, end)
    ]


def market_prices(asset: JobInputs, start: datetime, end: datetime) -> pd.Series:
    """The most recent prices of the asset's market per step of the asset in [start, end)
    (currency/MWh).

    Raises MissingPricesError naming the windows without prices.
    """
    resolution, market_resolution = asset.event_resolution, asset.market_resolution
    if asset.market_id is None or market_resolution is None:
        raise MissingPricesError([(start, end)])
    # from the price event that holds at the start, e.g. 10:00 for hourly prices and 10:15
    overlapping_start = start - market_resolution + timedelta(microseconds=1)
    found = search_beliefs([asset.market_id], overlapping_start, end)
    prices = pd.Series(found["event_value"].to_numpy(), index=found["event_start"])
    prices = resample_events(prices, market_resolution, resolution, start, end)
    return check_prices(prices, start, end, resolution)


def currency_of(price_unit: str) -> str:
    """The currency of a price unit: "EUR" for "EUR/MWh" (the unit itself if it has no "/")."""
    return price_unit.split("/")[0].strip() or price_unit


def scheduler_source_id() -> int:
    """The id of the data source of schedules (created on first use).

    On PostgreSQL, workers creating it at the same time take turns (a transaction-level
    advisory lock), so that there is one such source: the database cannot enforce that,
    as its unique key includes the (empty) user.
    """
    query = select(DataSource.id).filter_by(**SCHEDULER_SOURCE).order_by(DataSource.id).limit(1)
    source_id = db.session.scalar(query)
    if source_id is None and db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SOURCE_LOCK})
        source_id = db.session.scalar(query)
    if source_id is None:
        source = DataSource(**SCHEDULER_SOURCE)
        db.session.add(source)
        db.session.flush()
        source_id = source.id
    return source_id


_SOURCE_LOCK = 0x464D_5343  # "FMSC": the advisory lock key for creating the source


def scheduler_source() -> DataSource:
    """The data source of schedules (created on first use)."""
    return db.session.get(DataSource, scheduler_source_id())


def save_schedule(
    asset: Asset | JobInputs,
    schedule: StorageSchedule,
    start: datetime,
    source_id: int | None = None,
) -> int:
    """Save the power schedule (MW) as beliefs recorded at ``start``, overwriting a retry's.

    ``source_id``: the scheduler's data source (looked up, or created, if not given).
    Returns the number of beliefs written. Does not commit.
    """
    power = schedule.power
    ends = power.index + pd.Timedelta(asset.event_resolution)
    beliefs = pd.DataFrame(
        {
            "sensor_id": asset.id,
            "event_start": power.index,
            "belief_horizon": ends - pd.Timestamp(start),
            "source_id": source_id or scheduler_source_id(),
            "event_value": power.to_numpy(),
        }
    )
    return save_beliefs(beliefs, on_conflict="overwrite")


def schedule_summary(computed: ComputedSchedule, commit_seconds: float = 0.0) -> dict[str, Any]:
    """What a job returns (JSON-able): expected cost (in ``currency``), status, solver,
    number of steps, the power per step from the schedule's start (MW, consumption
    positive), explanation and shortfalls (in words; empty when every target is met), and
    the time (seconds) spent reading, building, solving and saving (commit included).

    The power is this job's schedule as computed: the saved beliefs may since have been
    overwritten by a later schedule of the asset, so a device message reads it from here.
    """
    schedule = computed.schedule
    return {
        "asset_id": computed.asset_id,
        "expected_cost": schedule.expected_cost,
        "currency": computed.currency,
        "status": schedule.status,
        "solver": schedule.solver,
        "steps": len(schedule.power),
        "power": [float(value) for value in schedule.power.to_numpy()],
        "explanation": list(schedule.explanation),
        "shortfalls": [shortfall.describe() for shortfall in schedule.shortfalls],
        "read_seconds": computed.read_seconds,
        "build_seconds": schedule.build_seconds,
        "solve_seconds": schedule.solve_seconds,
        "save_seconds": computed.save_seconds + commit_seconds,
    }


def enqueue_schedule(
    asset_id: int,
    start: datetime,
    end: datetime,
    soc_at_start: float,
    soc_targets: SocTargets | None = None,
    prefer_charging_sooner: bool = True,
    solver: str | None = None,
    keep: timedelta | None = None,
    meta: dict[str, Any] | None = None,
    settings: DeviceSettings | None = None,
) -> Job:
    """Put a ``make_schedule`` job on the "scheduling" queue and return the RQ job.

    ``keep``: how long its result (or failure) stays in Redis (None: RQ's defaults; a
    non-positive duration: forever). ``meta`` is stored with the job, with ``start`` and
    ``end`` (ISO) and ``asset_id`` added; ``settings`` go to the job (see ``make_schedule``).
    Call after committing what the job reads.
    """
    ttl: dict[str, Any] = {}
    if keep is not None:
        seconds = math.ceil(keep.total_seconds())
        ttl = {"result_ttl": seconds, "failure_ttl": seconds} if seconds > 0 else {"result_ttl": -1}
    return enqueue(
        "scheduling",
        make_schedule,
        asset_id,
        start,
        end,
        soc_at_start,
        list(soc_targets or []),
        prefer_charging_sooner,
        solver,
        settings,
        job_timeout=SCHEDULING_JOB_TIMEOUT,
        meta={
            **(meta or {}),
            "start": start.isoformat(),
            "end": end.isoformat(),
            "asset_id": asset_id,
        },
        **ttl,
    )


def job_failure_reason(job: Job) -> tuple[str, str]:
    """The error class name and message of a failed job, e.g. ("MissingPricesError", "No
    prices are known for ..."); from the last line of the traceback RQ recorded."""
    result = job.latest_result()
    reason = ((result.exc_string if result else "") or "").strip()
    last_line = reason.splitlines()[-1] if reason else "Unknown error"
    error_class, _, words = last_line.partition(": ")
    if not words or " " in error_class:  # not "module.ErrorClass: message"
        return "", last_line
    return error_class.rsplit(".", 1)[-1], words


def planning_window(soc_datetime: datetime, resolution: timedelta) -> tuple[datetime, datetime]:
    """The schedule's window: from the SOC moment (floored to the resolution) over the
    planning horizon (FLEXMEASURES_PLANNING_HORIZON)."""
    start = pd.Timestamp(soc_datetime).tz_convert("UTC").floor(resolution).to_pydatetime()
    return start, start + current_app.config["FLEXMEASURES_PLANNING_HORIZON"]
