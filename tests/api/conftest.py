"""Fixtures for API tests: a test client with a fresh ``flask.g`` per request, and tokens.

Why a fresh ``g``: the ``db`` fixture keeps an app context open for the whole test, and
Flask reuses an open app context for requests, so ``g`` (where Flask-Login caches the
current user) would leak from one request into the next: a token sent in a second request
would be ignored in favour of the first request's user. In production every request has
its own app context; ``FreshGlobalsClient`` restores that.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask, g, has_app_context
from flask.testing import FlaskClient

from .auth_routes import get_token


class FreshGlobalsClient(FlaskClient):
    """A test client whose every request starts with an empty ``flask.g``, as in production.

    The test's own ``g`` is put back after the request.
    """

    def open(self, *args: Any, **kwargs: Any):  # type: ignore[override]
        """Send a request with an empty ``g``; restore the test's ``g`` afterwards."""
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
    """A test client whose requests share the test's transaction but not its ``g``."""
    return FreshGlobalsClient(app, app.response_class, use_cookies=True)


@pytest.fixture
def tokens(client: FlaskClient, users) -> dict[str, str]:
    """A fresh token for every user of the ``users`` fixture, by the same keys."""
    return {key: get_token(client, user.email) for key, user in users.items()}
