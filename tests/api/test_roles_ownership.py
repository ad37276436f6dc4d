"""Authorisation: roles decide access to services, ownership decides which assets a user sees."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask_security.core import AnonymousUser

from flexmeasures.api.common.versioning import ALL_USEF_ROLES
from flexmeasures.data.models.asset import Asset
from flexmeasures.data.services.users import create_user
from flexmeasures.security import (
    addressable_assets,
    assets_visible_to,
    can_access_asset,
    may_address_asset,
)
from tests.conftest import TEST_PASSWORD

from .auth_routes import app_with_test_routes, auth_header


@pytest.fixture(scope="module")
def app(app: Flask) -> Flask:
    """The session's app's twin, with the test routes."""
    return app_with_test_routes(app)


@pytest.fixture
def assets(db, structure, users) -> dict[str, Asset]:
    """A solar panel of the Prosumer and a battery of the other Prosumer."""
    made = {
        "prosumer": _asset("solar-1", "solar", users["prosumer"]),
        "other_prosumer": _asset("battery-1", "battery", users["other_prosumer"]),
    }
    db.session.add_all(made.values())
    db.session.flush()
    return made


def _asset(name: str, type_name: str, owner) -> Asset:
    """An asset of 1 MW at 15-minute resolution, owned by ``owner``."""
    return Asset(
        name=name,
        display_name=name,
        asset_type_name=type_name,
        capacity_in_mw=1.0,
        latitude=52.0,
        longitude=4.3,
        owner=owner,
        unit="MW",
        event_resolution=timedelta(minutes=15),
    )


@pytest.mark.parametrize("user", ["prosumer", "other_prosumer", "admin"])
def test_role_or_admin_gets_access(client, tokens, user):
    response = client.get("/api/test/prosumers-only", headers=auth_header(tokens[user]))
    assert response.status_code == 200


def test_other_role_is_invalid_sender(client, tokens):
    response = client.get("/api/test/prosumers-only", headers=auth_header(tokens["mdc"]))
    assert response.status_code == 403
    assert response.json["status"] == "INVALID_SENDER"
    assert "Prosumer" in response.json["message"]


def test_any_of_several_roles_gets_access(client, tokens):
    headers = auth_header(tokens["mdc"])
    assert client.get("/api/test/mdc-or-supplier", headers=headers).status_code == 200
    headers = auth_header(tokens["prosumer"])
    response = client.get("/api/test/mdc-or-supplier", headers=headers)
    assert response.status_code == 403
    assert "MDC, Supplier" in response.json["message"]


def test_role_check_without_token_is_unauthorized(client, db):
    response = client.get("/api/test/prosumers-only")
    assert response.status_code == 401
    assert response.json["status"] == "UNAUTHORIZED"


def test_flask_security_role_check_answers_usef_style(client, tokens):
    response = client.get("/api/test/fst-roles", headers=auth_header(tokens["prosumer"]))
    assert response.status_code == 403
    assert response.json["status"] == "INVALID_SENDER"
    assert "MDC" in response.json["message"]
    assert client.get("/api/test/fst-roles", headers=auth_header(tokens["mdc"])).status_code == 200


@pytest.mark.parametrize(
    "user, expected",
    [
        ("admin", ["prosumer", "other_prosumer"]),
        ("prosumer", ["prosumer"]),
        ("other_prosumer", ["other_prosumer"]),
        ("mdc", []),
    ],
)
def test_users_see_own_assets_admins_all(client, tokens, assets, user, expected):
    response = client.get("/api/test/assets", headers=auth_header(tokens[user]))
    assert response.json["assets"] == [assets[owner].id for owner in expected]


def test_asset_of_another_owner_is_forbidden(client, tokens, assets):
    url = f"/api/test/assets/{assets['other_prosumer'].id}"
    response = client.get(url, headers=auth_header(tokens["prosumer"]))
    assert response.status_code == 403
    assert response.json["status"] == "INVALID_SENDER"
    assert client.get(url, headers=auth_header(tokens["other_prosumer"])).status_code == 200
    assert client.get(url, headers=auth_header(tokens["admin"])).json["name"] == "battery-1"


def test_nobody_sees_assets_when_not_logged_in(db, assets):
    anonymous = AnonymousUser()
    assert db.session.scalars(assets_visible_to(anonymous)).all() == []
    assert db.session.scalars(assets_visible_to(None)).all() == []
    assert not can_access_asset(anonymous, assets["prosumer"])
    assert not can_access_asset(None, assets["prosumer"].owner_id)


def test_can_access_asset_by_owner_id(users, assets):
    assert can_access_asset(users["prosumer"], assets["prosumer"].owner_id)
    assert not can_access_asset(users["prosumer"], assets["other_prosumer"].owner_id)
    assert not can_access_asset(users["prosumer"], None)
    assert can_access_asset(users["admin"], None)


@pytest.mark.parametrize("user, asset_count", [("prosumer", 1), ("admin", 2), ("mdc", 0)])
def test_dashboard_counts_visible_assets(client, users, assets, user, asset_count):
    login = client.post("/login", json={"email": users[user].email, "password": TEST_PASSWORD})
    assert login.status_code == 200
    page = client.get("/").get_data(as_text=True)
    noun = "asset" if asset_count == 1 else "assets"
    assert f"<strong>{asset_count}</strong> {noun}</li>" in page


UDI_ROLES = ("Prosumer", "ESCo")  # the roles of postUdiEvent and getDeviceMessage


@pytest.mark.parametrize(
    "roles, admitted, may",
    [
        (["Prosumer", "MDC"], UDI_ROLES, False),  # MDC is not admitted: own assets only
        (["Prosumer", "MDC"], ALL_USEF_ROLES, True),
        (["Prosumer", "MDC"], ("MDC",), True),
        (["Prosumer"], ALL_USEF_ROLES, False),
        (["ESCo"], UDI_ROLES, True),
        (["MDC"], (), False),  # outside a service no role widens
        (["admin"], (), True),
    ],
)
def test_only_admitted_roles_widen_the_addressable_assets(db, assets, roles, admitted, may):
    user = create_user("roles@seita.nl", TEST_PASSWORD, "roles", roles=roles)
    db.session.flush()
    others = assets["other_prosumer"]
    assert may_address_asset(user, others, admitted) is may
    addressable = db.session.scalars(addressable_assets(user, admitted)).all()
    assert (others in addressable) is may
