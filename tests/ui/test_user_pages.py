"""User administration and the account page (Flask test client)."""

from __future__ import annotations

import re
from datetime import timedelta

from flexmeasures.data.models import Asset, User
from flexmeasures.ui.views.account import token_lifetime_in_hours
from tests.ui.conftest import log_in


def usernames_listed(page: str) -> list[str]:
    """The usernames in the user list, in order."""
    return re.findall(r'<td><a href="/users/\d+">([^<]*)</a></td>', page)


def test_only_admins_see_users_and_the_menu_shows_them_only_to_admins(client, users):
    log_in(client, users["prosumer"].email)
    assert client.get("/users").status_code == 403
    assert client.get(f"/users/{users['admin'].id}").status_code == 403
    assert 'href="/users"' not in client.get("/").get_data(as_text=True)
    client.post("/logout")
    log_in(client, users["admin"].email)
    page = client.get("/users").get_data(as_text=True)
    assert usernames_listed(page) == ["admin", "mdc", "other_prosumer", "prosumer"]
    assert '<a href="/users">Users</a>' in client.get("/").get_data(as_text=True)


def test_deactivated_users_show_only_with_the_inactive_toggle(client, users, db):
    log_in(client, users["admin"].email)
    response = client.post(f"/users/{users['mdc'].id}/active")
    assert response.status_code == 302
    db.session.refresh(users["mdc"])
    assert not users["mdc"].active
    assert "mdc" not in usernames_listed(client.get("/users").get_data(as_text=True))
    with_inactive = client.get("/users?include_inactive=1").get_data(as_text=True)
    assert "mdc" in usernames_listed(with_inactive)
    client.post(f"/users/{users['mdc'].id}/active")  # reactivate
    db.session.refresh(users["mdc"])
    assert users["mdc"].active


def test_admins_cannot_deactivate_or_delete_themselves(client, users, db):
    log_in(client, users["admin"].email)
    assert client.post(f"/users/{users['admin'].id}/active").status_code == 403
    assert client.post(f"/users/{users['admin'].id}/delete").status_code == 403
    db.session.refresh(users["admin"])
    assert users["admin"].active


def test_resetting_a_password_logs_the_user_out_everywhere(client, users, db):
    uniquifier = users["prosumer"].fs_uniquifier
    log_in(client, users["admin"].email)
    response = client.post(f"/users/{users['prosumer'].id}/reset-password")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "was reset; they got an email" in page
    db.session.refresh(users["prosumer"])
    assert users["prosumer"].fs_uniquifier != uniquifier


def test_deleting_a_user_asks_first_then_deletes_their_assets(client, assets, users, db):
    prosumer_id = users["prosumer"].id
    log_in(client, users["admin"].email)
    confirm = client.get(f"/users/{prosumer_id}/delete").get_data(as_text=True)
    assert "cannot be undone" in confirm
    assert client.post(f"/users/{prosumer_id}/delete").status_code == 302
    db.session.expunge_all()
    assert db.session.get(User, prosumer_id) is None
    assert db.session.get(Asset, assets["battery"].id) is None


def test_unknown_user_gets_a_page_saying_so(client, users):
    log_in(client, users["admin"].email)
    response = client.get("/users/424242")
    assert response.status_code == 404
    assert "There is no user with id 424242." in response.get_data(as_text=True)


def test_account_page_shows_roles_and_assets_and_creates_a_working_token(client, assets, users):
    log_in(client, users["prosumer"].email)
    page = client.get("/account").get_data(as_text=True)
    assert "Prosumer" in page
    assert "home battery" in page and "north wind" not in page
    assert 'id="auth-token"' not in page
    assert "A token stops working after 6 hours" in page
    page = client.post("/account").get_data(as_text=True)
    token = re.search(r'id="auth-token" readonly value="([^"]+)"', page).group(1)
    client.post("/logout")
    answer = client.get("/api/v2_0/assets", headers={"Authorization": token})
    assert answer.status_code == 200
    assert {asset["name"] for asset in answer.json} == {"home battery", "roof solar"}


def test_token_lifetime_is_shown_in_hours_whatever_its_type():
    assert token_lifetime_in_hours(timedelta(hours=6)) == "6"
    assert token_lifetime_in_hours(1800) == "0.5"
    assert token_lifetime_in_hours(timedelta(days=100)) == "2400"
