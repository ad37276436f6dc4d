"""API v3_0 assets, asset types, users and accounts through the Flask test client."""

from __future__ import annotations

import json

from tests.api.auth_routes import auth_header


def get(client, tokens, user, path, **args):
    return client.get(f"/api/v3_0/{path}", query_string=args, headers=auth_header(tokens[user]))


def new_asset(users, **fields):
    """A new battery of the prosumer's account, as the client sends it."""
    return {
        "name": "new battery",
        "account_id": users["prosumer"].account_id,
        "latitude": 52.0,
        "longitude": 4.0,
        "generic_asset_type_id": 5,
        "flex_model": json.dumps({"soc-max": "1 MWh"}),
        **fields,
    }


def test_assets_are_listed_as_the_client_asks(client, tokens, assets):
    args = dict(all_accessible="False", include_public="False", sort_by="name", sort_dir="desc")
    listed = get(client, tokens, "prosumer", "assets", **args).get_json()
    assert [a["name"] for a in listed] == ["solar", "battery"]
    assert {a["account_id"] for a in listed} == {assets["battery"].owner.account_id}
    everything = get(client, tokens, "admin", "assets").get_json()
    assert [a["id"] for a in everything] == sorted(a.id for a in assets.values())
    other = assets["other battery"].owner.account_id
    of_account = get(client, tokens, "admin", "assets", account_id=other).get_json()
    assert [a["name"] for a in of_account] == ["other battery"]
    bad = get(client, tokens, "prosumer", "assets", sort_by="colour")
    assert bad.status_code == 422 and "sort_by" in bad.get_json()["message"]


def test_asset_types_have_stable_ids(client, tokens, structure, users):
    types = get(client, tokens, "prosumer", "assets/types").get_json()
    assert types[0] == {"id": 1, "name": "solar", "description": "solar panel"}
    assert {t["name"]: t["id"] for t in types}["battery"] == 5


def test_admins_create_assets_for_an_account(client, tokens, users, structure):
    headers = auth_header(tokens["admin"])
    created = client.post("/api/v3_0/assets", json=new_asset(users), headers=headers)
    assert created.status_code == 201, created.get_json()
    asset = created.get_json()
    assert asset["owner_id"] == users["prosumer"].id and asset["generic_asset_type_id"] == 5
    assert json.loads(asset["flex_model"]) == {"soc-max": "1 MWh"}
    assert asset["generic_asset_type"]["name"] == "battery"
    refused = client.post(
        "/api/v3_0/assets", json=new_asset(users), headers=auth_header(tokens["prosumer"])
    )
    assert refused.status_code == 403
    unknown = client.post(
        "/api/v3_0/assets", json=new_asset(users, generic_asset_type_id=99), headers=headers
    )
    assert unknown.status_code == 422
    assert "generic_asset_type_id" in unknown.get_json()["message"]


def test_owners_change_and_delete_their_assets(client, tokens, assets):
    battery = assets["battery"].id
    headers = auth_header(tokens["prosumer"])
    patched = client.patch(
        f"/api/v3_0/assets/{battery}",
        json={"attributes": json.dumps({"colour": "green"}), "latitude": 51.5},
        headers=headers,
    )
    assert patched.status_code == 200, patched.get_json()
    assert patched.get_json()["latitude"] == 51.5
    assert json.loads(patched.get_json()["attributes"]) == {"colour": "green"}
    other = client.patch(
        f"/api/v3_0/assets/{assets['other battery'].id}", json={"latitude": 1}, headers=headers
    )
    assert other.status_code == 403
    deleted = client.delete(f"/api/v3_0/assets/{battery}", headers=headers)
    assert deleted.status_code == 204 and deleted.mimetype == "application/json"
    assert get(client, tokens, "prosumer", f"assets/{battery}").status_code == 404


def test_users_and_accounts(client, tokens, users):
    own = get(client, tokens, "prosumer", "users").get_json()
    assert [(u["email"], u["account_id"]) for u in own] == [
        ("prosumer@seita.nl", users["prosumer"].account_id)
    ]
    everyone = get(client, tokens, "admin", "users").get_json()
    assert len(everyone) == len(users)
    account_id = users["prosumer"].account_id
    account = get(client, tokens, "prosumer", f"accounts/{account_id}")
    assert account.get_json() == {"id": account_id, "name": "prosumer"}
    other = users["other_prosumer"].account_id
    assert get(client, tokens, "prosumer", f"accounts/{other}").status_code == 403
    assert get(client, tokens, "prosumer", "users", account_id=other).status_code == 403
    assert get(client, tokens, "admin", f"accounts/{other}").status_code == 200


def test_assets_take_an_ignored_null_and_refuse_overlong_resolutions(
    client, tokens, users, structure
):
    """``sensors_to_show`` may be null (it is ignored); minutes beyond 50 years are a 422
    for ``event_resolution`` (no 500 from an overflowing duration)."""
    headers = auth_header(tokens["admin"])
    fields = new_asset(users, sensors_to_show=None)
    created = client.post("/api/v3_0/assets", json=fields, headers=headers)
    assert created.status_code == 201, created.get_json()
    too_long = new_asset(users, event_resolution=10**12)
    refused = client.post("/api/v3_0/assets", json=too_long, headers=headers)
    assert refused.status_code == 422
    assert "event_resolution" in refused.get_json()["message"]
