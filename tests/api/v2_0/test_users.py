"""REST endpoints for users (API v2.0): listing, getting, changing, password reset."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from flexmeasures.data.models.user import Role, User
from flexmeasures.data.services.users import deactivate_user
from tests.conftest import TEST_PASSWORD

API = "/api/v2_0"


def auth(tokens: dict[str, str], user: str) -> dict[str, str]:
    return {"Authorization": tokens[user]}


def role_id(db, name: str) -> int:
    return db.session.scalar(select(Role.id).filter_by(name=name))


def can_log_in(client, email: str, password: str = TEST_PASSWORD) -> bool:
    answer = client.post("/api/requestAuthToken", json={"email": email, "password": password})
    return answer.status_code == 200


def token_works(client, token: str) -> bool:
    return client.get(f"{API}/assets", headers={"Authorization": token}).status_code == 200


# GET /users


def test_admin_lists_active_users(client, tokens, users, db):
    deactivate_user(users["mdc"])
    db.session.commit()
    listed = client.get(f"{API}/users", headers=auth(tokens, "admin"))
    assert listed.status_code == 200
    assert [u["username"] for u in listed.json] == ["admin", "prosumer", "other_prosumer"]
    everyone = client.get(
        f"{API}/users", query_string={"include_inactive": "true"}, headers=auth(tokens, "admin")
    )
    assert [u["username"] for u in everyone.json][-1] == "mdc"
    assert everyone.json[-1]["active"] is False


def test_user_looks_like_the_seed_example(client, tokens, users, db):
    prosumer = users["prosumer"]
    got = client.get(f"{API}/user/{prosumer.id}", headers=auth(tokens, "admin"))
    assert got.status_code == 200
    assert got.json == {
        "active": True,
        "email": "prosumer@seita.nl",
        "flexmeasures_roles": [role_id(db, "Prosumer")],
        "id": prosumer.id,
        "timezone": "Europe/Amsterdam",
        "username": "prosumer",
    }


def test_only_admins_list_users(client, tokens, users):
    refused = client.get(f"{API}/users", headers=auth(tokens, "prosumer"))
    assert refused.status_code == 403
    assert refused.json["status"] == "INVALID_SENDER"
    assert client.get(f"{API}/users").status_code == 401


@pytest.mark.parametrize(
    "query, status",
    [({"include_inactive": "perhaps"}, 422), ({"active": "false"}, 400)],
)
def test_list_users_with_bad_query(client, tokens, users, query, status):
    listed = client.get(f"{API}/users", query_string=query, headers=auth(tokens, "admin"))
    assert listed.status_code == status
    if status == 422:
        assert listed.json["message"] == {"include_inactive": ["Not a valid boolean."]}


# GET /user/<id>


def test_users_see_themselves_only(client, tokens, users):
    prosumer, other = users["prosumer"], users["other_prosumer"]
    own = client.get(f"{API}/user/{prosumer.id}", headers=auth(tokens, "prosumer"))
    assert own.status_code == 200 and own.json["email"] == "prosumer@seita.nl"
    refused = client.get(f"{API}/user/{other.id}", headers=auth(tokens, "prosumer"))
    assert refused.status_code == 403 and refused.json["status"] == "INVALID_SENDER"
    assert client.get(f"{API}/user/{prosumer.id}").status_code == 401


def test_unknown_user_is_not_found(client, tokens, users):
    for method, path in [
        ("get", "/user/999999"),
        ("patch", "/user/999999"),
        ("patch", "/user/999999/password-reset"),
    ]:
        answered = getattr(client, method)(
            API + path, json={"timezone": "UTC"}, headers=auth(tokens, "admin")
        )
        assert answered.status_code == 404, path
        assert answered.json["status"] == "UNRECOGNIZED_USER"


# PATCH /user/<id>


def test_users_change_their_username_and_timezone(client, tokens, users, db):
    prosumer = users["prosumer"]
    patched = client.patch(
        f"{API}/user/{prosumer.id}",
        json={"username": "Test Prosumer", "timezone": "Asia/Seoul"},
        headers=auth(tokens, "prosumer"),
    )
    assert patched.status_code == 200, patched.json
    assert (patched.json["username"], patched.json["timezone"]) == ("Test Prosumer", "Asia/Seoul")
    db.session.expire_all()
    assert db.session.get(User, prosumer.id).data_source.name == "Test Prosumer"


def test_users_send_back_what_they_got(client, tokens, users):
    prosumer = users["prosumer"]
    fetched = client.get(f"{API}/user/{prosumer.id}", headers=auth(tokens, "prosumer")).json
    patched = client.patch(
        f"{API}/user/{prosumer.id}",
        json={**fetched, "timezone": "UTC"},
        headers=auth(tokens, "prosumer"),
    )
    assert patched.status_code == 200, patched.json
    assert patched.json == {**fetched, "timezone": "UTC"}


@pytest.mark.parametrize(
    "changes, refused",
    [
        ({"email": "me@example.com"}, "email"),
        ({"active": False}, "active"),
        ({"flexmeasures_roles": []}, "flexmeasures_roles"),
    ],
)
def test_users_cannot_change_other_fields_of_themselves(
    client, tokens, users, db, changes, refused
):
    prosumer = users["prosumer"]
    patched = client.patch(
        f"{API}/user/{prosumer.id}",
        json={"timezone": "UTC", **changes},
        headers=auth(tokens, "prosumer"),
    )
    assert patched.status_code == 403
    assert patched.json["status"] == "INVALID_SENDER"
    assert patched.json["message"].startswith(f"You may not change {refused} of this user.")
    db.session.expire_all()
    assert db.session.get(User, prosumer.id).timezone == "Europe/Amsterdam"


@pytest.mark.parametrize("role_id", [0, 2**31, 10**30])
def test_role_ids_outside_the_id_range_are_field_errors(client, tokens, users, role_id):
    """Refused as a field error before the database (no "conflicts with stored data")."""
    patched = client.patch(
        f"{API}/user/{users['mdc'].id}",
        json={"flexmeasures_roles": [role_id]},
        headers=auth(tokens, "admin"),
    )
    assert patched.status_code == 422
    assert patched.json["status"] == "UNPROCESSABLE_ENTITY"
    assert list(patched.json["message"]) == ["flexmeasures_roles"]


def test_users_cannot_patch_others(client, tokens, users):
    other = users["other_prosumer"]
    patched = client.patch(
        f"{API}/user/{other.id}", json={"timezone": "UTC"}, headers=auth(tokens, "prosumer")
    )
    assert patched.status_code == 403


def test_admin_deactivates_a_user_whose_tokens_stop_working(client, tokens, users, db):
    prosumer = users["prosumer"]
    assert token_works(client, tokens["prosumer"])
    patched = client.patch(
        f"{API}/user/{prosumer.id}", json={"active": False}, headers=auth(tokens, "admin")
    )
    assert patched.status_code == 200, patched.json
    assert patched.json["active"] is False
    assert not token_works(client, tokens["prosumer"])
    assert not can_log_in(client, "prosumer@seita.nl")
    reactivated = client.patch(
        f"{API}/user/{prosumer.id}", json={"active": True}, headers=auth(tokens, "admin")
    )
    assert reactivated.json["active"] is True
    assert can_log_in(client, "prosumer@seita.nl")


def test_admin_changes_email_and_roles(client, tokens, users, db):
    mdc = users["mdc"]
    new_roles = [role_id(db, "Prosumer"), role_id(db, "MDC")]
    patched = client.patch(
        f"{API}/user/{mdc.id}",
        json={"email": " MDC2@Seita.nl", "flexmeasures_roles": new_roles},
        headers=auth(tokens, "admin"),
    )
    assert patched.status_code == 200, patched.json
    assert patched.json["email"] == "MDC2@seita.nl"
    assert patched.json["flexmeasures_roles"] == sorted(new_roles)
    assert can_log_in(client, "MDC2@seita.nl")


@pytest.mark.parametrize("changes", [{"active": False}, {"flexmeasures_roles": []}])
def test_admins_cannot_lock_themselves_out(client, tokens, users, changes):
    admin = users["admin"]
    patched = client.patch(f"{API}/user/{admin.id}", json=changes, headers=auth(tokens, "admin"))
    assert patched.status_code == 403
    assert token_works(client, tokens["admin"])


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"timezone": "Mars/Olympus"}, "timezone", "Unknown time zone 'Mars/Olympus'"),
        ({"email": "not-an-address"}, "email", "Invalid email address 'not-an-address'"),
        ({"email": "prosumer@seita.nl"}, "email", "already exists"),
        ({"username": "prosumer"}, "username", "already exists"),
        ({"username": "  "}, "username", "A username needs 1 to 255 characters."),
        ({"flexmeasures_roles": [999999]}, "flexmeasures_roles", "Unknown role id(s) 999999"),
        ({"flexmeasures_roles": ["admin"]}, "flexmeasures_roles", "Not a valid integer."),
        ({"active": "no"}, "active", "Not a valid boolean."),
        ({"password": "secret-secret"}, "password", "Unknown field."),
    ],
)
def test_invalid_user_patch_changes_nothing(client, tokens, users, db, changes, field, message):
    mdc = users["mdc"]
    patched = client.patch(
        f"{API}/user/{mdc.id}", json={"timezone": "UTC", **changes}, headers=auth(tokens, "admin")
    )
    assert patched.status_code == 422, patched.json
    assert list(patched.json["message"]) == [field]
    assert message in str(patched.json["message"][field])
    db.session.expire_all()
    assert db.session.get(User, mdc.id).timezone == "Europe/Amsterdam"


def test_unknown_role_names_the_choices(client, tokens, users, db):
    patched = client.patch(
        f"{API}/user/{users['mdc'].id}",
        json={"flexmeasures_roles": [999999]},
        headers=auth(tokens, "admin"),
    )
    assert f"{role_id(db, 'admin')} (admin)" in patched.json["message"]["flexmeasures_roles"][0]


@pytest.mark.parametrize(
    "body, status", [(b"", "REQUIRED_INFO_MISSING"), (b"[]", "INVALID_REQUEST")]
)
def test_patch_user_without_a_json_object(client, tokens, users, body, status):
    patched = client.patch(
        f"{API}/user/{users['mdc'].id}",
        data=body,
        headers={**auth(tokens, "admin"), "Content-Type": "application/json"},
    )
    assert patched.status_code == 400 and patched.json["status"] == status


# PATCH /user/<id>/password-reset


def test_password_reset_mails_the_user_and_invalidates_tokens(app: Flask, client, tokens, users):
    prosumer = users["prosumer"]
    with app.extensions["mail"].record_messages() as outbox:
        reset = client.patch(
            f"{API}/user/{prosumer.id}/password-reset", headers=auth(tokens, "admin")
        )
    assert reset.status_code == 200, reset.json
    assert reset.json["status"] == "PROCESSED"
    [mail] = outbox
    assert mail.recipients == ["prosumer@seita.nl"]
    assert "/reset/" in mail.body  # the link to choose a new password
    assert not token_works(client, tokens["prosumer"])
    assert not can_log_in(client, "prosumer@seita.nl")
    assert token_works(client, tokens["other_prosumer"])


def test_the_reset_link_lets_the_user_choose_a_new_password(app: Flask, client, tokens, users):
    with app.extensions["mail"].record_messages() as outbox:
        client.patch(f"{API}/user/{users['mdc'].id}/password-reset", headers=auth(tokens, "admin"))
    link = next(word for word in outbox[0].body.split() if "/reset/" in word)
    new_password = "a-new-password-1"
    chosen = client.post(
        link.split("localhost", 1)[1],
        data={"password": new_password, "password_confirm": new_password},
    )
    assert chosen.status_code in (200, 302)
    assert can_log_in(client, "mdc@seita.nl", new_password)


def test_only_admins_reset_passwords(app: Flask, client, tokens, users):
    with app.extensions["mail"].record_messages() as outbox:
        refused = client.patch(
            f"{API}/user/{users['prosumer'].id}/password-reset", headers=auth(tokens, "prosumer")
        )
    assert refused.status_code == 403 and refused.json["status"] == "INVALID_SENDER"
    assert outbox == []
    assert token_works(client, tokens["prosumer"])


def test_password_is_kept_when_the_mail_cannot_be_sent(
    app: Flask, client, tokens, users, monkeypatch
):
    def refuse(message):
        raise ConnectionRefusedError("no mail server at localhost:25")

    monkeypatch.setattr(app.extensions["mail"], "send", refuse)
    reset = client.patch(
        f"{API}/user/{users['prosumer'].id}/password-reset", headers=auth(tokens, "admin")
    )
    assert reset.status_code == 503
    assert "could not be sent" in reset.json["message"]
    assert token_works(client, tokens["prosumer"])
    assert can_log_in(client, "prosumer@seita.nl")
