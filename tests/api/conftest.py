"""Fixtures for API tests: tokens for the test users (the ``client`` fixture, with a fresh
``flask.g`` per request, comes from tests/conftest.py)."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from .auth_routes import get_token


@pytest.fixture
def tokens(client: FlaskClient, users) -> dict[str, str]:
    """A fresh token for every user of the ``users`` fixture, by the same keys."""
    return {key: get_token(client, user.email) for key, user in users.items()}
