"""The v3_0 endpoints in the OpenAPI document: request and response schemas, statuses."""

from __future__ import annotations

from typing import Any

from flexmeasures.api.common.openapi import document_route
from flexmeasures.api.common.schemas.messages import StatusResponseSchema
from flexmeasures.api.common.schemas.route_docs import (
    BAD_BODY,
    BAD_QUERY,
    FORBIDDEN,
    UNAUTHORIZED,
    UNPROCESSABLE,
    json_body,
    json_response,
    query,
    status_responses,
)
from flexmeasures.api.v3_0 import schemas

PREFIX = "flexmeasures_api_v3_0"
NO_SENSOR = (404, ["UNRECOGNIZED_SENSOR"])
NO_ASSET = (404, ["UNRECOGNIZED_ASSET"])
NO_JOB = (404, ["UNKNOWN_SCHEDULE"])
PROCESSED = json_response("PROCESSED", StatusResponseSchema)
UPLOAD = {
    "type": "object",
    "required": ["uploaded-files"],
    "properties": {
        "uploaded-files": {"type": "array", "items": {"type": "string", "format": "binary"}},
        "unit": {"type": "string"},
        "belief-time-measured-instantly": {"type": "string", "enum": ["True", "False"]},
    },
}


def _ok(code: int, description: str, schema: Any, *errors: tuple[int, list[str]]) -> dict:
    return {str(code): json_response(description, schema), **status_responses(*errors)}


def _document(endpoint: str, method: str, **operation: Any) -> None:
    document_route(f"{PREFIX}.{endpoint}", method, **operation)


def document_v3_0() -> None:
    """Register the details of every v3_0 endpoint."""
    _document_sensors()
    _document_assets()
    _document_others()


def _document_sensors() -> None:
    out, many = schemas.SensorOutSchema, schemas.SensorOutSchema(many=True)
    _document(
        "v3_0_sensors.get_sensors",
        "GET",
        parameters=query(schemas.SensorQuerySchema),
        responses={
            **_ok(200, "The sensors.", many, BAD_QUERY, UNAUTHORIZED, FORBIDDEN, NO_ASSET),
            **UNPROCESSABLE,
        },
    )
    _document(
        "v3_0_sensors.post_sensor",
        "POST",
        requestBody=json_body(schemas.SensorSchema),
        responses={
            **_ok(201, "The new sensor.", out, BAD_BODY, UNAUTHORIZED, FORBIDDEN, NO_ASSET),
            **UNPROCESSABLE,
        },
    )
    for name, method in (("get_sensor", "GET"), ("patch_sensor", "PATCH")):
        _document(
            f"v3_0_sensors.{name}",
            method,
            responses={
                **_ok(200, "The sensor.", out, BAD_BODY, UNAUTHORIZED, FORBIDDEN, NO_SENSOR),
                **UNPROCESSABLE,
            },
        )
    _document(
        "v3_0_sensors.delete_sensor",
        "DELETE",
        responses={
            "204": {"description": "Deleted, with its data."},
            **status_responses(UNAUTHORIZED, FORBIDDEN, NO_SENSOR),
        },
    )
    _document_sensor_data()
    _document(
        "v3_0_sensors.get_forecasting_models",
        "GET",
        responses=_ok(
            200,
            "The model chosen by backtest per horizon, with the data source of its forecasts.",
            schemas.ForecastingModelOutSchema(many=True),
            BAD_QUERY,
            UNAUTHORIZED,
            FORBIDDEN,
            NO_SENSOR,
        ),
    )


