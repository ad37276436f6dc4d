"""REST endpoints for assets (API v2.0): listing, creating, getting, changing, deleting."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Blueprint, Flask
from sqlalchemy import func, select

from flexmeasures.api.v2_0 import v2_0
from flexmeasures.data.models import Asset, Market, TimedBelief

API = "/api/v2_0"


def auth(tokens: dict[str, str], user: str) -> dict[str, str]:
    return {"Authorization": tokens[user]}


def seed_example(owner_id: int, market_id: int) -> dict:
    """The request of the seed's POST /assets example."""
    return {
        "name": "Test battery",
        "asset_type": "battery",
        "unit": "kW",
        "owner": owner_id,
        "market": market_id,
        "event_resolution": 5,
        "capacity_in_mw": 4.2,
        "latitude": 40,
        "longitude": 170.3,
        "max_soc_in_mwh": 5,
        "min_soc_in_mwh": 0,
    }


@pytest.fixture
def market_id(db, structure) -> int:
    return db.session.scalar(select(Market.id).filter_by(name="epex_da"))


def count(db, model, **filters) -> int:
    return db.session.scalar(select(func.count()).select_from(model).filter_by(**filters))


# GET /assets


def test_admin_lists_all_assets_others_their_own(client, tokens, assets):
    as_admin = client.get(f"{API}/assets", headers=auth(tokens, "admin"))
    as_prosumer = client.get(f"{API}/assets", headers=auth(tokens, "prosumer"))
    assert as_admin.status_code == as_prosumer.status_code == 200
    assert [a["name"] for a in as_admin.json] == ["battery", "solar", "other battery"]
    assert [a["name"] for a in as_prosumer.json] == ["battery", "solar"]
    battery = as_prosumer.json[0]
    assert battery["event_resolution"] == 15 and battery["asset_type"] == "battery"
    assert battery["owner"] == assets["battery"].owner_id
    assert battery["market"] == assets["battery"].market_id is not None


def test_list_assets_of_one_owner(client, tokens, users, assets):
    other_id = users["other_prosumer"].id
    as_admin = client.get(
        f"{API}/assets", query_string={"owner_id": other_id}, headers=auth(tokens, "admin")
    )
    assert [a["name"] for a in as_admin.json] == ["other battery"]
    own = client.get(
        f"{API}/assets",
        query_string={"owner_id": users["prosumer"].id},
        headers=auth(tokens, "prosumer"),
    )
    assert [a["name"] for a in own.json] == ["battery", "solar"]
    others = client.get(
        f"{API}/assets", query_string={"owner_id": other_id}, headers=auth(tokens, "prosumer")
    )
    assert others.status_code == 403 and others.json["status"] == "INVALID_SENDER"


@pytest.mark.parametrize(
    "query, status, expected",
    [
        ({"owner_id": 9999}, 422, {"owner_id": ["There is no user with id 9999."]}),
        ({"owner_id": "me"}, 422, {"owner_id": ["Not a valid integer."]}),
        ({"owner": 1}, 400, "Unexpected query parameter(s): owner."),
    ],
)
def test_list_assets_with_bad_query(client, tokens, assets, query, status, expected):
    listed = client.get(f"{API}/assets", query_string=query, headers=auth(tokens, "admin"))
    assert listed.status_code == status
    assert listed.json["message"] == expected


def test_every_endpoint_needs_a_token(client, assets):
    asset_id = assets["battery"].id
    for method, path in [
        ("get", "/assets"),
        ("post", "/assets"),
        ("get", f"/asset/{asset_id}"),
        ("patch", f"/asset/{asset_id}"),
        ("delete", f"/asset/{asset_id}"),
    ]:
        answered = getattr(client, method)(API + path, json={"latitude": 1})
        assert answered.status_code == 401, (method, path)
        assert answered.json["status"] == "UNAUTHORIZED"
    assert (
        client.get(f"{API}/asset/{asset_id}", headers={"Authorization": "nonsense"}).json["status"]
        == "UNAUTHORIZED"
    )


# POST /assets


def test_post_the_seed_example(client, tokens, users, market_id):
    owner_id = users["prosumer"].id
    posted = client.post(
        f"{API}/assets", json=seed_example(owner_id, market_id), headers=auth(tokens, "admin")
    )
    assert posted.status_code == 201, posted.json
    asset = posted.json
    new_id = asset.pop("id")
    assert asset == {
        "asset_type": "battery",
        "unit": "kW",
        "capacity_in_mw": 4.2,
        "display_name": "Test battery",
        "event_resolution": 5,
        "latitude": 40,
        "longitude": 170.3,
        "max_soc_in_mwh": 5,
        "min_soc_in_mwh": 0,
        "name": "Test battery",
        "owner": owner_id,
        "market": market_id,
        "soc_datetime": None,
        "soc_in_mwh": None,
        "soc_udi_event_id": None,
    }
    got = client.get(f"{API}/asset/{new_id}", headers=auth(tokens, "prosumer"))
    assert got.status_code == 200
    assert got.json == {"id": new_id, **asset}


