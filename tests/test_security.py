"""Password hashing and the pieces of the security set-up that work without the API."""

from __future__ import annotations

import pytest
from flask_security.utils import hash_password, verify_password

from flexmeasures.config import Config
from flexmeasures.security import BearerTokenMiddleware, is_api_request
from tests.conftest import TEST_PASSWORD


def test_stored_password_is_a_bcrypt_hash_that_verifies(users):
    stored = users["prosumer"].password
    assert Config.SECURITY_PASSWORD_HASH == "bcrypt"
    assert stored.startswith("$2b$04$")  # bcrypt, with the test config's lowered rounds
    assert TEST_PASSWORD not in stored
    assert users["prosumer"].verify_and_update_password(TEST_PASSWORD)
    assert not users["prosumer"].verify_and_update_password(TEST_PASSWORD + "!")


def test_equal_passwords_get_different_hashes(users):
    assert users["prosumer"].password != users["mdc"].password


def test_passwords_longer_than_72_bytes_count_in_full(db):
    # bcrypt itself only reads 72 bytes; Flask-Security hashes the password with HMAC first.
    hashed = hash_password("x" * 80 + "tail")
    assert verify_password("x" * 80 + "tail", hashed)
    assert not verify_password("x" * 80 + "other", hashed)


def test_production_keeps_the_default_bcrypt_rounds():
    assert not hasattr(Config, "SECURITY_PASSWORD_HASH_OPTIONS")


def _echo_header_app(environ, start_response):
    """A WSGI app answering with the Authorization header it received."""
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [environ.get("HTTP_AUTHORIZATION", "").encode()]


@pytest.mark.parametrize(
    "sent, received",
    [
        ("Bearer abc.def", "abc.def"),
        ("bearer   abc.def ", "abc.def"),
        ("abc.def", "abc.def"),
        ("Basic dXNlcjpwYXNz", "Basic dXNlcjpwYXNz"),
        ("", ""),
    ],
)
def test_bearer_middleware_leaves_a_bare_token(sent, received):
    middleware = BearerTokenMiddleware(_echo_header_app, "Authorization")
    body = middleware({"HTTP_AUTHORIZATION": sent}, lambda status, headers: None)
    assert b"".join(body).decode() == received


def test_bearer_middleware_uses_the_configured_header():
    middleware = BearerTokenMiddleware(_echo_header_app, "Authentication-Token")
    assert middleware.environ_key == "HTTP_AUTHENTICATION_TOKEN"


@pytest.mark.parametrize(
    "path, expected",
    [
        ("/api", True),
        ("/api/", True),
        ("/api/v1_3/getMeterData", True),
        ("/apiary", False),
        ("/", False),
        ("/login", False),
    ],
)
def test_api_paths_are_recognised(app, path, expected):
    with app.test_request_context(path):
        assert is_api_request() is expected
