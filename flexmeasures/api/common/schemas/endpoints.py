"""Schemas of the API endpoints outside the versioned USEF services: the version listing,
auth tokens (seed: API Introduction → Authentication) and the operations endpoints."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from flexmeasures.api.common.schemas.fields import ISODuration


class AuthTokenRequestSchema(Schema):
    """Credentials for a fresh auth token (a user logged in by session may leave them out)."""

    email = fields.Email(metadata={"example": "prosumer@example.com"})
    password = fields.String(metadata={"example": "<user password>"})


class AuthTokenResponseSchema(Schema):
    """A fresh auth token, valid for SECURITY_TOKEN_MAX_AGE seconds, and its user's id."""

    auth_token = fields.String(required=True)
    user_id = fields.Integer(required=True, metadata={"example": 1})


class ErrorsResponseSchema(Schema):
    """What was wrong with a request, one message per problem."""

    errors = fields.List(
        fields.String(), required=True, metadata={"example": ["Wrong email or password."]}
    )


class ApiVersionsResponseSchema(Schema):
    """The API versions with endpoints, and where to get a token and service listings."""

    message = fields.String(required=True)
    versions = fields.List(
        fields.String(), required=True, metadata={"example": ["v1", "v1_1", "v2_0"]}
    )
    flexmeasures_version = fields.String(required=True, metadata={"example": "0.5.0"})


class PingResponseSchema(Schema):
    """Whether the server reaches its database (with its schema at the latest migration)
    and the Redis of its job queues."""

    status = fields.String(required=True, validate=validate.OneOf(["ok", "degraded", "error"]))
    database = fields.String(
        required=True,
        validate=validate.OneOf(["ok", "unreachable", "outdated"]),
        metadata={"description": "outdated: run `flexmeasures db upgrade`."},
    )
    redis = fields.String(
        required=True,
        validate=validate.OneOf(["ok", "unreachable", "in-process"]),
        metadata={"description": "in-process: no Redis, jobs run in the web process."},
    )
    message = fields.String(metadata={"description": "What is wrong, if anything."})


class TaskRunQuerySchema(Schema):
    """Which task's latest run to answer, and how old it may be."""

    name = fields.String(required=True, metadata={"example": "import"})
    max_age = ISODuration(
        metadata={
            "description": "Answer 503 if the latest run failed or is older than this.",
            "example": "PT1H",
        }
    )


class LatestTaskRunSchema(Schema):
    """The latest run of a task: when it ran (UTC) and whether it succeeded."""

    name = fields.String(required=True, metadata={"example": "import"})
    datetime = fields.AwareDateTime(required=True)
    status = fields.Boolean(required=True, metadata={"description": "true: it succeeded."})
    message = fields.String(metadata={"description": "Why the run is a problem (with 503)."})