def test_post_with_state_of_charge_and_defaults(client, tokens, users, market_id):
    fields = seed_example(users["prosumer"].id, market_id)
    del fields["market"]
    fields.update(soc_in_mwh=2.5, soc_datetime="2015-01-01T01:00:00+01:00", soc_udi_event_id=203)
    posted = client.post(f"{API}/assets", json=fields, headers=auth(tokens, "admin"))
    assert posted.status_code == 201, posted.json
    assert posted.json["unit"] == "kW" and posted.json["market"] == market_id
    assert posted.json["soc_datetime"] == "2015-01-01T00:00:00+00:00"
    assert (posted.json["soc_in_mwh"], posted.json["soc_udi_event_id"]) == (2.5, 203)


def test_post_without_unit_is_refused_not_assumed_mw(client, tokens, users, market_id, db):
    """The seed's example of the required fields has a unit; there is no default."""
    fields = seed_example(users["prosumer"].id, market_id)
    del fields["unit"]
    posted = client.post(f"{API}/assets", json=fields, headers=auth(tokens, "admin"))
    assert posted.status_code == 422, posted.json
    assert posted.json["status"] == "UNPROCESSABLE_ENTITY"
    assert posted.json["message"] == {"unit": ["Missing data for required field."]}
    assert count(db, Asset) == 0


def test_patch_without_unit_keeps_it(client, tokens, users, market_id):
    fields = seed_example(users["prosumer"].id, market_id)
    new_id = client.post(f"{API}/assets", json=fields, headers=auth(tokens, "admin")).json["id"]
    patched = client.patch(
        f"{API}/asset/{new_id}", json={"capacity_in_mw": 3.0}, headers=auth(tokens, "admin")
    )
    assert patched.status_code == 200, patched.json
    assert patched.json["unit"] == "kW"


def test_only_admins_post_assets(client, tokens, users, market_id, db):
    posted = client.post(
        f"{API}/assets",
        json=seed_example(users["prosumer"].id, market_id),
        headers=auth(tokens, "prosumer"),
    )
    assert posted.status_code == 403
    assert posted.json["status"] == "INVALID_SENDER"
    assert count(db, Asset) == 0


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"name": None}, "name", "Field may not be null."),
        ({"capacity_in_mw": "a lot"}, "capacity_in_mw", "Not a valid number."),
        ({"event_resolution": 2.5}, "event_resolution", "Not a valid number of minutes"),
        ({"event_resolution": 0}, "event_resolution", "Give between 1 and 1,440 minutes."),
        ({"event_resolution": 10**9}, "event_resolution", "Give between 1 and 1,440 minutes."),
        ({"event_resolution": 10**400}, "event_resolution", "Give between 1 and 1,440 minutes."),
        ({"capacity_in_mw": 10**400}, "capacity_in_mw", "Number too large."),
        ({"owner": "2"}, "owner", "Not a valid integer."),
        ({"latitude": 91}, "latitude", "Latitude 91.0 is out of range"),
        ({"longitude": -181}, "longitude", "Longitude -181.0 is out of range"),
        ({"capacity_in_mw": -1}, "capacity_in_mw", "must be a non-negative number"),
        ({"min_soc_in_mwh": 6}, "min_soc_in_mwh", "must not exceed max_soc_in_mwh"),
        ({"unit": "GW"}, "unit", "choose from: MW, kW"),
        ({"asset_type": "flux capacitor"}, "asset_type", "choose from: battery, "),
        ({"owner": 9999}, "owner", "There is no user with id 9999."),
        ({"market": 9999}, "market", "There is no market with id 9999; choose from: "),
        ({"soc_datetime": "2015-01-01T00:00:00"}, "soc_datetime", "Not a valid aware datetime"),
        ({"soc_in_mwh": -2}, "soc_in_mwh", "must be a non-negative number"),
        ({"colour": "red"}, "colour", "Unknown field."),
    ],
)
def test_post_invalid_asset(client, tokens, users, market_id, db, changes, field, message):
    fields = {**seed_example(users["prosumer"].id, market_id), **changes}
    posted = client.post(f"{API}/assets", json=fields, headers=auth(tokens, "admin"))
    assert posted.status_code == 422, posted.json
    assert posted.json["status"] == "UNPROCESSABLE_ENTITY"
    assert list(posted.json["message"]) == [field]
    assert message in posted.json["message"][field][0]
    assert count(db, Asset) == 0  # nothing half-made (e.g. an asset without its soc)


