"""The marketplace's HTTP API (GLocalFlex-compatible), registered at the root of the app:
the OAuth2 token endpoint ``/auth/oauth/v2/token`` and the REST routes under ``/api/v1/``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, jsonify, request

from flexmeasures.market import models, outbox  # registers the tables with the metadata
from flexmeasures.market.tokens import TokenError, grant

market_api = Blueprint("market_api", __name__)

__all__ = ["market_api", "models", "outbox", "register_market_at"]


@market_api.route("/auth/oauth/v2/token", methods=["POST"])
def token() -> tuple[Any, int]:
    """OAuth2 token endpoint (form-encoded): the password and refresh_token grants."""
    try:
        answer = grant(request.form)
    except TokenError as error:
        return jsonify(error.to_dict()), error.status
    return jsonify(answer), 200


def register_market_at(app: Flask) -> None:
    """Register the marketplace routes at the root of the app."""
    app.register_blueprint(market_api)
    csrf = app.extensions.get("csrf")
    if csrf:  # token-authenticated JSON endpoints use no forms
        csrf.exempt(market_api)
