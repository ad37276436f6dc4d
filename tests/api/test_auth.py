"""Authentication: requesting tokens, using them (bare or Bearer), expiry and invalidation."""

from __future__ import annotations

import pytest
from flask import Flask
from itsdangerous import TimestampSigner

from flexmeasures.api import API_VERSIONS, DEACTIVATED, WRONG_CREDENTIALS
from flexmeasures.data.services.users import (
    InvalidUserError,
    deactivate_user,
    invalidate_tokens,
    reset_password,
)
from tests.conftest import TEST_PASSWORD

from .auth_routes import app_with_test_routes, auth_header, get_token

WHOAMI = "/api/test/whoami"


@pytest.fixture(scope="module")
def app(app: Flask) -> Flask:
    """The session's app's twin, with the test routes."""
    return app_with_test_routes(app)


def token_made_ago(user, seconds: float, monkeypatch) -> str:
    """A token of the user whose signed timestamp lies this many seconds in the past."""
    real_timestamp = TimestampSigner.get_timestamp
    with monkeypatch.context() as patch:
        patch.setattr(TimestampSigner, "get_timestamp", lambda s: real_timestamp(s) - int(seconds))
        return user.get_auth_token()


def test_api_root_lists_versions_without_auth(client):
    response = client.get("/api/")
    assert response.status_code == 200
    assert response.json["versions"] == API_VERSIONS
    assert "/api/requestAuthToken" in response.json["message"]


def test_token_from_request_auth_token_authenticates_bare(client, users):
    response = client.post(
        "/api/requestAuthToken", json={"email": "prosumer@seita.nl", "password": TEST_PASSWORD}
    )
    assert response.status_code == 200
    assert response.json["user_id"] == users["prosumer"].id
    whoami = client.get(WHOAMI, headers=auth_header(response.json["auth_token"]))
    assert whoami.status_code == 200
    assert whoami.json == {"user_id": users["prosumer"].id, "via": "token"}


@pytest.mark.parametrize("prefix", ["Bearer ", "bearer ", "BEARER  "])
def test_bearer_prefix_is_accepted(client, users, tokens, prefix):
    headers = {"Authorization": prefix + tokens["mdc"]}
    assert client.get(WHOAMI, headers=headers).json["user_id"] == users["mdc"].id
    # Flask-Security's own decorators see the bare token too.
    assert client.get("/api/test/fst-token", headers=headers).status_code == 200


def test_each_request_is_authenticated_by_its_own_token(client, users, tokens):
    assert client.get(WHOAMI, headers=auth_header(tokens["mdc"])).json["user_id"] == (
        users["mdc"].id
    )
    assert client.get(WHOAMI, headers=auth_header(tokens["admin"])).json["user_id"] == (
        users["admin"].id
    )
    assert client.get(WHOAMI).status_code == 401


def test_missing_token_is_usef_unauthorized(client, db):
    response = client.get(WHOAMI)
    assert response.status_code == 401
    assert response.json["status"] == "UNAUTHORIZED"
    assert "No authentication token given" in response.json["message"]


@pytest.mark.parametrize("token", ["not-a-token", "Bearer ", "a.b.c"])
def test_garbage_token_is_invalid(client, db, token):
    response = client.get(WHOAMI, headers={"Authorization": token})
    assert response.status_code == 401
    assert response.json["status"] == "UNAUTHORIZED"


def test_tampered_token_is_invalid(client, tokens):
    token = tokens["prosumer"]
    # Change a character inside the signature (the last one may only hold padding bits).
    tampered = token[:-5] + ("A" if token[-5] != "A" else "B") + token[-4:]
    response = client.get(WHOAMI, headers=auth_header(tampered))
    assert response.status_code == 401
    assert "invalid" in response.json["message"]


def test_token_works_until_max_age_then_expires(app, client, users, monkeypatch):
    max_age = app.config["SECURITY_TOKEN_MAX_AGE"].total_seconds()
    assert max_age == 6 * 60 * 60  # the seed's default
    young = token_made_ago(users["prosumer"], max_age - 60, monkeypatch)
    old = token_made_ago(users["prosumer"], max_age + 1, monkeypatch)
    assert client.get(WHOAMI, headers=auth_header(young)).status_code == 200
    response = client.get(WHOAMI, headers=auth_header(old))
    assert response.status_code == 401
    assert "expired" in response.json["message"]


def test_shorter_max_age_setting_is_honoured(app, client, users, monkeypatch):
    from datetime import timedelta

    token = token_made_ago(users["prosumer"], 120, monkeypatch)
    assert client.get(WHOAMI, headers=auth_header(token)).status_code == 200
    monkeypatch.setitem(app.config, "SECURITY_TOKEN_MAX_AGE", timedelta(seconds=60))
    assert client.get(WHOAMI, headers=auth_header(token)).status_code == 401


def test_deactivation_invalidates_tokens_and_refuses_new_ones(client, db, users, tokens):
    deactivate_user(users["prosumer"])
    db.session.flush()
    response = client.get(WHOAMI, headers=auth_header(tokens["prosumer"]))
    assert response.status_code == 401
    assert "no longer valid" in response.json["message"]
    response = client.post(
        "/api/requestAuthToken", json={"email": "prosumer@seita.nl", "password": TEST_PASSWORD}
    )
    assert response.status_code == 401
    assert response.json == {"errors": [DEACTIVATED]}
    # Other users' tokens keep working.
    assert client.get(WHOAMI, headers=auth_header(tokens["mdc"])).status_code == 200


