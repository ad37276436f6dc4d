"""Authentication and authorisation for API routes, answering in USEF style.

Stack them under the response-type decorator, authentication first::

    @flexmeasures_api_v1.route("/getMeterData", methods=["GET"])
    @as_response_type("GetMeterDataResponse")
    @token_auth_required
    @roles_accepted_usef(*USEF_ROLES)
    def get_meter_data(): ...

``token_auth_required`` accepts an auth token (header ``SECURITY_TOKEN_AUTHENTICATION_HEADER``,
bare or ``Bearer <token>``) or a logged-in session (so the UI can call the API); otherwise it
answers 401 UNAUTHORIZED saying why. ``roles_accepted_usef`` answers 403 INVALID_SENDER unless
the user has one of the roles (admins always pass). ``check_asset_access`` answers 403 for an
asset the user neither owns nor administers.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import current_app, request
from flask_security import current_user
from flask_security.utils import parse_auth_token
from itsdangerous import BadData, SignatureExpired

from flexmeasures.api.common.responses import ResponseTuple, invalid_sender, unauthorized
from flexmeasures.data.models.asset import Asset
from flexmeasures.security import assets_visible_to, can_access_asset

__all__ = [
    "assets_visible_to",
    "check_asset_access",
    "roles_accepted_usef",
    "token_auth_required",
    "unauthorized_response",
]

NO_TOKEN = (
    "No authentication token given. Request one at /api/requestAuthToken and send it in "
    "the {header} header."
)
TOKEN_EXPIRED = "The authentication token has expired. Request a new one at /api/requestAuthToken."
TOKEN_INVALID = "The authentication token is invalid. Request a new one at /api/requestAuthToken."
TOKEN_REVOKED = (
    "The authentication token is no longer valid (its user was deactivated or their password "
    "was reset). Request a new one at /api/requestAuthToken."
)


def token_auth_required(view: Callable) -> Callable:
    """Decorate a route: only users authenticated by token or session may call it.

    Otherwise the route answers 401 UNAUTHORIZED with a message saying why.
    """

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return unauthorized_response()
        return view(*args, **kwargs)

    return wrapper


def roles_accepted_usef(*roles: str) -> Callable:
    """Decorate a route: only users with one of these roles (or admins) may call it.

    Answers 401 UNAUTHORIZED to unauthenticated users and 403 INVALID_SENDER, naming the
    accepted roles, to users without any of them.
    """

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return unauthorized_response()
            if not (current_user.is_admin or any(current_user.has_role(r) for r in roles)):
                return invalid_sender(roles)
            return view(*args, **kwargs)

        return wrapper

    return decorator


def check_asset_access(asset: Asset) -> ResponseTuple | None:
    """Return None if the current user may access this asset, else a 403 INVALID_SENDER.

    Admins may access every asset, other users only the assets they own.
    """
    if can_access_asset(current_user, asset):
        return None
    return invalid_sender(message=f"You do not own asset {asset.id} (and are no admin).")


def unauthorized_response() -> ResponseTuple:
    """401 UNAUTHORIZED for the current request, saying why it is not authenticated."""
    return unauthorized(_why_unauthenticated())


def _why_unauthenticated() -> str:
    """Tell apart a missing, an expired, an invalid and a revoked token (no database use)."""
    header = current_app.config["SECURITY_TOKEN_AUTHENTICATION_HEADER"]
    token = request.headers.get(header) or request.args.get(
        current_app.config.get("SECURITY_TOKEN_AUTHENTICATION_KEY", "auth_token")
    )
    if not token:
        return NO_TOKEN.format(header=header)
    try:
        parse_auth_token(token)
    except SignatureExpired:
        return TOKEN_EXPIRED
    except (BadData, ValueError, TypeError):
        return TOKEN_INVALID
    # Well signed and young enough: its user is gone, deactivated or has a new uniquifier.
    return TOKEN_REVOKED
