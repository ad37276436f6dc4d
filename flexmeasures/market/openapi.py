"""The marketplace's OpenAPI 3 document (``GET /api/market/openapi.json``) and its Swagger UI
(``GET /api/market/docs``), beside the platform's (``/api/openapi.json``, ``/api/docs``),
whose Swagger UI files it reuses. Built with apispec from the schemas below.
"""

from __future__ import annotations

import json
from typing import Any

from apispec import APISpec
from flask import Blueprint, Response, current_app, url_for

from flexmeasures.market.models import ORDER_STATUSES
from flexmeasures.market.rules import COUNTRY_CODES

market_docs = Blueprint("market_docs", __name__)
_CACHE_KEY = "flexmeasures_market_openapi"

TIME = {"type": "string", "format": "date-time", "example": "2026-08-01T10:00:00Z"}
METER_DATA = {
    "type": "object",
    "required": ["data_points"],
    "properties": {
        "metering_id": {"type": "string"},
        "created_at": TIME,
        "reading_start": TIME,
        "reading_end": TIME,
        "resolution": {"type": "integer", "description": "seconds (900: a quarter hour)"},
        "unit_measured": {"type": "string", "enum": ["kWh", "Wh", "MWh"], "default": "kWh"},
        "data_points": {
            "type": "array",
            "minItems": 1,
            "description": "Energy per quarter hour, stamped with the end of the quarter hour.",
            "items": {
                "type": "object",
                "properties": {"timestamp": TIME, "value": {"type": "number"}},
            },
        },
    },
}
LOCATION = {
    "type": "object",
    "properties": {
        "location_id": {
            "type": "array",
            "items": {"type": "string", "nullable": True},
            "description": "Location ids; null, [] or [null] mean any location.",
        },
        "country_code": {"type": "string", "enum": [*COUNTRY_CODES, ""], "nullable": True},
    },
}
ORDER_IN = {
    "type": "object",
    "required": ["side", "power", "price", "delivery_start", "delivery_end", "expiry_time"],
    "properties": {
        "side": {"type": "string", "enum": ["buy", "sell"]},
        "power": {"type": "number", "exclusiveMinimum": True, "minimum": 0, "description": "W"},
        "price": {"type": "number", "description": "€/kWh"},
        "delivery_start": {**TIME, "description": "UTC, on the quarter hour, seconds 0"},
        "delivery_end": {**TIME, "description": "UTC, on the quarter hour, after the start"},
        "expiry_time": {**TIME, "description": "UTC, in the future, before delivery_start"},
        "location": {"$ref": "#/components/schemas/Location"},
        "baseline": {"$ref": "#/components/schemas/MeterData"},
        "idempotency_key": {"type": "string", "maxLength": 255},
    },
}
ORDER_OUT = {
    "type": "object",
    "properties": {
        "order_id": {"type": "integer"},
        **{k: ORDER_IN["properties"][k] for k in ("side", "power", "price", "location")},
        "energy": {"type": "number", "description": "kWh ordered"},
        "remaining_energy": {"type": "number", "description": "kWh still to trade"},
        "delivery_start": TIME,
        "delivery_end": TIME,
        "expiry_time": TIME,
        "status": {"type": "string", "enum": list(ORDER_STATUSES)},
        "has_baseline": {"type": "boolean"},
        "has_metering": {"type": "boolean"},
        "idempotency_key": {"type": "string", "nullable": True},
        "created_at": TIME,
        "updated_at": TIME,
    },
}
METER_SUBMISSION = {
    "type": "object",
    "required": ["order_id", "metering_data"],
    "properties": {
        "order_id": {"type": "integer"},
        "measurement_type": {"type": "string", "enum": ["baseline", "metering"]},
        "metering_data": {"$ref": "#/components/schemas/MeterData"},
    },
}
TOKEN_FORM = {
    "type": "object",
    "required": ["client_id", "grant_type"],
    "properties": {
        "client_id": {"type": "string", "enum": ["glocalflexmarket_public_api"]},
        "grant_type": {"type": "string", "enum": ["password", "refresh_token"]},
        "username": {"type": "string"},
        "password": {"type": "string", "format": "password"},
        "refresh_token": {"type": "string"},
    },
}
TOKEN = {
    "type": "object",
    "properties": {
        "access_token": {"type": "string"},
        "refresh_token": {"type": "string"},
        "expires_in": {"type": "integer", "description": "seconds"},
        "token_type": {"type": "string", "enum": ["Bearer"]},
    },
}
SCHEMAS = {
    "Location": LOCATION,
    "MeterData": METER_DATA,
    "OrderIn": ORDER_IN,
    "Order": ORDER_OUT,
    "MeterSubmission": METER_SUBMISSION,
    "TokenForm": TOKEN_FORM,
    "Token": TOKEN,
    "Error": {"type": "object", "properties": {"detail": {}}},
}
ERRORS = {
    "401": "Missing, invalid or expired access token.",
    "403": "The user may not trade (needs the trader role).",
    "404": "Not one of the user's orders.",
    "409": "The order's status does not allow this.",
    "422": "Broken rules; each `detail` entry names its field in `loc`.",
    "429": "Past the per-user rate limit (see Retry-After).",
    "503": "The database did not confirm the change is on disk: it may be stored (GET the "
    "order, or retry the submit with its idempotency key).",
}


