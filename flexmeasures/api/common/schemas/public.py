"""Schemas of the public API endpoints: the version listing and auth tokens (seed: API
Introduction → Authentication)."""

from __future__ import annotations

from marshmallow import Schema, fields


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
