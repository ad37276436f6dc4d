"""The world the examples of the API reference (documentation/api/*.md) run in.

Every page of the reference runs in a world of its own: the users, market, weather sensor
and assets below, with the fixed ids the examples use, inside one database transaction
that is rolled back after the page. The examples of a page run in file order and share
that world, so a GET can read what a POST before it stored.

The world (documentation/api/introduction.md, "The examples on these pages", describes it
to readers; a test checks that description):

- roles 1 admin, 2 Prosumer, 3 MDC, 4 Supplier;
- users 1 Test Prosumer, 2 Test Admin, 3 Test MDC, 4 Test Supplier, 5 Other Prosumer and
  6 Former Prosumer (deactivated), all with the password WORLD_PASSWORD;
- sensor 1: the market epex_da (EUR/MWh, hourly); sensor 2: a temperature sensor (°C,
  15 minutes) at 33.4843866, 126.477859;
- assets 3, 4, 5: charging stations "CS 1", "CS 2", "CS 3" of user 1 (15 minutes, MW);
  asset 6: the battery "Test battery" of user 1; asset 7: the solar panel "Solar 1" of
  user 5;
- new rows get ids from FIRST_FREE_ID on (e.g. an asset posted to /api/v2_0/assets);
- settings: FLEXMEASURES_TASK_CHECK_AUTH_TOKEN is TASK_CHECK_TOKEN, and the backup folder
  FLEXMEASURES_DB_BACKUP_PATH holds the backup ``demo_v0`` of the world (no time series).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_security.utils import hash_password
from sqlalchemy import text

from flexmeasures.app import create_app
from flexmeasures.data import db as _db
from flexmeasures.data.models import (
    Account,
    Asset,
    DataSource,
    Market,
    MarketType,
    Role,
    User,
    WeatherSensor,
)
from flexmeasures.data.services.backup import save_backup
from flexmeasures.data.services.structure import (
    DUMMY_MARKET,
    MARKET_TYPES,
    add_default_structure,
)
from tests.conftest import TEST_PASSWORD, FreshGlobalsClient

WORLD_PASSWORD = TEST_PASSWORD
TASK_CHECK_TOKEN = "task-check-secret"
FIRST_FREE_ID = 10
QUARTER_HOUR = timedelta(minutes=15)

ROLES = {1: "admin", 2: "Prosumer", 3: "MDC", 4: "Supplier"}
# id: (key in examples, username, email, role ids, active)
USERS = {
    1: ("prosumer", "Test Prosumer", "test_prosumer@seita.nl", [2], True),
    2: ("admin", "Test Admin", "test_admin@seita.nl", [1], True),
    3: ("mdc", "Test MDC", "test_mdc@seita.nl", [3], True),
    4: ("supplier", "Test Supplier", "test_supplier@seita.nl", [4], True),
    5: ("other-prosumer", "Other Prosumer", "other_prosumer@seita.nl", [2], True),
    6: ("former-prosumer", "Former Prosumer", "former_prosumer@seita.nl", [2], False),
}
# id: (name, asset type, owner id, extra fields); 400 MW unless given (the seed posts 306.66 MW)
ASSETS: dict[int, tuple[str, str, int, dict[str, Any]]] = {
    3: ("CS 1", "charging_station", 1, {}),
    4: ("CS 2", "charging_station", 1, {}),
    5: ("CS 3", "charging_station", 1, {}),
    6: (
        "Test battery",
        "battery",
        1,
        {"capacity_in_mw": 2, "min_soc_in_mwh": 0, "max_soc_in_mwh": 5},
    ),
    7: ("Solar 1", "solar", 5, {"capacity_in_mw": 0.5}),
}
WEATHER_SENSOR_ID = 2
WEATHER_SENSOR_LOCATION = (33.4843866, 126.477859)
# Tables whose ids the examples show, with the sequences that number new rows.
ID_SEQUENCES = {
    "role": "role_id_seq",
    "fm_user": "fm_user_id_seq",
    "account": "account_id_seq",
    "sensor": "sensor_id_seq",
    "data_source": "data_source_id_seq",
}


@dataclass
class PageWorld:
    """What the examples of one page run with: the app, a client and a token per user key
    (``task-checker`` is FLEXMEASURES_TASK_CHECK_AUTH_TOKEN)."""

    app: Flask
    client: FlaskClient
    tokens: dict[str, str]


@functools.cache
def app_in_mode(database_uri: str, redis_url: str, mode: str) -> Flask:
    """A testing app on this database and Redis in this FLEXMEASURES_MODE (one per run)."""
    return create_app(
        "testing",
        settings={
            "SQLALCHEMY_DATABASE_URI": database_uri,
            "FLEXMEASURES_REDIS_URL": redis_url,
            "FLEXMEASURES_MODE": mode,
            "SERVER_NAME": "localhost",
        },
    )


def check_ids_are_free() -> None:
    """Fail clearly if rows with the world's ids were committed to the test database."""
    for table in ID_SEQUENCES:
        taken = _db.session.scalar(
            text(f"SELECT count(*) FROM {table} WHERE id < :first"), {"first": FIRST_FREE_ID}
        )
        if taken:
            pytest.fail(
                f"The test database holds committed rows in {table} with ids below "
                f"{FIRST_FREE_ID}; the documentation's world needs those ids."
            )