def test_password_reset_invalidates_tokens_and_old_password(client, db, users, tokens):
    reset_password(users["prosumer"])
    db.session.flush()
    assert client.get(WHOAMI, headers=auth_header(tokens["prosumer"])).status_code == 401
    response = client.post(
        "/api/requestAuthToken", json={"email": "prosumer@seita.nl", "password": TEST_PASSWORD}
    )
    assert response.status_code == 401


def test_password_reset_to_a_given_password(client, db, users, tokens):
    reset_password(users["prosumer"], "a-new-password")
    db.session.flush()
    assert client.get(WHOAMI, headers=auth_header(tokens["prosumer"])).status_code == 401
    new_token = get_token(client, "prosumer@seita.nl", "a-new-password")
    assert client.get(WHOAMI, headers=auth_header(new_token)).status_code == 200


def test_password_reset_refuses_short_password(db, users):
    with pytest.raises(InvalidUserError, match="at least 8 characters"):
        reset_password(users["prosumer"], "short")


def test_invalidate_tokens_keeps_password(client, db, users, tokens):
    invalidate_tokens(users["prosumer"])
    db.session.flush()
    assert client.get(WHOAMI, headers=auth_header(tokens["prosumer"])).status_code == 401
    get_token(client, "prosumer@seita.nl")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"data": "email=prosumer@seita.nl", "content_type": "application/x-www-form-urlencoded"},
        {"data": "{not json", "content_type": "application/json"},
        {"json": ["prosumer@seita.nl", TEST_PASSWORD]},
        {"json": "prosumer@seita.nl"},
    ],
)
def test_request_auth_token_needs_a_json_object(client, users, kwargs):
    response = client.post("/api/requestAuthToken", **kwargs)
    assert response.status_code == 400
    assert response.json == {"errors": ["Send a JSON object with 'email' and 'password'."]}


@pytest.mark.parametrize(
    "body, missing",
    [
        ({"password": TEST_PASSWORD}, ["email"]),
        ({"email": "prosumer@seita.nl"}, ["password"]),
        ({"email": "", "password": ""}, ["email", "password"]),
        ({}, ["email", "password"]),
    ],
)
def test_request_auth_token_names_missing_fields(client, users, body, missing):
    response = client.post("/api/requestAuthToken", json=body)
    assert response.status_code == 400
    assert response.json["errors"] == [
        f"Please provide the '{field}' parameter." for field in missing
    ]


def test_request_auth_token_refuses_non_string_fields(client, users):
    response = client.post("/api/requestAuthToken", json={"email": 42, "password": ["x"]})
    assert response.status_code == 400
    assert response.json["errors"] == [
        "The 'email' parameter should be a string.",
        "The 'password' parameter should be a string.",
    ]


@pytest.mark.parametrize(
    "email, password",
    [("nobody@seita.nl", TEST_PASSWORD), ("prosumer@seita.nl", "wrong-password")],
)
def test_unknown_email_and_wrong_password_look_the_same(client, users, email, password):
    response = client.post("/api/requestAuthToken", json={"email": email, "password": password})
    assert response.status_code == 401
    assert response.json == {"errors": [WRONG_CREDENTIALS]}


def test_email_is_matched_ignoring_case_and_spaces(client, users):
    response = client.post(
        "/api/requestAuthToken", json={"email": " Prosumer@Seita.NL ", "password": TEST_PASSWORD}
    )
    assert response.json["user_id"] == users["prosumer"].id


def test_user_without_password_gets_no_token(client, db, users):
    users["mdc"].password = None
    db.session.flush()
    response = client.post("/api/requestAuthToken", json={"email": "mdc@seita.nl", "password": ""})
    assert response.status_code == 400
    response = client.post(
        "/api/requestAuthToken", json={"email": "mdc@seita.nl", "password": "anything-at-all"}
    )
    assert response.status_code == 401


def login(client, email: str, password: str = TEST_PASSWORD) -> None:
    """Log in through Flask-Security's login view, so the client holds a session cookie."""
    response = client.post("/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.json


def test_logged_in_session_can_call_the_api(client, users):
    login(client, "prosumer@seita.nl")
    response = client.get(WHOAMI)
    assert response.json == {"user_id": users["prosumer"].id, "via": "session"}


def test_logged_in_session_gets_token_without_password(app, client, users):
    login(client, "prosumer@seita.nl")
    response = client.post("/api/requestAuthToken", json={})
    assert response.json["user_id"] == users["prosumer"].id
    client_without_session = type(client)(app, app.response_class)
    whoami = client_without_session.get(WHOAMI, headers=auth_header(response.json["auth_token"]))
    assert whoami.json == {"user_id": users["prosumer"].id, "via": "token"}


def test_logged_in_session_needs_password_for_another_user(client, users):
    login(client, "prosumer@seita.nl")
    response = client.post("/api/requestAuthToken", json={"email": "mdc@seita.nl"})
    assert response.status_code == 400


def test_token_cannot_renew_itself_without_password(client, tokens):
    response = client.post(
        "/api/requestAuthToken", json={}, headers=auth_header(tokens["prosumer"])
    )
    assert response.status_code == 400


def test_flask_security_decorators_answer_usef_style_on_api_paths(client, db):
    response = client.get("/api/test/fst-token")
    assert response.status_code == 401
    assert response.json["status"] == "UNAUTHORIZED"


def test_ui_pages_still_redirect_to_login(client, db):
    response = client.get("/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_response_type_is_added_to_unauthorized(client, db):
    response = client.get("/api/test/typed")
    assert response.status_code == 401
    assert response.json["type"] == "TestResponse"
    assert response.json["status"] == "UNAUTHORIZED"