def test_post_names_every_missing_field(client, tokens):
    posted = client.post(f"{API}/assets", json={"market": 1}, headers=auth(tokens, "admin"))
    assert posted.status_code == 422
    assert sorted(posted.json["message"]) == [
        "asset_type",
        "capacity_in_mw",
        "event_resolution",
        "latitude",
        "longitude",
        "name",
        "owner",
        "unit",
    ]
    assert posted.json["message"]["name"] == ["Missing data for required field."]


def test_post_unknown_asset_type_names_the_choices(client, tokens, users, market_id):
    fields = {**seed_example(users["prosumer"].id, market_id), "asset_type": "flux"}
    posted = client.post(f"{API}/assets", json=fields, headers=auth(tokens, "admin"))
    message = posted.json["message"]["asset_type"][0]
    assert message.startswith("Unknown asset type 'flux'; choose from: ")
    assert "solar" in message and "charging_station" in message


def test_post_a_second_asset_of_the_same_name_and_owner(client, tokens, users, market_id):
    fields = seed_example(users["prosumer"].id, market_id)
    assert (
        client.post(f"{API}/assets", json=fields, headers=auth(tokens, "admin")).status_code == 201
    )
    again = client.post(f"{API}/assets", json=fields, headers=auth(tokens, "admin"))
    assert again.status_code == 422
    assert "already owns an asset named 'Test battery'" in again.json["message"]["name"][0]
    other_owner = {**fields, "owner": users["other_prosumer"].id}
    assert (
        client.post(f"{API}/assets", json=other_owner, headers=auth(tokens, "admin")).status_code
        == 201
    )


@pytest.mark.parametrize(
    "body, status",
    [
        (b"", "REQUIRED_INFO_MISSING"),
        (b"{not json", "INVALID_REQUEST"),
        (b"[1, 2]", "INVALID_REQUEST"),
    ],
)
def test_post_without_a_json_object(client, tokens, body, status):
    posted = client.post(
        f"{API}/assets",
        data=body,
        headers={**auth(tokens, "admin"), "Content-Type": "application/json"},
    )
    assert posted.status_code == 400
    assert posted.json["status"] == status


def test_post_ignores_an_id(client, tokens, users, market_id, assets):
    taken_id = assets["battery"].id
    fields = {**seed_example(users["prosumer"].id, market_id), "id": taken_id}
    posted = client.post(f"{API}/assets", json=fields, headers=auth(tokens, "admin"))
    assert posted.status_code == 201
    assert posted.json["id"] != taken_id


# GET /asset/<id>


def test_get_asset_owner_and_admin_only(client, tokens, assets):
    battery = assets["battery"]
    for user in ("prosumer", "admin"):
        got = client.get(f"{API}/asset/{battery.id}", headers=auth(tokens, user))
        assert got.status_code == 200
        assert got.json["id"] == battery.id and got.json["max_soc_in_mwh"] == 5
    refused = client.get(f"{API}/asset/{battery.id}", headers=auth(tokens, "other_prosumer"))
    assert refused.status_code == 403
    assert refused.json["status"] == "INVALID_SENDER"


def test_unknown_asset_is_not_found(client, tokens, assets):
    for method in ("get", "patch", "delete"):
        answered = getattr(client, method)(
            f"{API}/asset/999999", json={"latitude": 1}, headers=auth(tokens, "admin")
        )
        assert answered.status_code == 404, method
        assert answered.json["status"] == "UNRECOGNIZED_ASSET"
        assert answered.json["message"] == "There is no asset with id 999999."


def test_unexpected_query_parameters(client, tokens, assets):
    got = client.get(
        f"{API}/asset/{assets['battery'].id}",
        query_string={"fields": "all"},
        headers=auth(tokens, "prosumer"),
    )
    assert got.status_code == 400
    assert got.json["status"] == "UNEXPECTED_PARAMS"


def test_token_as_query_parameter_is_not_unexpected(client, tokens, assets):
    got = client.get(
        f"{API}/asset/{assets['battery'].id}", query_string={"auth_token": tokens["prosumer"]}
    )
    assert got.status_code == 200, got.json


