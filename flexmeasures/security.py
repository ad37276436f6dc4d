"""Accounts and access: Flask-Security-Too set-up, token handling and ownership checks."""

from __future__ import annotations

from flask import Flask, request
from flask_security import Security, SQLAlchemyUserDatastore

from flexmeasures.data import db
from flexmeasures.data.models.user import Role, User

user_datastore = SQLAlchemyUserDatastore(db, User, Role)
security = Security()

BEARER_PREFIX = "bearer "


def init_security(app: Flask) -> None:
    """Attach Flask-Security-Too to the app and accept ``Bearer <token>`` as well as bare tokens."""
    security.init_app(app, user_datastore, register_blueprint=True)
    header_name = app.config["SECURITY_TOKEN_AUTHENTICATION_HEADER"]
    environ_key = "HTTP_" + header_name.upper().replace("-", "_")

    @app.before_request
    def strip_bearer_prefix() -> None:
        """Let clients send ``Authorization: Bearer <token>``; the seed sends the bare token."""
        value = request.environ.get(environ_key, "")
        if value[: len(BEARER_PREFIX)].lower() == BEARER_PREFIX:
            request.environ[environ_key] = value[len(BEARER_PREFIX) :].strip()


def can_access_asset(user: User, asset_owner_id: int | None) -> bool:
    """True if the user may see an asset: admins see all, others only their own."""
    if not user or not user.is_authenticated:
        return False
    return user.is_admin or (asset_owner_id is not None and asset_owner_id == user.id)
