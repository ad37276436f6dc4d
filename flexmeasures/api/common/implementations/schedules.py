"""Schedules and jobs by asset and sensor (API v3_0), on the scheduler and the jobs of
the v1.3 UDI events.

Triggering checks the request as the job would, stores the SOC at start on the asset (as
a UDI event does) and enqueues the job; its id identifies the schedule. Getting the
schedule answers 400 "Scheduling job waiting/in progress" until the job has finished
(the FlexMeasures client retries on those), then the power values (MW, consumption
positive, or ``unit``). Job statuses are RQ's, in capitals (QUEUED, STARTED, FINISHED,
FAILED, ...), answered with 200 (finished), 202 (waiting or running) or 422 (failed).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app
from rq.exceptions import NoSuchJobError
from rq.job import Job

from flexmeasures.api.common.flex_model import StorageFlexModel, invalid, parse_flex_model
from flexmeasures.api.common.implementations.sensor_data import unit_factor
from flexmeasures.api.common.implementations.udi import schedule_message, scheduled_values
from flexmeasures.api.common.messages import (
    MessageError,
    parse_duration_field,
    parse_timestamp_field,
)
from flexmeasures.api.common.responses import ResponseTuple
from flexmeasures.data import db
from flexmeasures.data.models import Asset
from flexmeasures.jobs import redis_connection
from flexmeasures.scheduling.errors import SchedulingError
from flexmeasures.scheduling.jobs import (
    check_schedule_request,
    enqueue_schedule,
    job_failure_reason,
)
from flexmeasures.utils.time_utils import duration_isoformat
from flexmeasures.utils.units import convert_values

TRIGGER_FIELDS = (
    "start",
    "duration",
    "flex-model",
    "flex-context",
    "prior",
    "force-new-job-creation",
)
WAITING_STATUSES = ("queued", "deferred", "scheduled")
UNSUCCESSFUL_STATUSES = ("failed", "stopped", "canceled")


def trigger_schedule(asset: Asset, body: Mapping[str, Any]) -> ResponseTuple:
    """Enqueue the asset's schedule from ``start`` for ``duration`` (default: the planning
    horizon); answer ``{"schedule": <job id>}``."""
    unknown = sorted(set(body) - set(TRIGGER_FIELDS))
    if unknown:
        raise invalid("trigger", f"unknown field(s) {', '.join(unknown)}.")
    start = parse_timestamp_field(body.get("start"), "start").astimezone(UTC)
    duration = (
        parse_duration_field(body["duration"])
        if body.get("duration")
        else current_app.config["FLEXMEASURES_PLANNING_HORIZON"]
    )
    flex = parse_flex_model(
        _device_model(asset, body.get("flex-model")),
        _over_stored(asset.flex_context, body.get("flex-context"), "flex-context"),
    )
    soc = flex.soc_at_start if flex.soc_at_start is not None else asset.soc_in_mwh or 0.0
    end = start + duration
    try:
        check_schedule_request(asset, start, end, soc, flex.soc_targets, flex.settings)
    except SchedulingError as error:
        raise MessageError("UNPROCESSABLE_ENTITY", str(error), 422) from error
    _remember_soc(asset, flex, start)
    db.session.commit()
    job = enqueue_schedule(
        asset.id,
        start,
        end,
        soc,
        flex.soc_targets,
        keep=current_app.config["FLEXMEASURES_PLANNING_TTL"],
        settings=flex.settings,
    )
    return {"schedule": job.id, "message": "Request has been processed."}, 200


def _device_model(asset: Asset, flex_model: Any) -> dict[str, Any]:
    """The one device's flex-model: the request's (one object, or a list of one) over the
    asset's stored flex-model; it must be for the asset's own power sensor."""
    models = flex_model if isinstance(flex_model, list) else [flex_model or {}]
    if len(models) != 1 or not isinstance(models[0], Mapping):
        raise invalid("flex-model", "Give one storage model (this asset is one device).")
    model = _over_stored(asset.flex_model, models[0], "flex-model")
    sensor = model.get("sensor", asset.id)
    if isinstance(sensor, Mapping):
        sensor = sensor.get("sensor")
    if sensor != asset.id:
        raise invalid("sensor", f"Only the asset's own power sensor ({asset.id}) can be scheduled.")
    return model


def _over_stored(stored: str | None, given: Any, field: str) -> dict[str, Any]:
    """The given JSON object's fields over those stored on the asset (as JSON text)."""
    if given is not None and not isinstance(given, Mapping):
        raise invalid(field, "Give a JSON object.")
    return {**json.loads(stored or "{}"), **(given or {})}


