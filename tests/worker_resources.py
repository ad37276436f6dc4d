"""Databases and Redis databases of their own for each pytest-xdist worker.

`make test` runs the suite in two processes (``pytest -n 2``); each needs a database whose
schema it may drop and rebuild, and a Redis database it may flush. Outside xdist (a plain
``pytest``) the configured names are used as they are.

Worker ``gwN`` uses ``<database>_gwN`` (created on first use; the test user has CREATEDB)
and Redis database ``<db> - N``.
"""

from __future__ import annotations

import os

import psycopg
from sqlalchemy.engine import make_url


def worker_number() -> int | None:
    """The number N of the xdist worker ``gwN`` running this process, or None without xdist."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    return int(worker[2:]) if worker.startswith("gw") else None


def database_for_worker(uri: str) -> str:
    """``uri`` with this worker's own database name, which is created if it does not exist."""
    number = worker_number()
    if number is None:
        return uri
    url = make_url(uri)
    name = f"{url.database}_gw{number}"
    _create_database_if_missing(url, name)
    return url.set(database=name).render_as_string(hide_password=False)


def _create_database_if_missing(url, name: str) -> None:
    """Create database ``name`` on the server of ``url``, connecting to url's own database."""
    if not url.drivername.startswith("postgresql"):
        return
    with psycopg.connect(
        host=url.host,
        port=url.port,
        user=url.username,
        password=url.password,
        dbname=url.database,
        autocommit=True,
    ) as connection:
        found = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        if found.fetchone() is None:
            connection.execute(f'CREATE DATABASE "{name}"')


def redis_for_worker(url: str) -> str:
    """``url`` pointing at this worker's own Redis database (the configured one minus N)."""
    number = worker_number()
    if not number:
        return url
    base, _, db = url.rpartition("/")
    return f"{base}/{int(db or 0) - number}"
