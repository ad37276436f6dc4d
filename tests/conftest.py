"""Test fixtures: one PostgreSQL schema per session (built by the migrations), one rolled-back
transaction per test, and Redis on 127.0.0.1 for the job queues.

Databases: SQLALCHEMY_TEST_DATABASE_URI (default: the seed's flexmeasures_test database on
127.0.0.1) and FLEXMEASURES_TEST_REDIS_URL (default: redis://127.0.0.1:6379/15).
`ci/start-services.sh` starts both services and creates the database. Under pytest-xdist
(`make test` runs two workers) each worker gets a database and a Redis database of its own
(tests/worker_resources.py).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask, g, has_app_context
from flask.testing import FlaskClient
from sqlalchemy import text
from werkzeug.test import TestResponse

from flexmeasures.app import create_app
from flexmeasures.config import DEFAULT_TEST_DATABASE_URI
from flexmeasures.data import db as _db
from tests.worker_resources import database_for_worker, redis_for_worker

TEST_REDIS_URL = redis_for_worker(
    os.environ.get("FLEXMEASURES_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
)
TEST_DATABASE_URI = database_for_worker(
    os.environ.get("SQLALCHEMY_TEST_DATABASE_URI", DEFAULT_TEST_DATABASE_URI)
)
TEST_PASSWORD = "testing-password"


def pytest_configure(config: pytest.Config) -> None:
    """Under pytest-xdist (``make test``: ``-n 2 --dist loadfile``) hand out the test files
    in the order ``pytest_collection_modifyitems`` gives, not by number of tests: that order
    starts the long end-to-end files, which have few tests, last, and the run then waits for
    one worker while the other has nothing left to do."""
    if hasattr(config.option, "loadscopereorder"):
        config.option.loadscopereorder = False


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Test files with slow tests first (each file's tests, and the other files, keep their
    order): the longest work starts at once and the short tests fill in around it."""
    slow_files = {item.path for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.path not in slow_files)


def _check_is_test_database(uri: str) -> None:
    """Refuse to wipe a database whose name does not say it is for tests."""
    name = uri.rsplit("/", 1)[-1].split("?")[0]
    if "test" not in name:
        pytest.exit(f"Refusing to run tests against database '{name}' (no 'test' in its name).")


@pytest.fixture(scope="session")
def app() -> Iterator[Flask]:
    """The app in the testing environment, with a freshly migrated schema."""
    _check_is_test_database(TEST_DATABASE_URI)
    app = create_app(
        "testing",
        settings={
            "SQLALCHEMY_DATABASE_URI": TEST_DATABASE_URI,
            "FLEXMEASURES_REDIS_URL": TEST_REDIS_URL,
            "SERVER_NAME": "localhost",
        },
    )
    with app.app_context():
        _reset_schema()
        from flask_migrate import upgrade

        upgrade()
    yield app


def _reset_schema(schema: str = "public") -> None:
    """Drop everything in the schema (creating it if needed), so the migrations build it
    from scratch."""
    with _db.engine.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        connection.execute(text(f"CREATE SCHEMA {schema}"))


@pytest.fixture
def db(app: Flask):
    """The database, inside a transaction that is rolled back after the test.

    Commits made by the code under test only release savepoints of that transaction.
    """
    with app.app_context():
        connection = _db.engine.connect()
        outer_transaction = connection.begin()
        _db.session.remove()
        _db.session.configure(bind=connection, join_transaction_mode="create_savepoint")
        try:
            yield _db
        finally:
            _db.session.remove()
            _db.session.configure(bind=None, join_transaction_mode="conditional_savepoint")
            outer_transaction.rollback()
            connection.close()


class FreshGlobalsClient(FlaskClient):
    """A test client whose every request starts with an empty ``flask.g``, as in production.

    The test's own ``g`` is put back after the request.
    """

    def open(
        self, *args: Any, buffered: bool = False, follow_redirects: bool = False, **kwargs: Any
    ) -> TestResponse:
        """Send a request with an empty ``g``; restore the test's ``g`` afterwards."""
        kwargs.update(buffered=buffered, follow_redirects=follow_redirects)
        if not has_app_context():
            return super().open(*args, **kwargs)
        saved = dict(vars(g))
        vars(g).clear()
        try:
            return super().open(*args, **kwargs)
        finally:
            vars(g).clear()
            vars(g).update(saved)


@pytest.fixture
def client(app: Flask, db) -> FlaskClient:
    """A test client whose requests share the test's transaction but not its ``g``.

    The ``db`` fixture keeps an app context open for the whole test, and Flask reuses an
    open app context for requests, so ``g`` (where Flask-Login caches the current user)
    would leak from one request into the next; ``FreshGlobalsClient`` prevents that.
    """
    return FreshGlobalsClient(app, app.response_class, use_cookies=True)


@pytest.fixture
def queues(app: Flask, db):
    """The app's RQ queues on the test Redis, emptied before and after the test."""
    app.redis_connection.flushdb()
    yield app.queues
    app.redis_connection.flushdb()


@pytest.fixture
def structure(db):
    """The standard structure (asset, market and weather sensor types, epex_da market)."""
    from flexmeasures.data.services.structure import add_default_structure

    add_default_structure()
    db.session.flush()


@pytest.fixture
def users(db):
    """An admin, a Prosumer, a second Prosumer and an MDC user, each with TEST_PASSWORD."""
    from flexmeasures.data.services.users import create_user

    made = {
        "admin": create_user("admin@seita.nl", TEST_PASSWORD, "admin", roles=["admin"]),
        "prosumer": create_user("prosumer@seita.nl", TEST_PASSWORD, "prosumer", ["Prosumer"]),
        "other_prosumer": create_user(
            "other-prosumer@seita.nl", TEST_PASSWORD, "other_prosumer", ["Prosumer"]
        ),
        "mdc": create_user("mdc@seita.nl", TEST_PASSWORD, "mdc", roles=["MDC"]),
    }
    db.session.flush()
    return made
