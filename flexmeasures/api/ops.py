"""Operations endpoints at /api/ops: a health check for load balancers, and the latest runs
of recurring tasks for external schedulers and monitors.

- ``GET /api/ops/ping`` (public): 200 when the database answers and its schema is at the
  latest migration (``status`` "ok", or "degraded" when the Redis of the job queues does not
  answer), 503 when the database does not answer or its schema is not up to date.
- ``GET /api/ops/getLatestTaskRun?name=<task>[&max_age=PT1H]`` and
  ``POST /api/ops/postLatestTaskRun`` (JSON ``name``, ``status``, optional ``datetime``):
  for callers that send ``FLEXMEASURES_TASK_CHECK_AUTH_TOKEN`` in the auth token header
  (``Authorization``), and for admins. With ``max_age``, the GET answers 503 when the
  latest run failed or is older than that, so a monitor only has to poll it.
"""

from __future__ import annotations

import hmac
from typing import Any

from flask import Blueprint, Flask, current_app, request
from flask_security import current_user
from marshmallow import Schema, ValidationError, fields, validate
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from flexmeasures.api.common.responses import (
    ResponseTuple,
    response,
    unauthorized,
    unprocessable_entity,
)
from flexmeasures.api.common.schemas.fields import StrictBoolean
from flexmeasures.data import db
from flexmeasures.data.models.task_runs import LatestTaskRun
from flexmeasures.data.schema_state import migrations_directory, schema_problem
from flexmeasures.data.services.task_runs import latest_task_run, record_task_run, task_run_problem
from flexmeasures.jobs import queues_are_async, redis_connection
from flexmeasures.utils.time_utils import TimeParseError, parse_duration

flexmeasures_ops = Blueprint("flexmeasures_api_ops", __name__)

SERVICE_UNAVAILABLE = 503
TASK_CHECK_REFUSED = (
    "Send the task-check token (FLEXMEASURES_TASK_CHECK_AUTH_TOKEN) or an admin's auth token "
    "in the {header} header."
)


def register_ops_at(app: Flask) -> None:
    """Mount the operations endpoints at /api/ops (token-authenticated, so no CSRF)."""
    app.register_blueprint(flexmeasures_ops, url_prefix="/api/ops")
    csrf = app.extensions.get("csrf")
    if csrf:
        csrf.exempt(flexmeasures_ops)


@flexmeasures_ops.route("/ping", methods=["GET"])
def ping() -> ResponseTuple:
    """Health check: can this server reach its database (and the Redis of its queues)?

    Answers ``{"status", "database", "redis"}``: ``database`` is "ok", "unreachable" or
    "outdated" (its schema is not at the latest migration: ``flexmeasures db upgrade``),
    ``redis`` "ok", "unreachable" or "in-process" (no Redis: jobs run in the web process).
    HTTP 200 while the database answers and is up to date, else 503.
    """
    database, problem = _database_status()
    redis = _redis_status()
    body: dict[str, Any] = {"database": database, "redis": redis}
    if problem:
        body.update(status="error", message=problem)
        return body, SERVICE_UNAVAILABLE
    body["status"] = "degraded" if redis == "unreachable" else "ok"
    if redis == "unreachable":
        body["message"] = "Redis does not answer: jobs cannot be queued; see the server log."
    return body, 200


def _database_status() -> tuple[str, str | None]:
    """ "ok" if the database answers and its schema is at the latest migration; else
    "unreachable" or "outdated", with what is wrong (also logged as a warning)."""
    try:
        db.session.execute(text("SELECT 1"))
        problem = schema_problem(db.session.connection(), migrations_directory(current_app))
    except SQLAlchemyError as exc:
        db.session.rollback()
        current_app.logger.warning(f"Health check: the database does not answer ({exc}).")
        return "unreachable", "The database does not answer; see the server log."
    if problem:
        current_app.logger.warning(f"Health check: {problem}")
        return "outdated", problem
    return "ok", None


def _redis_status() -> str:
    """ "in-process" without Redis; else "ok" if it answers a ping, or "unreachable"."""
    if not queues_are_async(current_app):
        return "in-process"
    try:
        redis_connection().ping()
    except RedisError as exc:
        current_app.logger.warning(f"Health check: Redis does not answer ({exc}).")
        return "unreachable"
    return "ok"


