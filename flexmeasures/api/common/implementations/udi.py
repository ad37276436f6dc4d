"""Flexibility constraints (UDI events) and control signals (device messages).

postUdiEvent stores a device's state of charge (event type ``soc``) and, for
``soc-with-targets``, SOC targets; units kWh or MWh. Event ids must increase per device
(OUTDATED_UDI_EVENT otherwise; not enforced in play mode). From API v1.3 on, posting
enqueues a scheduling job; the job's id is kept in Redis under the event for
FLEXMEASURES_PLANNING_TTL. getDeviceMessage answers the schedule of that event (MW,
consumption positive) for ``duration`` (default PT6H, at most the planning horizon), exactly
as its job computed it (the job returns its power values), also after a later event's
schedule has replaced the saved beliefs (which hold the most recent schedule per step):
UNKNOWN_SCHEDULE while the job waits or runs, or with the job's error if it failed, and
UNRECOGNIZED_UDI_EVENT for events it does not know (or no longer, after the TTL).
API v1.2 computes the schedule when the device message is requested.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from rq.exceptions import NoSuchJobError
from rq.job import Job

from flexmeasures.api.common.entities import addressed_asset, parse_address
from flexmeasures.api.common.messages import (
    MessageError,
    parse_duration_field,
    parse_timestamp_field,
    unprocessable_field,
)
from flexmeasures.api.common.numbers import NotAFiniteNumber, NotANumber, finite_float
from flexmeasures.api.common.responses import ResponseTuple, request_processed
from flexmeasures.data import db
from flexmeasures.data.models import Asset
from flexmeasures.jobs import redis_connection
from flexmeasures.modes import enforce_consecutive_udi_events
from flexmeasures.scheduling.asset_types import STORAGE_ASSET_TYPES
from flexmeasures.scheduling.errors import MissingPricesError, SchedulingError
from flexmeasures.scheduling.jobs import (
    enqueue_schedule,
    job_failure_reason,
    make_schedule,
    planning_window,
)
from flexmeasures.scheduling.problem import LARGEST_QUANTITY
from flexmeasures.scheduling.schedule import INFEASIBLE_RELAXED
from flexmeasures.utils.time_utils import duration_isoformat

EVENT_TYPES = ("soc", "soc-with-targets")
SOC_UNITS = {"kWh": 1e-3, "MWh": 1.0}
DEFAULT_DEVICE_MESSAGE_DURATION = timedelta(hours=6)


def parse_event(message: dict[str, Any]) -> tuple[Asset, int, str | None]:
    """The asset, event id and event type of the message's ``event`` address."""
    address = message.get("event")
    if not address:
        raise MessageError("REQUIRED_INFO_MISSING", "Please state the UDI event ('event').")
    parsed = parse_address(str(address), "event", "UNRECOGNIZED_UDI_EVENT")
    device = f"{parsed['owner_id']}:{parsed['asset_id']}"
    asset = addressed_asset(
        parsed["asset_id"], parsed["owner_id"], device, "UNRECOGNIZED_CONNECTION_GROUP"
    )
    return asset, parsed["event_id"], parsed.get("event_type")


def post_udi_event(version, message: dict[str, Any]) -> ResponseTuple:
    """Store a device's state of charge (and targets); from v1.3 on, enqueue its schedule."""
    asset, event_id, event_type = parse_event(message)
    _check_event_type(event_type, asset)
    soc_moment, soc = _parse_soc(message)
    start, end = planning_window(soc_moment, asset.event_resolution)
    targets = (
        _parse_targets(message, start, end, asset.event_resolution)
        if event_type == "soc-with-targets"
        else []
    )
    _check_event_is_new(asset, event_id)
    asset.soc_in_mwh, asset.soc_datetime, asset.soc_udi_event_id = soc, soc_moment, event_id
    db.session.commit()
    if version.feature("schedule_in_job"):
        _enqueue_schedule(asset, event_id, start, end, soc, targets)
    return request_processed()


def _check_event_type(event_type: str | None, asset: Asset) -> None:
    if event_type not in EVENT_TYPES:
        raise MessageError(
            "UNRECOGNIZED_UDI_EVENT",
            f"The requested UDI event type {event_type} is not known; use "
            f"{' or '.join(EVENT_TYPES)}.",
        )
    if asset.asset_type_name not in STORAGE_ASSET_TYPES:
        raise MessageError(
            "UNRECOGNIZED_UDI_EVENT",
            f"Assets of type {asset.asset_type_name} cannot be scheduled; state of charge "
            f"events are for assets of type {', '.join(STORAGE_ASSET_TYPES)}.",
        )


