"""A testing app with routes that exercise the API's auth decorators, and token helpers.

The versioned API does not exist yet, so these routes stand in for its endpoints. Flask
refuses new routes once an app has served a request, hence a second app next to the
session's: a test module uses it by overriding the ``app`` fixture::

    @pytest.fixture(scope="module")
    def app(app):
        return app_with_test_routes(app)
"""

from __future__ import annotations

import functools

from flask import Blueprint, Flask
from flask.testing import FlaskClient
from flask_security import auth_required, auth_token_required, current_user, roles_accepted
from flask_security.utils import get_request_attr

from flexmeasures.api.common.auth import (
    assets_visible_to,
    check_asset_access,
    roles_accepted_usef,
    token_auth_required,
)
from flexmeasures.api.common.responses import as_response_type
from flexmeasures.app import create_app
from flexmeasures.data import db as _db
from flexmeasures.data.models.asset import Asset
from tests.conftest import TEST_PASSWORD

TEST_ROUTES_PREFIX = "/api/test"


def auth_test_routes() -> Blueprint:
    """Routes under /api/test that use the auth decorators the versioned API will use."""
    bp = Blueprint("auth_test_routes", __name__)

    @bp.route("/whoami")
    @token_auth_required
    def whoami():
        return {"user_id": current_user.id, "via": get_request_attr("fs_authn_via")}

    @bp.route("/typed")
    @as_response_type("TestResponse")
    @token_auth_required
    def typed():
        return {"status": "PROCESSED"}, 200

    @bp.route("/prosumers-only")
    @token_auth_required
    @roles_accepted_usef("Prosumer")
    def prosumers_only():
        return {"status": "PROCESSED"}

    @bp.route("/mdc-or-supplier")
    @token_auth_required
    @roles_accepted_usef("MDC", "Supplier")
    def mdc_or_supplier():
        return {"status": "PROCESSED"}

    @bp.route("/assets")
    @token_auth_required
    def visible_assets():
        return {"assets": [a.id for a in _db.session.scalars(assets_visible_to(current_user))]}

    @bp.route("/assets/<int:asset_id>")
    @token_auth_required
    def one_asset(asset_id: int):
        asset = _db.session.get(Asset, asset_id)
        if asset is None:
            return {"status": "UNKNOWN_ASSET"}, 404
        return check_asset_access(asset) or {"id": asset.id, "name": asset.name}

    @bp.route("/fst-token")
    @auth_token_required
    def fst_token():
        return {"user_id": current_user.id}

    @bp.route("/fst-roles")
    @auth_required("token", "session")
    @roles_accepted("MDC")
    def fst_roles():
        return {"user_id": current_user.id}

    return bp


def app_with_test_routes(session_app: Flask) -> Flask:
    """A twin of the session's (migrated) app with the routes of ``auth_test_routes``."""
    return _twin_with_test_routes(session_app.config["SQLALCHEMY_DATABASE_URI"])


@functools.cache
def _twin_with_test_routes(database_uri: str) -> Flask:
    """Build the app with test routes once per test run."""
    app = create_app(
        "testing",
        settings={"SQLALCHEMY_DATABASE_URI": database_uri, "SERVER_NAME": "localhost"},
    )
    app.register_blueprint(auth_test_routes(), url_prefix=TEST_ROUTES_PREFIX)
    return app


def get_token(client: FlaskClient, email: str, password: str = TEST_PASSWORD) -> str:
    """Request an auth token through the API; fail the test if none is given."""
    response = client.post("/api/requestAuthToken", json={"email": email, "password": password})
    assert response.status_code == 200, response.json
    return response.json["auth_token"]


def auth_header(token: str) -> dict[str, str]:
    """The header that carries a token, bare as the seed shows it."""
    return {"Authorization": token}
