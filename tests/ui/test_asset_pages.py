"""Asset pages: list (paged, filtered), view, create, edit and delete (Flask test client)."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from flexmeasures.data.models import Asset, TimedBelief
from tests.factories import make_asset
from tests.ui.conftest import hours_ago, log_in, measure


def asset_names_listed(page: str) -> list[str]:
    """The asset names in the list's table, in order."""
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in page else ""
    return re.findall(r'<td><a href="/assets/\d+">([^<]*)</a></td>', body)


def form_values(asset: Asset, **changes) -> dict:
    """The edit form's values for an asset, with some changed."""
    values = {
        "name": asset.name,
        "display_name": asset.display_name,
        "asset_type_name": asset.asset_type_name,
        "owner_id": asset.owner_id,
        "market_id": asset.market_id or "",
        "unit": asset.unit,
        "capacity_in_mw": asset.capacity_in_mw,
        "event_resolution": 15,
        "latitude": asset.latitude,
        "longitude": asset.longitude,
        "timezone": asset.timezone,
    }
    return {**values, **changes}


def test_users_see_only_their_own_assets_admins_all(client, assets, users):
    log_in(client, users["prosumer"].email)
    assert asset_names_listed(client.get("/assets").get_data(as_text=True)) == [
        "home battery",
        "roof solar",
    ]
    assert client.get(f"/assets/{assets['wind'].id}").status_code == 403
    client.post("/logout")
    log_in(client, users["admin"].email)
    page = client.get("/assets").get_data(as_text=True)
    assert len(asset_names_listed(page)) == 3


def test_the_list_is_paged_and_filtered(client, structure, users, db):
    for number in range(12):
        make_asset(users["prosumer"], f"battery {number:02d}")
    make_asset(users["prosumer"], "sunny roof", "solar")
    log_in(client, users["prosumer"].email)
    first = client.get("/assets").get_data(as_text=True)
    assert len(asset_names_listed(first)) == 10
    assert "Showing 1 to 10 of 13 assets" in first
    second = client.get("/assets?page=2").get_data(as_text=True)
    assert asset_names_listed(second) == ["battery 10", "battery 11", "sunny roof"]
    assert asset_names_listed(client.get("/assets?q=SOLAR").get_data(as_text=True)) == [
        "sunny roof"
    ]
    filtered = client.get("/assets?q=battery&per_page=25").get_data(as_text=True)
    assert len(asset_names_listed(filtered)) == 12
    for bad in ["page=-3", "page=x&per_page=7", "page=99"]:  # never an error
        assert client.get(f"/assets?{bad}").status_code == 200


def test_asset_page_shows_latest_state_api_info_and_location(client, assets, users):
    battery = assets["battery"]
    measure(battery, {hours_ago(3): 0.5})
    log_in(client, users["prosumer"].email)
    page = client.get(f"/assets/{battery.id}").get_data(as_text=True)
    assert "0.500 MW" in page
    assert f"ea1.2018-06.localhost:{users['prosumer'].id}:{battery.id}" in page
    assert re.search(r'<input id="latitude" [^>]*value="52.1"', page)
    assert '<label for="latitude">Latitude</label>' in page
    assert 'href="/analytics?asset=' in page


def test_unknown_asset_gets_a_page_saying_so(client, users, db):
    log_in(client, users["admin"].email)
    response = client.get("/assets/987654")
    assert response.status_code == 404
    assert "There is no asset with id 987654." in response.get_data(as_text=True)


def test_editing_an_asset_saves_valid_changes(client, assets, users, db):
    battery = assets["battery"]
    log_in(client, users["prosumer"].email)
    changes = form_values(battery, display_name="Big battery", latitude=33.5, longitude=126.5)
    changes["owner_id"] = users["other_prosumer"].id  # ignored: only admins choose owners
    response = client.post(f"/assets/{battery.id}", data=changes)
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.refresh(battery)
    assert (battery.display_name, battery.latitude, battery.longitude) == (
        "Big battery",
        33.5,
        126.5,
    )
    assert battery.owner_id == users["prosumer"].id


def test_invalid_changes_are_shown_at_their_field_and_nothing_is_saved(client, assets, users, db):
    battery = assets["battery"]
    log_in(client, users["admin"].email)
    taken = form_values(battery, name="roof solar", latitude=12)  # the owner has that name
    response = client.post(f"/assets/{battery.id}", data=taken)
    assert response.status_code == 200
    assert "already owns an asset named" in response.get_data(as_text=True)
    out_of_range = client.post(f"/assets/{battery.id}", data=form_values(battery, latitude=91))
    assert "Number must be between -90 and 90" in out_of_range.get_data(as_text=True)
    no_number = client.post(f"/assets/{battery.id}", data=form_values(battery, capacity_in_mw="x"))
    assert no_number.status_code == 200
    assert "Not a valid float value." in no_number.get_data(as_text=True)
    db.session.refresh(battery)
    assert (battery.name, battery.latitude) == ("home battery", 52.1)


def test_only_admins_create_assets(client, structure, users, db):
    log_in(client, users["prosumer"].email)
    assert client.get("/assets/new").status_code == 403
    client.post("/logout")
    log_in(client, users["admin"].email)
    assert client.get("/assets/new").status_code == 200
    new = {
        "name": "Jeju PV",
        "asset_type_name": "solar",
        "owner_id": users["prosumer"].id,
        "market_id": "",
        "unit": "MW",
        "capacity_in_mw": 0.66,
        "event_resolution": 15,
        "latitude": 33.52,
        "longitude": 126.86,
    }
    response = client.post("/assets/new", data=new)
    assert response.status_code == 302, response.get_data(as_text=True)
    asset = db.session.scalar(select(Asset).filter_by(name="Jeju PV"))
    assert response.headers["Location"] == f"/assets/{asset.id}"
    assert (asset.owner_id, asset.asset_type_name, asset.display_name) == (
        users["prosumer"].id,
        "solar",
        "Jeju PV",
    )
    assert asset.market_id is None  # "(no market)" was chosen, not the default epex_da


def test_the_new_asset_form_offers_the_default_market(client, structure, users, db):
    log_in(client, users["admin"].email)
    page = client.get("/assets/new").get_data(as_text=True)
    assert re.search(r'<option selected value="\d+">EPEX SPOT day-ahead market</option>', page)


def test_deleting_asks_for_confirmation_then_deletes_the_data(client, assets, users, db):
    battery_id = assets["battery"].id
    measure(assets["battery"], {hours_ago(3): 0.5})
    log_in(client, users["prosumer"].email)
    confirm = client.get(f"/assets/{battery_id}/delete")
    assert confirm.status_code == 200
    assert "cannot be undone" in confirm.get_data(as_text=True)
    assert db.session.get(Asset, battery_id) is not None  # nothing deleted by asking
    response = client.post(f"/assets/{battery_id}/delete")
    assert response.status_code == 302
    assert response.headers["Location"] == "/assets"
    db.session.expunge_all()
    assert db.session.get(Asset, battery_id) is None
    beliefs = select(func.count()).where(TimedBelief.sensor_id == battery_id)
    assert db.session.scalar(beliefs) == 0


def test_others_cannot_delete_an_asset(client, assets, users, db):
    log_in(client, users["prosumer"].email)
    assert client.post(f"/assets/{assets['wind'].id}/delete").status_code == 403
    assert db.session.get(Asset, assets["wind"].id) is not None
