"""The marketplace's HTTP API (GLocalFlex-compatible), registered at the root of the app:
the OAuth2 token endpoint ``/auth/oauth/v2/token`` and the REST routes under ``/api/v1/``
(order, verification), plus its OpenAPI document (``/api/market/openapi.json``) and Swagger
UI (``/api/market/docs``). Routes are thin: rules.py checks input, service.py acts.

Errors answer like the GLocalFlex API (FastAPI style) with ``{"detail": ...}``: 401 for a
missing, bad or expired token, 403 for a user without the trader (or admin) role, 404 for an
order that is not the user's, 409 for an order whose status does not allow the action, 422
with one entry per broken rule (``loc`` names the field), 429 past the per-user rate limit.
JSON bodies are read whatever their content type (the seed's curl examples send none).
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Flask, current_app, jsonify, request
from flask.typing import ResponseReturnValue

from flexmeasures.data import db
from flexmeasures.jobs import redis_connection
from flexmeasures.market import meter_data, service, shapes
from flexmeasures.market.models import ORDER_STATUSES, MarketOrder
from flexmeasures.market.ratelimit import retry_after
from flexmeasures.market.rules import RuleError, parse_meter_submission, parse_order
from flexmeasures.market.tokens import TokenError, Trader, grant, trader_for_access_token

market_api = Blueprint("market_api", __name__)
ORDER = "/api/v1/order"


class ApiError(Exception):
    """An error answer: HTTP status, detail message and extra headers."""

    def __init__(self, status: int, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers or {}


@market_api.errorhandler(ApiError)
def _api_error(error: ApiError) -> ResponseReturnValue:
    """``{"detail": message}`` with the error's status and headers."""
    return jsonify(detail=error.detail), error.status, error.headers


@market_api.errorhandler(service.MarketError)
def _market_error(error: service.MarketError) -> ResponseReturnValue:
    """404/409/503 from the service as ``{"detail": message}``."""
    return jsonify(detail=error.message), error.status


@market_api.errorhandler(RuleError)
def _rule_error(error: RuleError) -> ResponseReturnValue:
    """422 naming every broken rule: FastAPI-style ``detail`` list plus ``errors`` by field."""
    detail = [
        {"loc": ["body", *field.split(".")], "msg": message, "type": "value_error"}
        for field, messages in error.errors.items()
        for message in messages
    ]
    return jsonify(detail=detail, errors=error.errors), 422


@market_api.route("/auth/oauth/v2/token", methods=["POST"])
def token() -> ResponseReturnValue:
    """OAuth2 token endpoint (form-encoded): the password and refresh_token grants.

    Fields: ``client_id=glocalflexmarket_public_api``, ``grant_type`` (``password`` with
    ``username`` and ``password``, or ``refresh_token`` with ``refresh_token``). Answers
    ``access_token``, ``refresh_token``, ``expires_in`` (s) and ``token_type: Bearer``.
    """
    try:
        answer = grant(request.form)
    except TokenError as error:
        return jsonify(error.to_dict()), error.status
    return jsonify(answer), 200


def _bearer_token() -> str:
    """The access token of the Authorization header ("Bearer " prefix optional)."""
    value = request.headers.get("Authorization", "").strip()
    return value[7:].strip() if value[:7].lower() == "bearer " else value


def _trader() -> Trader:
    """The user of the request's access token, if they may trade and are within the rate
    limit; ApiError 401, 403 or 429 otherwise."""
    user = trader_for_access_token(_bearer_token())
    if user is None:
        challenge = {"WWW-Authenticate": 'Bearer error="invalid_token"'}
        raise ApiError(401, "Missing, invalid or expired access token.", challenge)
    if not user.may_trade:
        raise ApiError(403, "This account may not trade: it needs the trader role.")
    limit = int(current_app.config.get("FLEXMEASURES_MARKET_RATE_LIMIT") or 0)
    wait = retry_after(user.id, limit, redis_connection())
    if wait is not None:
        message = f"Too many requests: at most {limit} per minute; retry in {wait} s."
        raise ApiError(429, message, {"Retry-After": str(wait)})
    return user


