"""CORS: only the configured origins may call the API (and only the API) from a browser."""

from __future__ import annotations

import pytest
from flask import Flask

from flexmeasures.app import create_app
from tests.conftest import TEST_DATABASE_URI

ALLOWED = "https://example.com"
OTHER = "https://elsewhere.example.org"


@pytest.fixture(scope="module")
def cors_app() -> Flask:
    """An app that allows cross-origin API calls from ALLOWED only (no database use)."""
    return create_app(
        "testing",
        settings={"SQLALCHEMY_DATABASE_URI": TEST_DATABASE_URI, "CORS_ORIGINS": [ALLOWED]},
    )


def test_allowed_origin_may_call_the_api(cors_app):
    response = cors_app.test_client().get("/api/", headers={"Origin": ALLOWED})
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED
    assert response.headers["Access-Control-Allow-Credentials"] == "true"


def test_other_origin_gets_no_cors_headers(cors_app):
    response = cors_app.test_client().get("/api/", headers={"Origin": OTHER})
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response.headers


def test_cors_is_limited_to_api_paths(cors_app):
    response = cors_app.test_client().get("/login", headers={"Origin": ALLOWED})
    assert "Access-Control-Allow-Origin" not in response.headers


def test_preflight_allows_posting_json_with_a_token(cors_app):
    response = cors_app.test_client().options(
        "/api/requestAuthToken",
        headers={
            "Origin": ALLOWED,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Content-Type, Authorization",
        },
    )
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED
    allowed_headers = response.headers["Access-Control-Allow-Headers"].lower()
    assert "authorization" in allowed_headers and "content-type" in allowed_headers
    assert "POST" in response.headers["Access-Control-Allow-Methods"]


def test_no_origin_is_allowed_by_default():
    app = create_app("testing", settings={"SQLALCHEMY_DATABASE_URI": TEST_DATABASE_URI})
    assert app.config["CORS_ORIGINS"] == []
    response = app.test_client().get("/api/", headers={"Origin": ALLOWED})
    assert "Access-Control-Allow-Origin" not in response.headers
