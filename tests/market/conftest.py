"""Fixtures for the marketplace's API tests: traders with tokens."""

from __future__ import annotations

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
