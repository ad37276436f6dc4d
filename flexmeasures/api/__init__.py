"""The API: public endpoints (versions, auth tokens) and the versioned USEF-style APIs."""

from __future__ import annotations

from flask import Blueprint, Flask, jsonify, request
from flask_security.utils import verify_and_update_password

from flexmeasures.data import db
from flexmeasures.security import user_datastore

flexmeasures_api = Blueprint("flexmeasures_api", __name__)

# Versions are added here as their modules are registered.
API_VERSIONS: list[str] = []


@flexmeasures_api.route("/", methods=["GET"])
def get_versions():
    """Public endpoint to list API versions."""
    base = request.host_url.rstrip("/") + "/api"
    return jsonify(
        message="For these API versions endpoints are available. An authentication token can "
        "be requested at: " + base + "/requestAuthToken. For a list of services, see "
        + base + "/<version>/getService",
        versions=API_VERSIONS,
        flexmeasures_version=_flexmeasures_version(),
    )


@flexmeasures_api.route("/requestAuthToken", methods=["POST"])
def request_auth_token():
    """Get a fresh auth token for the user with this email and password.

    The token expires after SECURITY_TOKEN_MAX_AGE seconds. Answers 400 when email or
    password is missing, 401 when they do not match an active user.
    """
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return jsonify(errors=["Send a JSON object with 'email' and 'password'."]), 400
    missing = [field for field in ("email", "password") if not data.get(field)]
    if missing:
        return jsonify(errors=[f"Please provide the '{field}' parameter." for field in missing]), 400
    user = user_datastore.find_user(email=str(data["email"]).strip())
    if user is None:
        return jsonify(errors=[f"User with email '{data['email']}' does not exist."]), 401
    if not verify_and_update_password(str(data["password"]), user):
        return jsonify(errors=["User password does not match."]), 401
    if not user.active:
        return jsonify(errors=["This user account is deactivated."]), 401
    token = user.get_auth_token()
    db.session.commit()  # a password hash upgrade may have been made
    return jsonify(auth_token=token, user_id=user.id)


def _flexmeasures_version() -> str:
    from flexmeasures import __version__

    return __version__


def register_api_at(app: Flask) -> None:
    """Register the public API endpoints (and, as they exist, the versioned APIs) at /api."""
    app.register_blueprint(flexmeasures_api, url_prefix="/api")
    # Token-authenticated JSON endpoints do not use CSRF-protected forms.
    csrf = app.extensions.get("csrf")
    if csrf:
        csrf.exempt(flexmeasures_api)