def _remember_soc(asset: Asset, flex: StorageFlexModel, start: datetime) -> None:
    """Keep the SOC at start on the asset, as a UDI event does."""
    if flex.soc_at_start is not None:
        asset.soc_in_mwh, asset.soc_datetime = flex.soc_at_start, start


def fetch_job(job_id: str) -> Job:
    """The RQ job with this id (404 UNKNOWN_SCHEDULE if Redis does not know it, also for
    ids that RQ refuses, e.g. with characters other than letters, digits, ``_`` and ``-``:
    no job can have them)."""
    connection = redis_connection()
    try:
        return Job.fetch(job_id, connection=connection)
    except (NoSuchJobError, ValueError) as error:
        raise MessageError(
            "UNKNOWN_SCHEDULE", f"There is no job with id {job_id} (or it expired).", 404
        ) from error


def job_status(job: Job) -> ResponseTuple:
    """The job's ``status`` (e.g. FINISHED), a ``message`` saying what it means, its
    ``result`` and times: 200 when finished, 422 when it failed (or was stopped or
    canceled), 202 while it waits or runs."""
    status = job.get_status()
    state = status.value if status is not None else "unknown"
    body: dict[str, Any] = {
        "status": state.upper(),
        "message": f"The job is {state}.",
        "result": job.return_value() if job.is_finished else None,
        "origin": job.origin,
        "func-name": job.func_name,
        "enqueued-at": _iso(job.enqueued_at),
        "started-at": _iso(job.started_at),
        "ended-at": _iso(job.ended_at),
        "exc-info": None,
    }
    if job.is_finished:
        return body, 200
    if state in UNSUCCESSFUL_STATUSES:
        reason = job_failure_reason(job)[1] if job.is_failed else f"The job was {state}."
        return {**body, "message": f"The job {state}: {reason}", "exc-info": reason}, 422
    return body, 202


def _iso(moment: datetime | None) -> str | None:
    """An RQ time (naive UTC in older RQ versions) as ISO 8601 with its offset."""
    if moment is None:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()


def get_schedule(asset: Asset, job: Job, args: Mapping[str, Any]) -> ResponseTuple:
    """The finished schedule of the job for the asset, from its start for ``duration``
    (default: the scheduled window), in ``unit`` (default MW)."""
    if job.meta.get("asset_id") != asset.id:
        raise MessageError("UNKNOWN_SCHEDULE", f"Job {job.id} did not schedule sensor {asset.id}.")
    _check_finished(job)
    start = datetime.fromisoformat(job.meta["start"])
    duration = _duration(job, start, args.get("duration"))
    unit = args.get("unit") or "MW"
    if unit != "MW":
        unit_factor("MW", unit)
    returned = job.return_value()
    summary = returned if isinstance(returned, dict) else None
    values = scheduled_values(summary, asset.event_resolution, duration)
    return {
        "values": convert_values(values, "MW", unit),
        "start": start.isoformat(),
        "duration": duration_isoformat(len(values) * asset.event_resolution),
        "unit": unit,
        "status": "PROCESSED",
        "message": schedule_message(summary),
    }, 200


def _check_finished(job: Job) -> None:
    """400 while the job waits or runs (the client retries), or with its failure."""
    if job.is_failed:
        raise MessageError(
            "UNKNOWN_SCHEDULE", f"Scheduling job failed: {job_failure_reason(job)[1]}"
        )
    status = job.get_status()
    if job.is_finished:
        return
    if status is not None and status.value in WAITING_STATUSES:
        raise MessageError("UNKNOWN_SCHEDULE", "Scheduling job waiting; try again later.")
    if job.is_started:
        raise MessageError("UNKNOWN_SCHEDULE", "Scheduling job in progress; try again later.")
    raise MessageError("UNKNOWN_SCHEDULE", f"Scheduling job has an unknown status ({status}).")


def _duration(job: Job, start: datetime, text: Any) -> timedelta:
    """The requested duration, at most the scheduled window."""
    window = datetime.fromisoformat(job.meta.get("end", job.meta["start"])) - start
    if not text:
        return window
    return min(parse_duration_field(text), window)
