"""Fixtures for the marketplace's API tests: traders with tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask.testing import FlaskClient

from tests.conftest import TEST_PASSWORD

TOKEN_URL = "/auth/oauth/v2/token"
CLIENT_ID = "glocalflexmarket_public_api"


def password_grant(client: FlaskClient, username: str, password: str = TEST_PASSWORD):
    """POST the password grant (form-encoded, as the seed's examples do)."""
    return client.post(
        TOKEN_URL,
        data={
            "client_id": CLIENT_ID,
            "grant_type": "password",
            "username": username,
            "password": password,
        },
    )


@pytest.fixture
def traders(db):
    """Two traders (seller and buyer), an admin and a Prosumer who may not trade."""
    from flexmeasures.data.services.users import create_user

    made = {
        "seller": create_user("seller@market.example.com", TEST_PASSWORD, "seller", ["trader"]),
        "buyer": create_user("buyer@market.example.com", TEST_PASSWORD, "buyer", ["trader"]),
        "admin": create_user("admin@market.example.com", TEST_PASSWORD, "market_admin", ["admin"]),
        "prosumer": create_user("pro@market.example.com", TEST_PASSWORD, "pro", ["Prosumer"]),
    }
    db.session.flush()
    return made


@pytest.fixture
def auth(client: FlaskClient, traders) -> dict[str, dict[str, str]]:
    """Authorization headers (Bearer access token) per user of ``traders``."""
    headers = {}
    for key, user in traders.items():
        token = password_grant(client, user.username).get_json()["access_token"]
        headers[key] = {"Authorization": f"Bearer {token}"}
    return headers


NOW = datetime(2030, 1, 7, 8, 0, tzinfo=UTC)  # the market's clock in these tests (a Monday)


@pytest.fixture
def clock(monkeypatch) -> dict[str, datetime]:
    """The market's clock, frozen at NOW; set ``clock["now"]`` to move it."""
    current = {"now": NOW}
    monkeypatch.setattr("flexmeasures.market.service.utc_now", lambda: current["now"])
    return current


def at(hours: float) -> str:
    """A time ``hours`` after NOW, as the API writes it."""
    return (NOW + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")


def order_body(side: str = "buy", **changes) -> dict:
    """An order in the seed's shape: 1000 W from NOW+2h to NOW+3h, expiring at NOW+1h, in
    CZ; sells come with a baseline of 0.25 kWh per quarter hour."""
    body = {
        "side": side,
        "power": 1000,
        "price": 0.1,
        "delivery_start": at(2),
        "delivery_end": at(3),
        "expiry_time": at(1),
        "location": {"location_id": ["some_id"], "country_code": "CZ"},
    }
    if side == "sell":
        body["baseline"] = meter_data([0.25] * 4, start_hours=2)
    body.update(changes)
    return body


def meter_data(values: list[float], start_hours: float = 2) -> dict:
    """A meter data object: one value (kWh) per quarter hour from NOW+start_hours, each
    stamped with the end of its quarter hour."""
    start = NOW + timedelta(hours=start_hours)
    points = [
        {
            "timestamp": (start + timedelta(minutes=15 * (i + 1))).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "value": value,
        }
        for i, value in enumerate(values)
    ]
    return {
        "metering_id": "ce15bc33-2bda-4d26-8ddd-b958b22b569b",
        "created_at": at(0),
        "reading_start": points[0]["timestamp"],
        "reading_end": points[-1]["timestamp"],
        "resolution": 900,
        "unit_measured": "kWh",
        "data_points": points,
    }


@pytest.fixture(scope="session")
def live_tls_market(tmp_path_factory):
    """One live TLS marketplace server for the stream tests (``live_streams.live_market``:
    its own schema, traders "seller", "buyer" and "viewer"), fanning out through the test
    Redis; shared by the modules that need one, as each costs a migrated schema."""
    from tests.conftest import TEST_DATABASE_URI, TEST_REDIS_URL

    from .live_streams import live_market

    with live_market(TEST_DATABASE_URI, TEST_REDIS_URL, tmp_path_factory.mktemp("tls")) as market:
        yield market