# PATCH /asset/<id>


def test_patch_the_seed_example(client, tokens, assets, db):
    battery = assets["battery"]
    patched = client.patch(
        f"{API}/asset/{battery.id}",
        json={"latitude": 11.1, "longitude": 99.9},
        headers=auth(tokens, "prosumer"),
    )
    assert patched.status_code == 200, patched.json
    assert (patched.json["latitude"], patched.json["longitude"]) == (11.1, 99.9)
    assert patched.json["name"] == "battery" and patched.json["capacity_in_mw"] == 2
    db.session.expire_all()
    assert (db.session.get(Asset, battery.id).latitude, battery.longitude) == (11.1, 99.9)


def test_patch_every_field_kind(client, tokens, assets, db):
    battery = assets["battery"]
    changes = {
        "name": "big battery",
        "display_name": "Big battery",
        "asset_type": "charging_station",
        "unit": "kW",
        "event_resolution": 5,
        "capacity_in_mw": 4,
        "min_soc_in_mwh": 1,
        "max_soc_in_mwh": 10,
        "soc_in_mwh": 3,
        "soc_datetime": "2015-01-01T00:00:00+00:00",
        "soc_udi_event_id": 7,
    }
    patched = client.patch(
        f"{API}/asset/{battery.id}", json=changes, headers=auth(tokens, "prosumer")
    )
    assert patched.status_code == 200, patched.json
    assert {key: patched.json[key] for key in changes} == changes
    db.session.expire_all()
    assert db.session.get(Asset, battery.id).asset_type.name == "charging_station"


def test_patch_sending_back_a_fetched_asset(client, tokens, assets):
    battery = assets["battery"]
    fetched = client.get(f"{API}/asset/{battery.id}", headers=auth(tokens, "prosumer")).json
    patched = client.patch(
        f"{API}/asset/{battery.id}",
        json={**fetched, "id": 12345, "capacity_in_mw": 3},
        headers=auth(tokens, "prosumer"),
    )
    assert patched.status_code == 200, patched.json
    assert patched.json == {**fetched, "capacity_in_mw": 3}  # the id was ignored


def test_only_admins_change_owners(client, tokens, users, assets, db):
    battery = assets["battery"]
    new_owner = users["other_prosumer"].id
    refused = client.patch(
        f"{API}/asset/{battery.id}", json={"owner": new_owner}, headers=auth(tokens, "prosumer")
    )
    assert refused.status_code == 403
    assert refused.json["message"] == "Only admins may give an asset another owner."
    # The other prosumer owns an asset named "other battery" already.
    clash = client.patch(
        f"{API}/asset/{battery.id}",
        json={"owner": new_owner, "name": "other battery"},
        headers=auth(tokens, "admin"),
    )
    assert clash.status_code == 422
    assert "already owns an asset named 'other battery'" in clash.json["message"]["name"][0]
    moved = client.patch(
        f"{API}/asset/{battery.id}", json={"owner": new_owner}, headers=auth(tokens, "admin")
    )
    assert moved.status_code == 200 and moved.json["owner"] == new_owner
    now_theirs = client.get(f"{API}/asset/{battery.id}", headers=auth(tokens, "other_prosumer"))
    assert now_theirs.status_code == 200


def test_other_users_cannot_patch_or_delete(client, tokens, assets, db):
    battery = assets["battery"]
    for method in ("patch", "delete"):
        refused = getattr(client, method)(
            f"{API}/asset/{battery.id}",
            json={"latitude": 1},
            headers=auth(tokens, "other_prosumer"),
        )
        assert refused.status_code == 403 and refused.json["status"] == "INVALID_SENDER"
    db.session.expire_all()
    assert db.session.get(Asset, battery.id).latitude == 52


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"latitude": 11, "longitude": 999}, "longitude", "Longitude 999.0 is out of range"),
        ({"latitude": "north"}, "latitude", "Not a valid number."),
        ({"latitude": 11, "capacity_in_mw": None}, "capacity_in_mw", "Field may not be null."),
        ({"latitude": 11, "max_soc_in_mwh": -1}, "max_soc_in_mwh", "non-negative"),
        ({"latitude": 11, "min_soc_in_mwh": 8}, "min_soc_in_mwh", "must not exceed"),
        ({"latitude": 11, "market": 999999}, "market", "There is no market with id 999999"),
        ({"latitude": 11, "name": "solar"}, "name", "already owns an asset named 'solar'"),
        ({"latitude": 11, "name": " "}, "name", "needs a name"),
        ({"latitude": 11, "display_name": "x" * 81}, "display_name", "Longer than maximum"),
        ({"latitude": 11, "asset_type": "?"}, "asset_type", "Unknown asset type '?'"),
    ],
)
def test_invalid_patch_changes_nothing(client, tokens, assets, db, changes, field, message):
    battery = assets["battery"]
    patched = client.patch(
        f"{API}/asset/{battery.id}", json=changes, headers=auth(tokens, "prosumer")
    )
    assert patched.status_code == 422, patched.json
    assert list(patched.json["message"]) == [field]
    assert message in patched.json["message"][field][0]
    db.session.expire_all()
    assert db.session.get(Asset, battery.id).latitude == 52


