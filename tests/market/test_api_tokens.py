"""The marketplace's OAuth2 token endpoint and who may trade."""

from __future__ import annotations

import pytest
from flask import Flask

from flexmeasures.cli import cli
from flexmeasures.market.tokens import issue_tokens, may_trade, user_for_access_token

from .conftest import CLIENT_ID, TOKEN_URL, password_grant


def test_password_grant_answers_a_bearer_token_pair(client, traders):
    response = password_grant(client, "seller")
    assert response.status_code == 200
    body = response.get_json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert user_for_access_token(body["access_token"]) == traders["seller"]
    # the refresh token is no access token
    assert user_for_access_token(body["refresh_token"]) is None


def test_email_works_as_username(client, traders):
    assert password_grant(client, "Seller@Market.example.com").status_code == 200


@pytest.mark.parametrize(
    "form, status, error",
    [
        (
            {"grant_type": "password", "username": "seller", "password": "wrong-password"},
            401,
            "invalid_grant",
        ),
        (
            {"grant_type": "password", "username": "nobody", "password": "testing-password"},
            401,
            "invalid_grant",
        ),
        ({"grant_type": "password", "username": "seller"}, 400, "invalid_request"),
        ({"grant_type": "client_credentials"}, 400, "unsupported_grant_type"),
        ({"grant_type": "refresh_token", "refresh_token": "forged"}, 401, "invalid_grant"),
        ({"grant_type": "refresh_token"}, 400, "invalid_request"),
    ],
)
def test_bad_token_requests_are_refused(client, traders, form, status, error):
    response = client.post(TOKEN_URL, data={"client_id": CLIENT_ID, **form})
    assert response.status_code == status
    assert response.get_json()["error"] == error


def test_unknown_client_is_refused(client, traders):
    response = client.post(
        TOKEN_URL,
        data={
            "client_id": "other",
            "grant_type": "password",
            "username": "seller",
            "password": "testing-password",
        },
    )
    assert response.status_code == 401
    assert response.get_json()["error"] == "invalid_client"


def test_refresh_token_gets_a_new_working_pair(client, traders):
    first = password_grant(client, "buyer").get_json()
    response = client.post(
        TOKEN_URL,
        data={
            "client_id": CLIENT_ID,
            "grant_type": "refresh_token",
            "refresh_token": first["refresh_token"],
        },
    )
    assert response.status_code == 200
    second = response.get_json()
    assert second["access_token"] != first["access_token"]
    assert user_for_access_token(second["access_token"]) == traders["buyer"]


def test_tokens_expire(app: Flask, db, traders, monkeypatch):
    tokens = issue_tokens(traders["seller"])
    monkeypatch.setitem(app.config, "FLEXMEASURES_MARKET_ACCESS_TOKEN_TTL", -1)
    assert user_for_access_token(tokens["access_token"]) is None


def test_a_new_password_revokes_tokens(db, traders):
    tokens = issue_tokens(traders["seller"])
    traders["seller"].fs_uniquifier = "changed"
    assert user_for_access_token(tokens["access_token"]) is None


def test_traders_and_admins_may_trade(traders):
    assert may_trade(traders["seller"]) and may_trade(traders["admin"])
    assert not may_trade(traders["prosumer"]) and not may_trade(None)


def test_a_trader_added_with_the_cli_gets_a_token_and_may_trade(app, client, db):
    runner = app.test_cli_runner()
    result = runner.invoke(
        cli,
        [
            "add",
            "user",
            "--username",
            "carol",
            "--email",
            "carol@example.com",
            "--roles",
            "trader",
            "--password",
            "a-long-password",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "trader" in result.output
    token = password_grant(client, "carol", "a-long-password").get_json()["access_token"]
    assert may_trade(user_for_access_token(token))