def _parse_soc(message: dict[str, Any]) -> tuple[datetime, float]:
    """The SOC moment and value (MWh) of the message."""
    if message.get("datetime") is None:
        raise MessageError("INVALID_DATETIME", "Datetime cannot be used: it is missing.")
    moment = parse_timestamp_field(message.get("datetime"), "datetime")
    soc = _soc_in_mwh(
        message.get("value"),
        message.get("unit"),
        "The state of charge ('value')",
        MessageError("PTUS_INCOMPLETE", "Missing values: state a numeric 'value'."),
    )
    return moment, soc


def _soc_in_mwh(value: Any, unit: Any, name: str, if_no_number: MessageError) -> float:
    """A state of charge given in ``unit`` (kWh or MWh), in MWh.

    Raises ``if_no_number`` for a missing or non-numeric value, and INVALID_REQUEST, naming
    the value (``name``), for NaN, infinities and values too large to schedule with.
    """
    factor = _soc_unit_factor(unit)
    try:
        soc = finite_float(value) * factor
    except NotANumber as exc:
        raise if_no_number from exc
    except NotAFiniteNumber as exc:
        raise MessageError("INVALID_REQUEST", f"{name} should be a finite number: {exc}.") from exc
    if abs(soc) > LARGEST_QUANTITY:
        raise MessageError(
            "INVALID_REQUEST",
            f"{name} of {soc:g} MWh is too large to schedule with (at most "
            f"{LARGEST_QUANTITY:g} MWh in size).",
        )
    return soc


def _soc_unit_factor(unit: Any) -> float:
    if unit not in SOC_UNITS:
        raise MessageError(
            "INVALID_UNIT", "Data for state of charge should be given in kWh or MWh."
        )
    return SOC_UNITS[unit]


def _parse_targets(
    message: dict[str, Any], start: datetime, end: datetime, resolution: timedelta
) -> list[tuple[datetime, float]]:
    """SOC targets (moment, MWh) at step ends within the planning window."""
    targets = message.get("targets")
    if not isinstance(targets, list) or not targets:
        raise MessageError(
            "INCOMPLETE_UDI_EVENT", "A soc-with-targets event needs a list of 'targets'."
        )
    parsed = []
    for number, target in enumerate(targets, start=1):
        soc = _soc_in_mwh(
            target.get("value") if isinstance(target, dict) else None,
            message.get("unit"),
            f"The value of target {number}",
            MessageError("INCOMPLETE_UDI_EVENT", "Each target needs a numeric 'value'."),
        )
        moment = parse_timestamp_field(target.get("datetime"), "datetime")
        _check_target_moment(moment, start, end, resolution)
        parsed.append((moment, soc))
    return parsed


def _check_target_moment(
    moment: datetime, start: datetime, end: datetime, resolution: timedelta
) -> None:
    """A target must be at the end of one of the schedule's steps (INVALID_DATETIME)."""
    if not start < moment <= end:
        raise MessageError(
            "INVALID_DATETIME",
            f"Datetime cannot be used: target at {moment.isoformat()} is not within the "
            f"planning window from {start.isoformat()} to {end.isoformat()}.",
        )
    if (moment - start) % resolution:
        raise MessageError(
            "INVALID_DATETIME",
            f"Datetime cannot be used: target at {moment.isoformat()} is not at the end of a "
            f"step of {duration_isoformat(resolution)} (the device's resolution).",
        )


def _check_event_is_new(asset: Asset, event_id: int) -> None:
    latest = asset.soc_udi_event_id
    if (
        latest is not None
        and event_id <= latest
        and enforce_consecutive_udi_events(current_app.config)
    ):
        raise MessageError(
            "OUTDATED_UDI_EVENT",
            f"The requested UDI event (id = {event_id}) is equal or before the latest existing "
            f"one (id = {latest}).",
        )


def _event_key(asset: Asset, event_id: int) -> str:
    return f"flexmeasures:udi-event:{asset.id}:{event_id}"


def _enqueue_schedule(
    asset: Asset,
    event_id: int,
    start: datetime,
    end: datetime,
    soc: float,
    targets: list[tuple[datetime, float]],
) -> None:
    """Enqueue the scheduling job and remember its id under the event for the TTL."""
    ttl = current_app.config["FLEXMEASURES_PLANNING_TTL"]
    job = enqueue_schedule(
        asset.id, start, end, soc, targets, keep=ttl, meta={"event_id": event_id}
    )
    connection = redis_connection()
    keep = math.ceil(ttl.total_seconds())
    connection.set(_event_key(asset, event_id), job.id, ex=keep if keep > 0 else None)