def add_users() -> dict[int, User]:
    """The roles and users of the world, each user with their data source (same id)."""
    roles = {id_: Role(id=id_, name=name) for id_, name in ROLES.items()}
    _db.session.add_all(roles.values())
    users = {}
    for id_, (_, username, email, role_ids, active) in USERS.items():
        users[id_] = User(
            id=id_,
            username=username,
            email=email,
            password=hash_password(WORLD_PASSWORD),
            active=active,
            fs_uniquifier=f"documentation-world-user-{id_}",
            timezone="Europe/Amsterdam",
            roles=[roles[r] for r in role_ids],
            account=Account(id=id_, name=username),
        )
        _db.session.add(DataSource(id=id_, name=username, type="user", user=users[id_]))
    _db.session.add_all(users.values())
    _db.session.flush()
    return users


def add_sensors() -> None:
    """The market epex_da (id 1), the temperature sensor (id 2) and the assets (3 to 7)."""
    _db.session.add(MarketType(name="day_ahead", **MARKET_TYPES["day_ahead"]))
    _db.session.add(Market(id=1, **DUMMY_MARKET))
    _db.session.flush()
    add_default_structure()
    latitude, longitude = WEATHER_SENSOR_LOCATION
    _db.session.add(
        WeatherSensor(
            id=WEATHER_SENSOR_ID,
            name="temperature-jeju",
            display_name="Temperature in Jeju",
            weather_sensor_type_name="temperature",
            latitude=latitude,
            longitude=longitude,
            unit="°C",
            event_resolution=QUARTER_HOUR,
            timezone="Asia/Seoul",
        )
    )
    for id_, (name, type_name, owner_id, extra) in ASSETS.items():
        fields = {"capacity_in_mw": 400.0, "latitude": 52.37, "longitude": 4.89, **extra}
        _db.session.add(
            Asset(
                id=id_,
                name=name,
                display_name=name,
                asset_type_name=type_name,
                owner_id=owner_id,
                market_id=1,
                unit="MW",
                event_resolution=QUARTER_HOUR,
                timezone="Europe/Amsterdam",
                **fields,
            )
        )
    _db.session.flush()


def number_new_rows_from_first_free_id() -> None:
    """Let new rows get ids from FIRST_FREE_ID on (or after the highest id, if higher)."""
    for table, sequence in ID_SEQUENCES.items():
        highest = _db.session.scalar(text(f"SELECT max(id) FROM {table}")) or 0
        _db.session.execute(
            text("SELECT setval(:sequence, :value)"),
            {"sequence": sequence, "value": max(highest, FIRST_FREE_ID - 1)},
        )


def build_world() -> dict[int, User]:
    """Add the whole world (see the module doc) to the session; return the users."""
    check_ids_are_free()
    users = add_users()
    number_new_rows_from_first_free_id()
    add_sensors()
    number_new_rows_from_first_free_id()
    return users


def world_tokens(users: dict[int, User]) -> dict[str, str]:
    """An auth token per user key of the examples, and the task-check token."""
    tokens = {USERS[id_][0]: user.get_auth_token() for id_, user in users.items()}
    tokens["task-checker"] = TASK_CHECK_TOKEN
    return tokens


def page_settings(tmp_path: Path) -> dict[str, Any]:
    """Settings the examples assume (ops.md and simulation.md say so)."""
    return {
        "FLEXMEASURES_TASK_CHECK_AUTH_TOKEN": TASK_CHECK_TOKEN,
        "FLEXMEASURES_DB_BACKUP_PATH": str(tmp_path / "backups"),
    }


def app_for_page(app: Flask, mode: str) -> Flask:
    """The session's app, or its twin in another FLEXMEASURES_MODE (same database)."""
    if not mode:
        return app
    config = app.config
    return app_in_mode(config["SQLALCHEMY_DATABASE_URI"], config["FLEXMEASURES_REDIS_URL"], mode)


@contextmanager
def world_in_transaction(app: Flask) -> Iterator[dict[int, User]]:
    """Build the world inside a transaction that is rolled back on leaving.

    As with the ``db`` fixture of tests/conftest.py, commits of the code under test only
    release savepoints of this transaction.
    """
    with app.app_context():
        connection = _db.engine.connect()
        transaction = connection.begin()
        _db.session.remove()
        _db.session.configure(bind=connection, join_transaction_mode="create_savepoint")
        try:
            yield build_world()
        finally:
            _db.session.remove()
            _db.session.configure(bind=None, join_transaction_mode="conditional_savepoint")
            transaction.rollback()
            connection.close()


@pytest.fixture(scope="class")
def page_world(request, app: Flask, tmp_path_factory) -> Iterator[PageWorld]:
    """The world for the examples of the test class's page, in the class's ``mode``.

    One transaction for the whole page, rolled back afterwards, and empty job queues.
    """
    page_app = app_for_page(app, getattr(request.cls, "mode", ""))
    settings = page_settings(tmp_path_factory.mktemp("page"))
    saved = {key: page_app.config.get(key) for key in settings}
    page_app.config.update(settings)
    page_app.redis_connection.flushdb()
    try:
        with world_in_transaction(page_app) as users:
            save_backup("demo_v0", data=False)
            client = FreshGlobalsClient(page_app, page_app.response_class, use_cookies=False)
            yield PageWorld(page_app, client, world_tokens(users))
    finally:
        page_app.config.update(saved)
        page_app.redis_connection.flushdb()