def test_unit_and_resolution_only_change_without_data(client, tokens, assets, beliefs):
    battery, solar = assets["battery"], assets["solar"]
    for changes in ({"unit": "kW"}, {"event_resolution": 5}):
        refused = client.patch(
            f"{API}/asset/{battery.id}", json=changes, headers=auth(tokens, "prosumer")
        )
        assert refused.status_code == 422
        [field] = changes
        assert "cannot change while it has data" in refused.json["message"][field][0]
    unchanged = client.patch(
        f"{API}/asset/{solar.id}",
        json={"unit": "MW", "event_resolution": 15},
        headers=auth(tokens, "prosumer"),
    )
    assert unchanged.status_code == 200


@pytest.mark.parametrize(
    "body, status", [(b"", "REQUIRED_INFO_MISSING"), (b"1", "INVALID_REQUEST")]
)
def test_patch_without_a_json_object(client, tokens, assets, body, status):
    patched = client.patch(
        f"{API}/asset/{assets['battery'].id}",
        data=body,
        headers={**auth(tokens, "prosumer"), "Content-Type": "application/json"},
    )
    assert patched.status_code == 400 and patched.json["status"] == status


# DELETE /asset/<id>


def test_delete_asset_with_its_data(client, tokens, assets, beliefs, db):
    battery, solar = assets["battery"], assets["solar"]
    deleted = client.delete(f"{API}/asset/{battery.id}", headers=auth(tokens, "prosumer"))
    assert deleted.status_code == 204
    assert deleted.data == b""
    assert count(db, TimedBelief, sensor_id=battery.id) == 0
    assert count(db, TimedBelief, sensor_id=solar.id) == beliefs["solar"]
    assert client.get(f"{API}/asset/{battery.id}", headers=auth(tokens, "admin")).status_code == 404
    listed = client.get(f"{API}/assets", headers=auth(tokens, "prosumer"))
    assert [a["name"] for a in listed.json] == ["solar"]


def test_admin_deletes_any_asset(client, tokens, assets, db):
    other = assets["other battery"]
    assert (
        client.delete(f"{API}/asset/{other.id}", headers=auth(tokens, "admin")).status_code == 204
    )
    assert db.session.get(Asset, other.id) is None


# Versioning


def test_unsupported_method_is_usef_json(client, tokens, assets):
    answered = client.put(f"{API}/asset/{assets['battery'].id}", headers=auth(tokens, "admin"))
    assert answered.status_code == 405
    assert answered.json["status"] == "INVALID_METHOD"
    assert set(answered.headers["Allow"].split(", ")) >= {"GET", "PATCH", "DELETE"}


def test_rest_endpoints_are_v2_only(client, tokens, assets):
    answered = client.get("/api/v1_3/assets", headers=auth(tokens, "admin"))
    assert answered.status_code == 404


def test_a_derived_version_inherits_the_rest_endpoints(app):
    v2_9 = v2_0.derive("v2_9", "2.9", add_blueprints=[Blueprint("extra", __name__)])
    fresh = Flask("derived")
    v2_9.register(fresh)
    rules = {rule.rule for rule in fresh.url_map.iter_rules()}
    assert {"/api/v2_9/assets", "/api/v2_9/asset/<int:asset_id>", "/api/v2_9/users"} <= rules
    assert [bp.name for bp in v2_9.blueprints] == ["assets", "users", "charts", "extra"]
    assert "/api/v2_9/charts/power" in rules


def test_soc_datetime_is_stored_in_utc(client, tokens, assets, db):
    battery = assets["battery"]
    client.patch(
        f"{API}/asset/{battery.id}",
        json={"soc_datetime": "2015-06-01T12:00:00+02:00"},
        headers=auth(tokens, "prosumer"),
    )
    db.session.expire_all()
    assert db.session.get(Asset, battery.id).soc_datetime == datetime(2015, 6, 1, 10, tzinfo=UTC)