def get_device_message(version, message: dict[str, Any]) -> ResponseTuple:
    """The schedule of a UDI event's device (MW, consumption positive) for ``duration``,
    rounded up to whole steps of the device's resolution (as the response's duration says)."""
    asset, event_id, _ = parse_event(message)
    duration = _device_message_duration(message)
    if version.feature("schedule_in_job"):
        start, summary = _finished_schedule(asset, event_id)
    else:
        start, summary = _schedule_now(asset, event_id)
    values = scheduled_values(summary, asset.event_resolution, duration)
    return {
        "event": message.get("event"),
        "values": values,
        "start": start.isoformat(),
        "duration": duration_isoformat(len(values) * asset.event_resolution),
        "unit": "MW",
        "status": "PROCESSED",
        "message": schedule_message(summary),
    }, 200


def schedule_message(summary: dict[str, Any] | None) -> str:
    """The response's message: processed, and why the schedule misses targets if it does.

    ``summary`` is what ``make_schedule`` returned (None if unknown).
    """
    summary = summary or {}
    notes = [*summary.get("explanation", []), *summary.get("shortfalls", [])]
    if not notes:
        return "Request has been processed."
    if summary.get("status") == INFEASIBLE_RELAXED:
        lead = (
            "This schedule cannot meet every target; it is the closest schedule the device "
            "can follow."
        )
    else:
        lead = "Note:"
    return " ".join(["Request has been processed.", lead, *notes])


def _device_message_duration(message: dict[str, Any]) -> timedelta:
    """The requested duration (default 6 hours), at most the planning horizon.

    A duration that is no positive ISO 8601 duration is 422 UNPROCESSABLE_ENTITY (seed:
    getDeviceMessage), with the field's message under ``duration``.
    """
    text = message.get("duration")
    if text is None:
        return min(DEFAULT_DEVICE_MESSAGE_DURATION, _planning_horizon())
    try:
        duration = parse_duration_field(text)
    except MessageError as exc:
        raise unprocessable_field("duration", exc.message) from exc
    return min(duration, _planning_horizon())


def _planning_horizon() -> timedelta:
    return current_app.config["FLEXMEASURES_PLANNING_HORIZON"]


def _finished_schedule(asset: Asset, event_id: int) -> tuple[datetime, dict[str, Any] | None]:
    """The start and job summary of the event's finished schedule, or the status saying why
    there is none."""
    connection = redis_connection()
    job_id = connection.get(_event_key(asset, event_id))
    if not isinstance(job_id, bytes):  # None: no such key
        raise _unrecognized_event(event_id)
    try:
        job = Job.fetch(job_id.decode(), connection=connection)
    except NoSuchJobError as exc:
        raise _unrecognized_event(event_id) from exc
    if job.is_failed:
        raise _failed_job_error(job)
    if not job.is_finished:
        raise MessageError(
            "UNKNOWN_SCHEDULE",
            f"No known schedule for this time period: the scheduling job is "
            f"{job.get_status().value}; try again in a few seconds.",
        )
    summary = job.return_value()
    return datetime.fromisoformat(job.meta["start"]), summary if isinstance(summary, dict) else None


def _failed_job_error(job: Job) -> MessageError:
    """The job's failure as UNKNOWN_PRICES or UNKNOWN_SCHEDULE, with its reason in words."""
    error_class, reason = job_failure_reason(job)
    status = "UNKNOWN_PRICES" if error_class == "MissingPricesError" else "UNKNOWN_SCHEDULE"
    return MessageError(status, f"Scheduling job failed: {reason}")


def _unrecognized_event(event_id: int) -> MessageError:
    return MessageError(
        "UNRECOGNIZED_UDI_EVENT",
        f"The requested UDI event (id = {event_id}) is not known (or its schedule expired).",
    )


def _schedule_now(asset: Asset, event_id: int) -> tuple[datetime, dict[str, Any]]:
    """API v1.2: compute the schedule of the device's latest SOC event now; its start and
    summary."""
    if asset.soc_udi_event_id != event_id or asset.soc_datetime is None:
        raise _unrecognized_event(event_id)
    start, end = planning_window(asset.soc_datetime, asset.event_resolution)
    try:
        summary = make_schedule(asset.id, start, end, asset.soc_in_mwh or 0.0)
    except MissingPricesError as exc:
        raise MessageError("UNKNOWN_PRICES", f"Missing prices for this time period: {exc}") from exc
    except SchedulingError as exc:
        raise MessageError("UNKNOWN_SCHEDULE", str(exc)) from exc
    return start, summary


def scheduled_values(
    summary: dict[str, Any] | None, resolution: timedelta, duration: timedelta
) -> list[float]:
    """The event's own schedule (MW per step of ``resolution``) as its job returned it, for
    ``duration`` rounded up to whole steps; UNKNOWN_SCHEDULE if the job returned none."""
    power = (summary or {}).get("power")
    if not isinstance(power, list):
        raise MessageError(
            "UNKNOWN_SCHEDULE",
            "No known schedule for this event: its scheduling job did not return the "
            "schedule's values (it ran before this server was updated). Post a new UDI event.",
        )
    return power[: math.ceil(duration / resolution)]
