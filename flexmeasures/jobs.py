"""Job queues: RQ on Redis when one is configured and reachable, in-process otherwise.

Queues are named ``forecasting`` and ``scheduling``. With ``FLEXMEASURES_REDIS_URL`` set (and
the server answering), jobs go to Redis and ``flexmeasures jobs run-worker`` processes them,
on any machine that shares the Redis and the database. Without it (the embedded default),
RQ runs each job synchronously in the enqueuing process, against an in-memory Redis
(fakeredis), so job ids, statuses and results look the same to the rest of the app.

Enqueue only after the data a job needs has been committed (see ``enqueue``).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue

QUEUE_NAMES = ("forecasting", "scheduling")


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
        return Redis.from_url(url)
    return Redis(
        host=url,
        port=int(config.get("FLEXMEASURES_REDIS_PORT", 6379)),
        db=int(config.get("FLEXMEASURES_REDIS_DB_NR", 0)),
        password=config.get("FLEXMEASURES_REDIS_PASSWORD"),
        socket_connect_timeout=2,
    )


def init_queues(app: Flask) -> None:
    """Create the app's queues (``app.queues``): on Redis if reachable, else in-process."""
    connection = redis_connection_from_config(app.config)
    is_async = connection is not None and _answers(connection, app)
    if not is_async:
        from fakeredis import FakeStrictRedis

        connection = FakeStrictRedis()
    app.redis_connection = connection  # type: ignore[attr-defined]
    app.queues = {  # type: ignore[attr-defined]
        name: Queue(name, connection=connection, is_async=is_async) for name in QUEUE_NAMES
    }


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
    queues = getattr(current_app, "queues", {})
    if name not in queues:
        raise QueueError(f"Unknown queue '{name}'; choose one of: {', '.join(QUEUE_NAMES)}.")
    return queues[name]


def queues_are_async(app: Flask | None = None) -> bool:
    """True if jobs go to Redis for workers; False if they run in-process."""
    app = app or current_app
    return any(queue.is_async for queue in app.queues.values())  # type: ignore[attr-defined]


def enqueue(queue_name: str, func: Any, *args: Any, **kwargs: Any):
    """Put a job on a queue and return the RQ job (finished already when run in-process).

    Call this after committing the data the job reads: a worker on another machine only
    sees committed data.
    """
    return get_queue(queue_name).enqueue(func, *args, **kwargs)