def _json_body() -> Any:
    """The request body as JSON, whatever the content type; RuleError 422 if it is none."""
    raw = request.get_data(cache=True)
    try:
        return json.loads(raw) if raw.strip() else None
    except (ValueError, UnicodeDecodeError):
        raise RuleError({"body": ["must be a JSON object"]}) from None


@market_api.route(ORDER, methods=["POST"], strict_slashes=False)
def submit_order() -> ResponseReturnValue:
    """Submit a buy or sell order (200: the order object).

    A sell without ``baseline`` is stored as ``awaiting_baseline_data``; other orders are
    matched at once. An ``idempotency_key`` (body field or ``Idempotency-Key`` header) makes a
    retried submit answer the first order (header ``Idempotent-Replayed: true``).
    """
    user = _trader()
    data = parse_order(_json_body(), service.utc_now(), request.headers.get("Idempotency-Key"))
    order, created = service.submit_order(user, data)
    headers = {} if created else {"Idempotent-Replayed": "true"}
    return jsonify(shapes.order_object(order)), 200, headers


@market_api.route(ORDER, methods=["GET"], strict_slashes=False)
def list_orders() -> ResponseReturnValue:
    """The user's own orders, newest first (``?status=`` filters by status)."""
    user = _trader()
    status = request.args.get("status")
    if status is not None and status not in ORDER_STATUSES:
        raise RuleError({"status": [f"must be one of {', '.join(ORDER_STATUSES)}"]})
    orders = service.list_orders(user, status)
    answer = jsonify(orders=[shapes.order_object(o) for o in orders], count=len(orders))
    service.make_durable(db.session)  # what was read may still be on its way to disk
    return answer, 200


@market_api.route(f"{ORDER}/<int:order_id>", methods=["GET"], strict_slashes=False)
def get_order(order_id: int) -> ResponseReturnValue:
    """One of the user's orders with its contracts and (sells) verification data."""
    user = _trader()
    service.expire_orders()
    order = service.own_order(db.session, user, order_id)
    answer = jsonify(order_details(order))
    service.make_durable(db.session)  # what was read may still be on its way to disk
    return answer, 200


def order_details(order: MarketOrder) -> dict[str, Any]:
    """{"order", "contracts" (with verification_result and settlement), "verification"}."""
    contracts = [
        shapes.contract_object(c, service.contract_results(c)) for c in service.contracts_of(order)
    ]
    return {
        "order": shapes.order_object(order),
        "contracts": contracts,
        **service.verification_of(order),
    }


@market_api.route(f"{ORDER}/<int:order_id>", methods=["DELETE"], strict_slashes=False)
@market_api.route(f"{ORDER}/<int:order_id>/cancel", methods=["POST"], strict_slashes=False)
def cancel_order(order_id: int) -> ResponseReturnValue:
    """Cancel one of the user's open orders (200: the order, now ``cancelled``)."""
    user = _trader()
    order = service.cancel_order(user, order_id)
    return jsonify(shapes.order_object(order)), 200


def _meter_data(default_type: str) -> ResponseReturnValue:
    """Take baseline or metering data of the request for one of the user's sell orders."""
    user = _trader()
    data = parse_meter_submission(_json_body(), default_type)
    return jsonify(meter_data.submit_meter_data(user, data)), 200


@market_api.route("/api/v1/verification/baseline", methods=["POST"], strict_slashes=False)
def submit_baseline() -> ResponseReturnValue:
    """Send the baseline of a sell order (``order_id``, ``metering_data``); a sell that was
    awaiting its baseline enters matching."""
    return _meter_data("baseline")


@market_api.route("/api/v1/verification/metering", methods=["POST"], strict_slashes=False)
def submit_metering() -> ResponseReturnValue:
    """Send metering data (``measurement_type: metering``, after delivery: the contracts are
    verified and settled) or a baseline (``measurement_type: baseline``) of a sell order."""
    return _meter_data("metering")


def register_market_at(app: Flask) -> None:
    """Register the marketplace routes at the root of the app, and its API documentation."""
    from flexmeasures.market.openapi import market_docs

    app.register_blueprint(market_api)
    app.register_blueprint(market_docs, url_prefix="/api/market")
    csrf = app.extensions.get("csrf")
    if csrf:  # token-authenticated JSON endpoints use no forms
        csrf.exempt(market_api)
