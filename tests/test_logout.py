"""Logging out from a page: the layout's "Log out" is a form that posts to Flask-Security's
POST-only /logout, with the CSRF token of the session."""

from __future__ import annotations

import re

import pytest

from tests.conftest import TEST_PASSWORD

CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
LOGOUT_FORM = re.compile(r'<form class="logout" action="([^"]+)" method="(\w+)">(.*?)</form>', re.S)


def csrf_token_in(page: str) -> str:
    """The value of the first CSRF token field in a page ("" if it has none)."""
    match = CSRF_INPUT.search(page)
    return match.group(1) if match else ""


def log_in(client, email: str) -> None:
    """Log in with the login page's form, as a browser does (CSRF token included, if any)."""
    token = csrf_token_in(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login", data={"email": email, "password": TEST_PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302, response.get_data(as_text=True)


def logout_form(page: str) -> tuple[str, str, dict[str, str]]:
    """The action, method and hidden fields of the page's "Log out" form."""
    match = LOGOUT_FORM.search(page)
    assert match, "the page has no log-out form"
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', match.group(3)))
    return match.group(1), match.group(2), fields


@pytest.mark.parametrize("csrf", [False, True], ids=["csrf off", "csrf on"])
def test_log_out_with_the_layouts_form(app, client, users, monkeypatch, csrf):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", csrf)
    monkeypatch.setitem(app.config, "SECURITY_LOGOUT_CSRF", csrf)
    log_in(client, "prosumer@seita.nl")
    dashboard = client.get("/")
    assert dashboard.status_code == 200
    page = dashboard.get_data(as_text=True)
    assert 'href="/logout"' not in page  # a link would be a GET, which /logout refuses (405)

    action, method, fields = logout_form(page)
    assert (action, method) == ("/logout", "post")
    response = client.post(action, data=fields)

    assert response.status_code == 302
    after = client.get("/")
    assert after.status_code == 302 and "/login" in after.headers["Location"]


def test_log_out_without_the_token_is_refused_when_csrf_is_on(app, client, users, monkeypatch):
    """The form's token is what makes it work: without it, the user stays logged in."""
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    monkeypatch.setitem(app.config, "SECURITY_LOGOUT_CSRF", True)
    log_in(client, "prosumer@seita.nl")
    client.post("/logout", data={})
    assert client.get("/").status_code == 200
