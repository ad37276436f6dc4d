"""Accounts and access: Flask-Security-Too set-up, token handling and asset ownership.

Authentication: a session (UI log-in) or an auth token (API) in the header named by
``SECURITY_TOKEN_AUTHENTICATION_HEADER``, bare (as the seed shows) or as ``Bearer <token>``.
A token expires ``SECURITY_TOKEN_MAX_AGE`` seconds after it was made, and at once when its
user is deactivated or gets a new password (both change ``User.fs_uniquifier``).

Failed authentication or authorisation on an API path (``/api/...``) answers with the
USEF-style JSON of ``flexmeasures.api.common.responses`` (401 UNAUTHORIZED, 403
INVALID_SENDER); elsewhere Flask-Security's defaults apply (a redirect to the login page).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeGuard

from flask import Flask, request
from flask_security import Security, SQLAlchemyUserDatastore, current_user
from flask_security.decorators import default_unauthn_handler, default_unauthz_handler
from sqlalchemy import ColumnElement, Select, false, select, true
from werkzeug.local import LocalProxy

from flexmeasures.data import db
from flexmeasures.data.models.asset import Asset
from flexmeasures.data.models.user import Role, User

user_datastore = SQLAlchemyUserDatastore(db, User, Role)

API_PATH_PREFIX = "/api"
BEARER_PREFIX = "bearer "


def init_security(app: Flask) -> Security:
    """Attach Flask-Security-Too to the app (one ``Security`` per app) and return it.

    Also lets the token header carry ``Bearer <token>`` and makes failed authentication or
    authorisation on API paths answer with USEF-style JSON instead of a redirect.
    """
    # The login page in FlexMeasures' layout (flexmeasures/ui/templates).
    app.config.setdefault("SECURITY_LOGIN_USER_TEMPLATE", "flexmeasures_login.html")
    security = Security(app, user_datastore, register_blueprint=True)
    security.unauthn_handler(_unauthn_handler)
    security.unauthz_handler(_unauthz_handler)
    # An instance attribute in front of the ``wsgi_app`` method, as Flask's docs advise.
    vars(app)["wsgi_app"] = BearerTokenMiddleware(
        app.wsgi_app, app.config["SECURITY_TOKEN_AUTHENTICATION_HEADER"]
    )
    return security


class BearerTokenMiddleware:
    """WSGI middleware: turn ``<header>: Bearer <token>`` into ``<header>: <token>``.

    It runs before Flask sees the request, so every reader of the header (Flask-Login's
    request loader, Flask-Principal's identity loader, our decorators) gets the bare token.
    """

    def __init__(self, wsgi_app: Callable, header_name: str) -> None:
        self.wsgi_app = wsgi_app
        self.environ_key = "HTTP_" + header_name.upper().replace("-", "_")

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        value = environ.get(self.environ_key, "")
        if value[: len(BEARER_PREFIX)].lower() == BEARER_PREFIX:
            environ[self.environ_key] = value[len(BEARER_PREFIX) :].strip()
        return self.wsgi_app(environ, start_response)


def is_api_request() -> bool:
    """True if the current request is for the API (a path under /api)."""
    path = request.path.rstrip("/")
    return path == API_PATH_PREFIX or path.startswith(API_PATH_PREFIX + "/")


def _unauthn_handler(mechanisms: list[str] | None = None, headers: dict | None = None) -> Any:
    """Answer failed authentication: USEF-style 401 on API paths, FST's default elsewhere."""
    if is_api_request():
        from flexmeasures.api.common.auth import unauthorized_response

        return unauthorized_response()
    return default_unauthn_handler(mechanisms, headers)


def _unauthz_handler(func_name: str, params: list[str] | None) -> Any:
    """Answer a missing role: USEF-style 403 INVALID_SENDER on API paths, FST's default else."""
    if is_api_request():
        from flexmeasures.api.common.responses import invalid_sender

        roles = params if func_name.startswith("roles") else None
        return invalid_sender(roles)
    return default_unauthz_handler(func_name, params)


def current_user_object() -> User | None:
    """The User behind Flask-Login's ``current_user`` proxy, or None when nobody is logged in.

    Use it where the object itself matters (to keep it, or to pass it on as a ``User``).
    """
    proxy: LocalProxy[Any] = current_user
    user = proxy._get_current_object()
    return user if isinstance(user, User) else None


def _is_logged_in(user: User | None) -> TypeGuard[User]:
    """True for an authenticated user object (not None, not anonymous)."""
    return bool(user is not None and getattr(user, "is_authenticated", False))


def can_access_asset(user: User | None, asset: Asset | int | None) -> bool:
    """True if the user may see this asset (an Asset, or its owner's id).

    Admins may see every asset, other users only the assets they own.
    """
    if not _is_logged_in(user):
        return False
    if user.is_admin:
        return True
    owner_id = asset.owner_id if isinstance(asset, Asset) else asset
    return owner_id is not None and owner_id == user.id


def asset_visibility_clause(user: User | None) -> ColumnElement[bool]:
    """A WHERE clause selecting the assets this user may see (all for admins, else owned)."""
    if not _is_logged_in(user):
        return false()
    if user.is_admin:
        return true()
    return Asset.owner_id == user.id


def assets_visible_to(user: User | None) -> Select[tuple[Asset]]:
    """A query for the assets this user may see, ordered by id; run it with ``db.session``."""
    return select(Asset).where(asset_visibility_clause(user)).order_by(Asset.id)


# Who may address which asset through the USEF-style services (data, UDI events). Wider
# than seeing an asset on the REST API: meter data companies, suppliers, aggregators, DSOs
# and ESCos act on other people's connections; a user who is only a Prosumer may not. Only
# the roles a service admits count: a user's role that the service does not admit (say
# MDC, for postUdiEvent) does not widen the devices the user may address through it.
OWN_ASSETS_ONLY_ROLES = ("Prosumer", "anonymous")


def may_address_every_asset(user: User | None, admitted_roles: Iterable[str]) -> bool:
    """True for admins, and for users with a role among ``admitted_roles`` (the roles of
    the service used) other than Prosumer, such as MDC or Supplier."""
    if not _is_logged_in(user):
        return False
    admitted = set(admitted_roles) - set(OWN_ASSETS_ONLY_ROLES)
    return user.is_admin or any(role.name in admitted for role in user.roles)


def may_address_asset(user: User | None, asset: Asset, admitted_roles: Iterable[str]) -> bool:
    """True if the user may address this asset through a USEF-style service that admits
    ``admitted_roles``."""
    if may_address_every_asset(user, admitted_roles):
        return True
    return _is_logged_in(user) and asset.owner_id == user.id


def addressable_assets(user: User | None, admitted_roles: Iterable[str]) -> Select[tuple[Asset]]:
    """A query for the assets this user may address through a USEF-style service that
    admits ``admitted_roles``."""
    if may_address_every_asset(user, admitted_roles):
        return select(Asset)
    return select(Asset).where(asset_visibility_clause(user))