def _document_sensor_data() -> None:
    data_errors = (400, ["INVALID_UNIT", "INVALID_REQUEST", "REQUIRED_INFO_MISSING"])
    _document(
        "v3_0_sensors.post_data",
        "POST",
        requestBody=json_body(schemas.SensorDataSchema),
        responses={
            "200": PROCESSED,
            **status_responses(data_errors, UNAUTHORIZED, FORBIDDEN, NO_SENSOR),
            **UNPROCESSABLE,  # a zero or negative duration
        },
    )
    _document(
        "v3_0_sensors.upload_data",
        "POST",
        requestBody={"required": True, "content": {"multipart/form-data": {"schema": UPLOAD}}},
        responses={
            "200": PROCESSED,
            **status_responses(data_errors, UNAUTHORIZED, FORBIDDEN, NO_SENSOR),
        },
    )
    _document(
        "v3_0_sensors.get_data",
        "GET",
        parameters=query(schemas.SensorDataQuerySchema),
        responses={
            **_ok(
                200,
                "The data.",
                schemas.SensorDataResponseSchema,
                data_errors,
                UNAUTHORIZED,
                FORBIDDEN,
                NO_SENSOR,
            ),
            **UNPROCESSABLE,
        },
    )
    _document(
        "v3_0_sensors.get_schedule",
        "GET",
        parameters=query(schemas.ScheduleQuerySchema),
        responses={
            **_ok(
                200,
                "The schedule.",
                schemas.ScheduleSchema,
                (400, ["UNKNOWN_SCHEDULE", "INVALID_UNIT"]),
                UNAUTHORIZED,
                FORBIDDEN,
                NO_JOB,
            ),
            **UNPROCESSABLE,  # a zero or negative duration
        },
    )
    _document_trigger("v3_0_sensors.post_sensor_schedule_trigger")


def _document_trigger(endpoint: str) -> None:
    _document(
        endpoint,
        "POST",
        requestBody=json_body(schemas.TriggerSchema),
        responses={
            **_ok(
                200, "The job id.", schemas.TriggerResponseSchema, BAD_BODY, UNAUTHORIZED, FORBIDDEN
            ),
            **status_responses(NO_ASSET, (422, ["UNPROCESSABLE_ENTITY"])),
        },
    )


def _document_assets() -> None:
    out = schemas.AssetOutSchema
    errors = (BAD_BODY, UNAUTHORIZED, FORBIDDEN, NO_ASSET)
    _document(
        "v3_0_assets.get_assets",
        "GET",
        parameters=query(schemas.AssetListQuerySchema),
        responses={
            **_ok(200, "The assets.", schemas.AssetOutSchema(many=True), *errors[:3]),
            **UNPROCESSABLE,
        },
    )
    _document(
        "v3_0_assets.get_asset_types",
        "GET",
        responses=_ok(200, "The types.", schemas.AssetTypeOutSchema(many=True), UNAUTHORIZED),
    )
    _document("v3_0_assets.get_asset", "GET", responses=_ok(200, "The asset.", out, *errors))
    for name, method, code in (("post_asset", "POST", 201), ("patch_asset", "PATCH", 200)):
        _document(
            f"v3_0_assets.{name}",
            method,
            requestBody=json_body(schemas.AssetInputSchema(partial=method == "PATCH")),
            responses={**_ok(code, "The asset.", out, *errors), **UNPROCESSABLE},
        )
    _document(
        "v3_0_assets.delete_asset_and_data",
        "DELETE",
        responses={
            "204": {"description": "Deleted, with its sensors and data."},
            **status_responses(*errors),
        },
    )
    _document_trigger("v3_0_assets.post_schedule_trigger")


def _document_others() -> None:
    job = schemas.JobStatusSchema
    _document(
        "v3_0_users.get_job",
        "GET",
        responses={
            **_ok(200, "Finished.", job, UNAUTHORIZED, FORBIDDEN, NO_JOB),
            "202": json_response("Waiting or running.", job),
            "422": json_response("Failed, stopped or canceled.", job),
        },
    )
    _document(
        "v3_0_users.get_users",
        "GET",
        parameters=query(schemas.UserListQuerySchema),
        responses={
            **_ok(
                200,
                "The users.",
                schemas.UserOutSchema(many=True),
                BAD_QUERY,
                UNAUTHORIZED,
                FORBIDDEN,
            ),
            **UNPROCESSABLE,
        },
    )
    _document(
        "v3_0_users.get_account",
        "GET",
        responses=_ok(
            200,
            "The account.",
            schemas.AccountSchema,
            UNAUTHORIZED,
            FORBIDDEN,
            (404, ["UNRECOGNIZED_ACCOUNT"]),
        ),
    )
