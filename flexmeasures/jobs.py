"""Job queues: RQ on Redis when one is configured and reachable, in-process otherwise.

Queues are named ``forecasting`` and ``scheduling``. With ``FLEXMEASURES_REDIS_URL`` set (and
the server answering), jobs go to Redis and ``flexmeasures jobs run-worker`` processes them,
on any machine that shares the Redis and the database. Without it (the embedded default),
RQ runs each job synchronously in the enqueuing process, against an in-memory Redis
(fakeredis), so job ids, statuses and results look the same to the rest of the app.

Enqueue only after the data a job needs has been committed (see ``enqueue``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Flask, current_app
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, SimpleWorker
from rq.job import Job

QUEUE_NAMES = ("forecasting", "scheduling")

# Where ``init_queues`` keeps the app's Redis connection and queues, in ``app.extensions``.
EXTENSION_KEY = "flexmeasures.jobs"


class QueueError(Exception):
    """A queue could not be used; the message says why."""


def redis_connection_from_config(config: dict[str, Any]) -> Redis | None:
    """Connect to the configured Redis, or return None when none is configured.

    ``FLEXMEASURES_REDIS_URL`` may be a host name (the seed's form, with
    ``FLEXMEASURES_REDIS_PORT``, ``..._DB_NR`` and ``..._PASSWORD``) or a ``redis://`` URL.
    """
    url = config.get("FLEXMEASURES_REDIS_URL")
    if not url:
        return None
    if "://" in url:
        return Redis.from_url(url, socket_connect_timeout=2)
    return Redis(
        host=url,
        port=int(config.get("FLEXMEASURES_REDIS_PORT", 6379)),
        db=int(config.get("FLEXMEASURES_REDIS_DB_NR", 0)),
        password=config.get("FLEXMEASURES_REDIS_PASSWORD"),
        socket_connect_timeout=2,
    )


def init_queues(app: Flask) -> None:
    """Create the app's queues (see ``queues``): on Redis if reachable, else in-process.

    They are kept in ``app.extensions`` (read them with ``redis_connection`` and ``queues``);
    the older attributes ``app.redis_connection`` and ``app.queues`` point at the same objects.
    """
    connection = redis_connection_from_config(app.config)
    is_async = connection is not None and _answers(connection, app)
    if not is_async:
        from fakeredis import FakeStrictRedis

        connection = FakeStrictRedis()
    app_queues = {
        name: Queue(name, connection=connection, is_async=is_async) for name in QUEUE_NAMES
    }
    app.extensions[EXTENSION_KEY] = {"redis_connection": connection, "queues": app_queues}
    vars(app).update(redis_connection=connection, queues=app_queues)


def redis_connection(app: Flask | None = None) -> Redis:
    """The Redis connection of the app (default: the current app) that its queues use.

    That is fakeredis when jobs run in-process. Raises QueueError before ``init_queues``.
    """
    state = (app or current_app).extensions.get(EXTENSION_KEY)
    if state is None:
        raise QueueError("The job queues are not set up; call init_queues(app) first.")
    return state["redis_connection"]


def queues(app: Flask | None = None) -> dict[str, Queue]:
    """The queues of the app (default: the current app) by name; empty before ``init_queues``."""
    state = (app or current_app).extensions.get(EXTENSION_KEY)
    return {} if state is None else state["queues"]


def current_app_object() -> Flask:
    """The app behind ``flask.current_app`` (not the proxy), to keep beyond the app context."""
    return current_app.app_context().app


def _answers(connection: Redis, app: Flask) -> bool:
    """True if the Redis server answers a ping; logs a warning when it does not."""
    try:
        return bool(connection.ping())
    except RedisError as exc:
        app.logger.warning(
            f"Redis at {app.config.get('FLEXMEASURES_REDIS_URL')} does not answer ({exc}); "
            "jobs will run in-process."
        )
        return False


def get_queue(name: str) -> Queue:
    """Return the named queue of the current app, or raise QueueError naming the valid ones."""
    app_queues = queues()
    if name not in app_queues:
        raise QueueError(f"Unknown queue '{name}'; choose one of: {', '.join(QUEUE_NAMES)}.")
    return app_queues[name]


def queues_are_async(app: Flask | None = None) -> bool:
    """True if jobs go to Redis for workers; False if they run in-process."""
    return any(queue.is_async for queue in queues(app).values())


def enqueue(queue_name: str, func: Any, *args: Any, **kwargs: Any):
    """Put a job on a queue and return the RQ job (finished already when run in-process).

    Call this after committing the data the job reads: a worker on another machine only
    sees committed data.
    """
    return get_queue(queue_name).enqueue(func, *args, **kwargs)


def parse_queue_names(names: Iterable[str]) -> list[str]:
    """Split queue names given as ``a``, ``b`` or ``a|b`` into a list without repetitions.

    Raises QueueError naming the valid queues for an unknown name or when none is given.
    """
    parsed: list[str] = []
    for part in (p.strip() for name in names for p in name.split("|")):
        if part not in QUEUE_NAMES:
            raise QueueError(f"Unknown queue '{part}'; choose one of: {', '.join(QUEUE_NAMES)}.")
        if part not in parsed:
            parsed.append(part)
    if not parsed:
        raise QueueError(f"No queue given; choose one or more of: {', '.join(QUEUE_NAMES)}.")
    return parsed


def check_queues_are_async(command: str) -> None:
    """Raise QueueError if jobs run in-process: then there is no Redis queue to work on."""
    if queues_are_async():
        return
    configured = current_app.config.get("FLEXMEASURES_REDIS_URL")
    if configured:
        raise QueueError(
            f"{command} needs Redis, but the Redis at FLEXMEASURES_REDIS_URL ({configured}) does "
            "not answer; start it or correct the setting."
        )
    raise QueueError(
        f"{command} needs Redis: set FLEXMEASURES_REDIS_URL (e.g. redis://localhost:6379/0) "
        "to a reachable Redis server. Without it, jobs run in-process when they are queued, "
        "so there is no queue to work on."
    )


class AppContextWorker(SimpleWorker):
    """An RQ worker that performs each job in a fresh app context, in the worker's own process.

    Why not rq's default forking ``Worker``: forking per job costs a process start for every
    job and hands the parent's pooled database connections to the child. Here, each job gets
    its own app context and with it its own database session, which is closed (and rolled
    back if not committed) when the job ends, whether it succeeded or failed. Job timeouts
    still apply (rq stops an overrunning job with SIGALRM); a job that crashes the Python
    process takes the worker with it, so run workers under a supervisor that restarts them.
    """

    def __init__(self, *args: Any, app: Flask | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.app = app

    def execute_job(self, job: Job, queue: Queue) -> None:
        """Perform the job inside a fresh app context of the worker's app."""
        with (self.app or current_app).app_context():
            super().execute_job(job, queue)


def make_worker(queue_names: list[str], name: str | None = None) -> AppContextWorker:
    """Create a worker for the named queues of the current app (which must use Redis)."""
    worker_queues = [get_queue(queue_name) for queue_name in queue_names]
    app = current_app_object()
    return AppContextWorker(worker_queues, name=name, connection=redis_connection(app), app=app)


def clear_queue(name: str, failed: bool = False) -> tuple[int, int]:
    """Remove every waiting job of a queue (and, if ``failed``, its failed jobs).

    Returns the numbers of waiting and failed jobs removed.
    """
    queue = get_queue(name)
    removed_waiting = int(queue.empty() or 0)
    removed_failed = 0
    if failed:
        registry = queue.failed_job_registry
        for job_id in registry.get_job_ids():
            registry.remove(job_id, delete_job=True)
            removed_failed += 1
    return removed_waiting, removed_failed
