"""OpenAPI details of the API routes outside the versioned USEF services, by endpoint name
and HTTP method: request and response schemas, and which routes need no token.

The OpenAPI generator (``api.common.openapi``) finds every route in the app's URL map and
takes its summary and description from the view's docstring; these details are added to
it. A route missing here is still documented, with generic responses.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flexmeasures.api.common.schemas.endpoints import (
    ApiVersionsResponseSchema,
    AuthTokenRequestSchema,
    AuthTokenResponseSchema,
    ErrorsResponseSchema,
    LatestTaskRunSchema,
    PingResponseSchema,
    TaskRunQuerySchema,
)
from flexmeasures.api.common.schemas.messages import (
    FieldErrorsResponseSchema,
    StatusResponseSchema,
)
from flexmeasures.api.ops import TaskRunSchema
from flexmeasures.data.schemas import AssetQuerySchema, AssetSchema, UserQuerySchema, UserSchema

PUBLIC: dict[str, Any] = {"security": []}


def json_content(schema: Any, **media_fields: Any) -> dict[str, Any]:
    """An OpenAPI ``content`` object for a JSON body with this (marshmallow) schema."""
    return {"application/json": {"schema": schema, **media_fields}}


def json_response(description: str, schema: Any, **media_fields: Any) -> dict[str, Any]:
    """An OpenAPI response with a JSON body."""
    return {"description": description, "content": json_content(schema, **media_fields)}


def json_body(schema: Any) -> dict[str, Any]:
    """A required JSON request body with this (marshmallow) schema."""
    return {"required": True, "content": json_content(schema)}


def query(schema: Any) -> list[dict[str, Any]]:
    """Query parameters from the fields of a marshmallow schema."""
    return [{"in": "query", "schema": schema}]


def status_responses(*codes_and_statuses: tuple[int, Sequence[str]]) -> dict[str, Any]:
    """Responses with a USEF-style status body, e.g. ``(404, ["UNRECOGNIZED_ASSET"])``."""
    return {
        str(code): json_response(
            ", ".join(statuses),
            StatusResponseSchema,
            example={"result": "Rejected", "status": statuses[0], "message": "What went wrong."},
        )
        for code, statuses in codes_and_statuses
    }


UNAUTHORIZED = (401, ["UNAUTHORIZED"])
FORBIDDEN = (403, ["INVALID_SENDER"])
UNPROCESSABLE = {"422": json_response("UNPROCESSABLE_ENTITY", FieldErrorsResponseSchema)}

BAD_QUERY = (400, ["UNEXPECTED_PARAMS"])
BAD_BODY = (400, ["INVALID_REQUEST", "REQUIRED_INFO_MISSING", "UNEXPECTED_PARAMS"])
NO_ASSET = (404, ["UNRECOGNIZED_ASSET"])
NO_USER = (404, ["UNRECOGNIZED_USER"])
V2_0 = "flexmeasures_api_v2_0"

ROUTE_DOCS: dict[str, dict[str, dict[str, Any]]] = {
    "flexmeasures_api.get_versions": {
        "GET": {
            **PUBLIC,
            "summary": "List available API versions",
            "responses": {"200": json_response("The API versions.", ApiVersionsResponseSchema)},
        },
    },
    "flexmeasures_api.request_auth_token": {
        "POST": {
            **PUBLIC,
            "summary": "Obtain an authentication token",
            "requestBody": json_body(AuthTokenRequestSchema),
            "responses": {
                "200": json_response("A fresh token.", AuthTokenResponseSchema),
                "400": json_response("A malformed request.", ErrorsResponseSchema),
                "401": json_response("Wrong credentials or deactivated.", ErrorsResponseSchema),
            },
        },
    },
    "flexmeasures_api_ops.ping": {
        "GET": {
            **PUBLIC,
            "responses": {
                "200": json_response("The database answers.", PingResponseSchema),
                "503": json_response("The database does not answer.", PingResponseSchema),
            },
        },
    },
    "flexmeasures_api_ops.get_latest_task_run": {
        "GET": {
            "parameters": query(TaskRunQuerySchema),
            "responses": {
                "200": json_response("The latest run.", LatestTaskRunSchema),
                **status_responses(UNAUTHORIZED, (404, ["UNKNOWN_TASK"])),
                **UNPROCESSABLE,
                "503": json_response("Failed or older than max_age.", LatestTaskRunSchema),
            },
        },
    },
    "flexmeasures_api_ops.post_latest_task_run": {
        "POST": {
            "requestBody": json_body(TaskRunSchema),
            "responses": {
                "200": json_response("The run as stored.", LatestTaskRunSchema),
                **status_responses(UNAUTHORIZED),
                **UNPROCESSABLE,
            },
        },
    },
    f"{V2_0}.assets.get_assets": {
        "GET": {
            "summary": "Download asset list",
            "parameters": query(AssetQuerySchema),
            "responses": {
                "200": json_response("The assets.", AssetSchema(many=True)),
                **status_responses(BAD_QUERY, UNAUTHORIZED, FORBIDDEN),
                **UNPROCESSABLE,
            },
        },
    },
    f"{V2_0}.assets.post_asset": {
        "POST": {
            "summary": "Post a new asset",
            "requestBody": json_body(AssetSchema),
            "responses": {
                "201": json_response("The new asset.", AssetSchema),
                **status_responses(BAD_BODY, UNAUTHORIZED, FORBIDDEN),
                **UNPROCESSABLE,
            },
        },
    },
    f"{V2_0}.assets.get_asset": {
        "GET": {
            "summary": "Get an asset",
            "responses": {
                "200": json_response("The asset.", AssetSchema),
                **status_responses(BAD_QUERY, UNAUTHORIZED, FORBIDDEN, NO_ASSET),
            },
        },
    },
    f"{V2_0}.assets.patch_asset": {
        "PATCH": {
            "summary": "Patch data for an existing asset",
            "requestBody": json_body(AssetSchema(partial=True)),
            "responses": {
                "200": json_response("The changed asset.", AssetSchema),
                **status_responses(BAD_BODY, UNAUTHORIZED, FORBIDDEN, NO_ASSET),
                **UNPROCESSABLE,
            },
        },
    },
    f"{V2_0}.assets.delete_asset_and_data": {
        "DELETE": {
            "summary": "Delete an asset, together with its existing data",
            "responses": {
                "204": {"description": "Deleted, with all its data."},
                **status_responses(BAD_QUERY, UNAUTHORIZED, FORBIDDEN, NO_ASSET),
            },
        },
    },
    f"{V2_0}.users.get_users": {
        "GET": {
            "summary": "Download user list",
            "parameters": query(UserQuerySchema),
            "responses": {
                "200": json_response("The users.", UserSchema(many=True)),
                **status_responses(BAD_QUERY, UNAUTHORIZED, FORBIDDEN),
                **UNPROCESSABLE,
            },
        },
    },
    f"{V2_0}.users.get_user": {
        "GET": {
            "summary": "Get a user",
            "responses": {
                "200": json_response("The user.", UserSchema),
                **status_responses(BAD_QUERY, UNAUTHORIZED, FORBIDDEN, NO_USER),
            },
        },
    },
    f"{V2_0}.users.patch_user": {
        "PATCH": {
            "summary": "Patch data for an existing user",
            "requestBody": json_body(UserSchema(partial=True)),
            "responses": {
                "200": json_response("The changed user.", UserSchema),
                **status_responses(BAD_BODY, UNAUTHORIZED, FORBIDDEN, NO_USER),
                **UNPROCESSABLE,
            },
        },
    },
    f"{V2_0}.users.reset_user_password": {
        "PATCH": {
            "summary": "Password reset",
            "responses": {
                "200": json_response("PROCESSED: reset, and the email sent.", StatusResponseSchema),
                **status_responses(
                    BAD_QUERY, UNAUTHORIZED, FORBIDDEN, NO_USER, (503, ["INTERNAL_ERROR"])
                ),
            },
        },
    },
}
