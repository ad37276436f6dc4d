"""The API: public endpoints (versions, auth tokens) and the versioned USEF-style APIs."""

from __future__ import annotations

from typing import Any, TypeGuard

from flask import Blueprint, Flask, Response, jsonify, request
from flask_security import current_user
from flask_security.utils import get_request_attr, hash_password
from sqlalchemy import func, select

from flexmeasures.data import db
from flexmeasures.data.models.user import User
from flexmeasures.security import current_user_object, is_api_request

flexmeasures_api = Blueprint("flexmeasures_api", __name__)

# Each API version's name (e.g. "v1_3") is appended when the version is registered.
API_VERSIONS: list[str] = []

# Every API response names the FlexMeasures version that answered (the package version).
VERSION_HEADER = "FlexMeasures-Version"

WRONG_CREDENTIALS = "Wrong email or password."
DEACTIVATED = "This user account is deactivated."


@flexmeasures_api.route("/", methods=["GET"])
def get_versions():
    """Public endpoint to list API versions."""
    base = request.host_url.rstrip("/") + "/api"
    return jsonify(
        message="For these API versions endpoints are available. An authentication token can "
        f"be requested at: {base}/requestAuthToken. For a list of services, see "
        f"{base}/<version>/getService; the OpenAPI document is at {base}/openapi.json and "
        f"browsable at {base}/docs.",
        versions=API_VERSIONS,
        flexmeasures_version=_flexmeasures_version(),
    )


@flexmeasures_api.route("/requestAuthToken", methods=["POST"])
def request_auth_token():
    """Get a fresh auth token, valid for SECURITY_TOKEN_MAX_AGE seconds.

    Takes a JSON object with ``email`` and ``password``; a user logged in by session (not
    by token) may leave out the password (and the email). Answers
    ``{"auth_token": ..., "user_id": ...}``, or ``{"errors": [...]}`` with 400 for a
    malformed request (naming each missing field) or 401 for a wrong email or password
    (the answer does not reveal which of the two was wrong) or a deactivated account.
    """
    data = request.get_json(silent=True)
    if data is None and not request.get_data():
        data = {}
    if not isinstance(data, dict):
        return _errors(400, "Send a JSON object with 'email' and 'password'.")
    session_user = _session_user()
    if session_user is not None and data.get("email") in (None, session_user.email):
        return _token_response(session_user)
    problems = _credential_problems(data)
    if problems:
        return _errors(400, *problems)
    user = _find_user_by_email(data["email"])
    if not _password_matches(user, data["password"]):
        return _errors(401, WRONG_CREDENTIALS)
    if not user.active:
        return _errors(401, DEACTIVATED)
    return _token_response(user)


def _errors(http_status: int, *messages: str) -> tuple[Any, int]:
    """An ``{"errors": [...]}`` response with this HTTP status."""
    return jsonify(errors=list(messages)), http_status


def _session_user() -> User | None:
    """The user logged in by session cookie, if any (token-authenticated users do not count,
    so a token cannot be used to extend its own lifetime)."""
    if current_user.is_authenticated and get_request_attr("fs_authn_via") == "session":
        return current_user_object()
    return None


def _credential_problems(data: dict[str, Any]) -> list[str]:
    """Say what is missing or malformed in the email and password fields."""
    problems = []
    for field in ("email", "password"):
        value = data.get(field)
        if value is None or value == "":
            problems.append(f"Please provide the '{field}' parameter.")
        elif not isinstance(value, str):
            problems.append(f"The '{field}' parameter should be a string.")
    return problems


def _find_user_by_email(email: str) -> User | None:
    """The user with this email address (ignoring case and surrounding spaces), if any.

    An exact match wins over one that differs only in case.
    """
    email = email.strip()
    query = select(User).where(func.lower(User.email) == email.lower())
    return db.session.scalar(query.order_by(User.email != email, User.id).limit(1))


def _password_matches(user: User | None, password: str) -> TypeGuard[User]:
    """True if the password is the user's (so there is a user); also updates an outdated hash
    (commit needed).

    For an unknown user it hashes the password anyway, so that the response time does not
    tell which email addresses have accounts.
    """
    if user is None or not user.password:
        hash_password(password)
        return False
    return user.verify_and_update_password(password)


def _token_response(user: User) -> tuple[Any, int]:
    """``{"auth_token": ..., "user_id": ...}`` for this user, committing any hash upgrade."""
    token = user.get_auth_token()
    db.session.commit()
    return jsonify(auth_token=token, user_id=user.id), 200


def _flexmeasures_version() -> str:
    from flexmeasures import __version__

    return __version__


def _add_version_header(response: Response) -> Response:
    """On responses to API requests (also errors), set the ``FlexMeasures-Version`` header."""
    if is_api_request():
        response.headers[VERSION_HEADER] = _flexmeasures_version()
    return response


def register_api_at(app: Flask) -> None:
    """Register the public API endpoints (and, as they exist, the versioned APIs) at /api."""
    app.register_blueprint(flexmeasures_api, url_prefix="/api")
    app.after_request(_add_version_header)
    # Token-authenticated JSON endpoints do not use CSRF-protected forms.
    csrf = app.extensions.get("csrf")
    if csrf:
        csrf.exempt(flexmeasures_api)