def _task_check_refusal() -> ResponseTuple | None:
    """None if the caller sent the task-check token or is an admin; else 401 UNAUTHORIZED."""
    header = current_app.config["SECURITY_TOKEN_AUTHENTICATION_HEADER"]
    if _has_task_check_token(request.headers.get(header)):
        return None
    if current_user.is_authenticated and current_user.is_admin:
        return None
    return unauthorized(TASK_CHECK_REFUSED.format(header=header))


def _has_task_check_token(sent: str | None) -> bool:
    """True if ``sent`` (bare or as ``Bearer <token>``) is the configured task-check token.

    Compared in constant time; never true while no token is configured.
    """
    expected = current_app.config.get("FLEXMEASURES_TASK_CHECK_AUTH_TOKEN")
    if not expected or not sent:
        return False
    sent = sent.strip().removeprefix("Bearer ").strip()
    return hmac.compare_digest(sent.encode(), str(expected).encode())


def task_run_body(run: LatestTaskRun) -> dict[str, Any]:
    """A task run as JSON: its name, ISO 8601 datetime (UTC) and status (true: succeeded)."""
    return {"name": run.name, "datetime": run.datetime.isoformat(), "status": run.status}


@flexmeasures_ops.route("/getLatestTaskRun", methods=["GET"])
def get_latest_task_run() -> ResponseTuple:
    """The latest run of the task named by the ``name`` query parameter.

    404 if the task never reported. With ``max_age`` (an ISO 8601 duration, e.g. PT1H):
    503 with a message when the latest run failed or is older than that (without it, a
    failed run is answered with 200 and ``"status": false``).
    """
    refusal = _task_check_refusal()
    if refusal is not None:
        return refusal
    name = request.args.get("name", "")
    if not name.strip():
        return unprocessable_entity({"name": ["Give the name of the task, e.g. ?name=import"]})
    try:
        max_age = _parse_max_age(request.args.get("max_age"))
    except TimeParseError as exc:
        return unprocessable_entity({"max_age": [str(exc)]})
    run = latest_task_run(name)
    if run is None:
        return response("UNKNOWN_TASK", f"No run of task '{name}' has been recorded.", 404)
    problem = task_run_problem(run, max_age) if max_age is not None else None
    if problem is not None:
        return {**task_run_body(run), "message": problem}, SERVICE_UNAVAILABLE
    return task_run_body(run), 200


def _parse_max_age(text_value: str | None):
    """The ``max_age`` parameter as a positive timedelta (None if not given)."""
    if text_value is None:
        return None
    max_age = parse_duration(text_value)
    if max_age.total_seconds() <= 0:
        raise TimeParseError(f"max_age should be a positive duration, not '{text_value}'.")
    return max_age


class TaskRunSchema(Schema):
    """A reported task run: ``name``, ``status`` (true: succeeded), optional ``datetime``."""

    name = fields.String(
        required=True,
        validate=[
            validate.Length(max=80),
            validate.Regexp(r".*\S", error="Give the name of the task."),
        ],
    )
    status = StrictBoolean(required=True)
    datetime = fields.AwareDateTime(load_default=None)


@flexmeasures_ops.route("/postLatestTaskRun", methods=["POST"])
def post_latest_task_run() -> ResponseTuple:
    """Record the latest run of a task (replacing the previous one) and answer it as stored.

    Takes JSON ``{"name": ..., "status": true|false, "datetime": ISO 8601 (default: now)}``;
    422 with a message per field for anything else.
    """
    refusal = _task_check_refusal()
    if refusal is not None:
        return refusal
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return unprocessable_entity({"_schema": ["Send a JSON object with 'name' and 'status'."]})
    try:
        reported = TaskRunSchema().load(data)
    except ValidationError as error:
        return unprocessable_entity(error.messages_dict)
    run = record_task_run(reported["name"], reported["status"], reported["datetime"])
    body = task_run_body(run)
    db.session.commit()
    return body, 200
