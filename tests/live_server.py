"""A live FlexMeasures server for end-to-end tests with real HTTP clients (the
FlexMeasures client, a headless browser).

The tests' ``db`` fixture keeps each test in one rolled-back transaction on one
connection, which a server thread cannot share. So the live server gets a PostgreSQL
schema of its own in the test database (``search_path`` set per connection), built by the
migrations and filled with committed data, and dropped again afterwards. The app is served
by werkzeug in a thread on a free port of 127.0.0.1 (over TLS when given an
``ssl_context``); with Redis, jobs go to the test Redis, where a
``flexmeasures jobs run-worker`` process (the real worker) picks them up.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import create_engine, text
from werkzeug.serving import make_server

from flexmeasures.app import create_app
from flexmeasures.data import db
from tests.conftest import _check_is_test_database

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class LiveServer:
    """A running server: its app (for setting up data), where it listens and whether it
    speaks TLS."""

    app: Flask
    host: str
    port: int
    tls: bool = False

    @property
    def address(self) -> str:
        """``host:port``, as the FlexMeasures client takes it."""
        return f"{self.host}:{self.port}"

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:5123``."""
        return f"{'https' if self.tls else 'http'}://{self.address}"


def engine_options(schema: str) -> dict[str, Any]:
    """SQLALCHEMY_ENGINE_OPTIONS whose connections use the schema (and UTC, as default)."""
    return {
        "pool_pre_ping": True,
        "connect_args": {"options": f"-c timezone=utc -c search_path={schema}"},
    }


def recreate_schema(database_uri: str, schema: str, drop_only: bool = False) -> None:
    """Drop the schema (with everything in it) and, unless ``drop_only``, create it empty."""
    _check_is_test_database(database_uri)
    engine = create_engine(database_uri)
    try:
        with engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            if not drop_only:
                connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    finally:
        engine.dispose()


def migrated_app(
    uri: str,
    schema: str,
    redis_url: str | None,
    settings: dict[str, Any] | None = None,
    fresh: bool = True,
) -> Flask:
    """A testing app on this database's schema, built by the migrations; jobs go to
    ``redis_url`` (None: they run in-process). ``settings`` override further settings.
    ``fresh``: start from an empty schema; False keeps what is there (a restarted server)."""
    from flask_migrate import upgrade

    if fresh:
        recreate_schema(uri, schema)
    app = create_app(
        "testing",
        settings={
            "SQLALCHEMY_DATABASE_URI": uri,
            "SQLALCHEMY_ENGINE_OPTIONS": engine_options(schema),
            "FLEXMEASURES_REDIS_URL": redis_url,
            **(settings or {}),
        },
    )
    with app.app_context():
        upgrade()
    return app


def serve(app: Flask, ssl_context: Any = None) -> Iterator[LiveServer]:
    """Serve the app in a thread on a free port of 127.0.0.1 until the generator is closed;
    ``ssl_context`` (an ``ssl.SSLContext``, or werkzeug's (cert file, key file) pair)
    makes it serve HTTPS."""
    server = make_server("127.0.0.1", 0, app, threaded=True, ssl_context=ssl_context)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LiveServer(app, "127.0.0.1", server.server_port, tls=ssl_context is not None)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        with app.app_context():
            db.engine.dispose()


CLI = [sys.executable, "-c", "from flexmeasures.cli import main; main()"]


def process_env(uri: str, schema: str, redis_url: str | None, **settings: str) -> dict[str, str]:
    """The environment of a FlexMeasures process (a worker, a server) in the testing
    environment on this database's schema and Redis, with more settings if given."""
    return {
        **os.environ,
        "FLEXMEASURES_ENV": "testing",
        "SQLALCHEMY_TEST_DATABASE_URI": uri,
        "SQLALCHEMY_ENGINE_OPTIONS": json.dumps(engine_options(schema)),
        "FLEXMEASURES_REDIS_URL": redis_url or "",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        **settings,
    }


def start_worker(
    uri: str, schema: str, redis_url: str, queue: str = "scheduling"
) -> subprocess.Popen:
    """Start ``flexmeasures jobs run-worker`` for the queue on this database's schema and
    Redis, and wait until it has registered with Redis (at most 60 seconds)."""
    name = f"live-test-{uuid.uuid4().hex[:8]}"
    worker = subprocess.Popen(
        [*CLI, "jobs", "run-worker", "--queue", queue, "--name", name],
        cwd=ROOT,
        env=process_env(uri, schema, redis_url),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _wait_for_worker(name, redis_url, worker)
    return worker


def _wait_for_worker(name: str, redis_url: str, worker: subprocess.Popen) -> None:
    from redis import Redis
    from rq import Worker

    connection = Redis.from_url(redis_url)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and worker.poll() is None:
        if any(w.name == name for w in Worker.all(connection=connection)):
            return
        time.sleep(0.2)
    stop_process(worker)
    raise RuntimeError(f"The worker {name} did not start (exit code {worker.poll()}).")


def stop_process(process: subprocess.Popen, timeout: float = 20) -> None:
    """Stop a process a test started (a worker, a server): terminate it, and kill it if it
    has not ended within ``timeout`` seconds."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