def _ref(name: str) -> dict[str, Any]:
    """A JSON content object referring to a component schema."""
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}}


def _operation(summary: str, answer: str | None, body: str | None = None, **extra: Any) -> dict:
    """An operation with the Bearer security, its 200 answer and the error answers."""
    responses = {
        "200": {"description": "Success.", **({"content": _ref(answer)} if answer else {})}
    }
    responses.update(
        {code: {"description": text, "content": _ref("Error")} for code, text in ERRORS.items()}
    )
    operation = {"summary": summary, "responses": responses, "security": [{"bearer": []}], **extra}
    if body:
        operation["requestBody"] = {"required": True, "content": _ref(body)}
    return operation


ORDER_ID = [{"name": "order_id", "in": "path", "required": True, "schema": {"type": "integer"}}]
STATUS = [
    {"name": "status", "in": "query", "schema": {"type": "string", "enum": list(ORDER_STATUSES)}}
]


def _paths() -> dict[str, dict[str, Any]]:
    """The documented paths and their operations."""
    token = {
        "summary": "Get an access and refresh token (OAuth2 password or refresh_token grant).",
        "requestBody": {
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": {"$ref": "#/components/schemas/TokenForm"}
                }
            }
        },
        "responses": {
            "200": {"description": "Tokens.", "content": _ref("Token")},
            "400": {"description": "Malformed request."},
            "401": {"description": "Wrong credentials, client or refresh token."},
        },
        "security": [],
    }
    return {
        "/auth/oauth/v2/token": {"post": token},
        "/api/v1/order/": {
            "post": _operation("Submit a buy or sell order.", "Order", "OrderIn"),
            "get": _operation("List your orders (filter by status).", None, parameters=STATUS),
        },
        "/api/v1/order/{order_id}": {
            "get": _operation(
                "Get one of your orders with its contracts.", None, parameters=ORDER_ID
            ),
            "delete": _operation("Cancel one of your open orders.", "Order", parameters=ORDER_ID),
        },
        "/api/v1/verification/baseline": {
            "post": _operation("Send the baseline of a sell order.", None, "MeterSubmission")
        },
        "/api/v1/verification/metering": {
            "post": _operation(
                "Send metering data (or a baseline) of a sell order.", None, "MeterSubmission"
            )
        },
    }


def market_openapi_document() -> dict[str, Any]:
    """The marketplace's OpenAPI 3 document (built once per app)."""
    if _CACHE_KEY not in current_app.extensions:
        spec = APISpec(
            title="FlexMeasures flexibility marketplace (GLocalFlex-compatible)",
            version="1.0",
            openapi_version="3.0.3",
            info={
                "description": "Orders, verification and settlement; see documentation/market.md."
            },
        )
        spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
        for name, schema in SCHEMAS.items():
            spec.components.schema(name, schema)
        for path, operations in _paths().items():
            spec.path(path=path, operations=operations)
        current_app.extensions[_CACHE_KEY] = spec.to_dict()
    return current_app.extensions[_CACHE_KEY]


@market_docs.route("/openapi.json", methods=["GET"])
def openapi_json() -> Response:
    """The marketplace's OpenAPI 3 document."""
    return Response(json.dumps(market_openapi_document()), mimetype="application/json")


@market_docs.route("/docs", methods=["GET"])
def docs_page() -> Response:
    """Swagger UI for the marketplace's API (assets served by the platform's docs)."""
    static = url_for("flexmeasures_api_docs.docs_asset", filename="").rstrip("/")
    config = json.dumps({"url": url_for(".openapi_json"), "dom_id": "#ui", "deepLinking": True})
    page = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        "<title>FlexMeasures marketplace API</title>"
        f'<link rel="stylesheet" href="{static}/swagger-ui.css"></head><body><div id="ui"></div>'
        f'<script src="{static}/swagger-ui-bundle.js"></script>'
        f"<script>window.ui = SwaggerUIBundle({config});</script></body></html>"
    )
    return Response(page, mimetype="text/html")
