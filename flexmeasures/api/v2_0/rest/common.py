"""What the REST endpoints share: authentication, one transaction per request, reading and
validating the JSON body and query parameters, and USEF-style error responses.

A view decorated with ``rest_view`` returns ``(data, http_status)`` (data: a dict, a list
or None for an empty body) or raises ``RestError`` with a ready response. Only requests
answered below 400 are committed; everything else is rolled back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any

from flask import current_app, jsonify, request
from flask_security import current_user
from marshmallow import Schema, ValidationError
from sqlalchemy.exc import DataError, IntegrityError

from flexmeasures.api.common.auth import token_auth_required
from flexmeasures.api.common.responses import (
    BAD_REQUEST,
    NOT_FOUND,
    ResponseTuple,
    invalid_sender,
    response,
    unprocessable_entity,
)
from flexmeasures.data import db
from flexmeasures.data.entity_address import LARGEST_ID
from flexmeasures.data.schemas.fields import field_error
from flexmeasures.data.services.assets import InvalidAssetError
from flexmeasures.data.services.users import InvalidUserError

# Fields a client may send (e.g. when sending back what it got) that are never changed.
IGNORED_FIELDS = ("id",)


class RestError(Exception):
    """Ends a REST request with this (body, http status) response."""

    def __init__(self, result: ResponseTuple) -> None:
        super().__init__(result[0].get("message"))
        self.result = result


def rest_view(view: Callable[..., tuple[Any, int]]) -> Callable:
    """Decorate a REST view: 401 unless authenticated; run it as one transaction (commit
    when answered below 400, else roll back); answer RestError and database conflicts in
    USEF style (422 for input the database refuses)."""

    @wraps(view)
    @token_auth_required
    def wrapper(*args: Any, **kwargs: Any):
        try:
            data, status = view(*args, **kwargs)
            if status < 400:
                db.session.commit()
            else:
                db.session.rollback()
        except RestError as error:
            db.session.rollback()
            data, status = error.result
        except (IntegrityError, DataError) as error:
            db.session.rollback()
            current_app.logger.info(f"Refused by the database: {error.orig}")
            data, status = unprocessable_entity(
                {"_schema": ["The database refused this input (it conflicts with stored data)."]}
            )
        except BaseException:
            db.session.rollback()
            raise
        if data is None:
            return "", status
        return jsonify(data), status

    return wrapper


def json_object_body() -> dict[str, Any]:
    """The request's JSON object, without the IGNORED_FIELDS.

    An empty body is REQUIRED_INFO_MISSING, anything but a JSON object INVALID_REQUEST
    (both 400).
    """
    if not request.get_data(cache=True).strip():
        raise RestError(
            response("REQUIRED_INFO_MISSING", "Send a JSON object with the fields.", BAD_REQUEST)
        )
    body = request.get_json(force=True, silent=True)
    if not isinstance(body, dict):
        raise RestError(
            response("INVALID_REQUEST", "The request body should be a JSON object.", BAD_REQUEST)
        )
    return {key: value for key, value in body.items() if key not in IGNORED_FIELDS}


def load(schema: Schema, data: dict[str, Any], partial: bool = False) -> dict[str, Any]:
    """Deserialise and validate with the schema; 422 with field messages if invalid."""
    try:
        return schema.load(data, partial=partial)
    except ValidationError as error:
        raise RestError(unprocessable_entity(error.normalized_messages())) from error


def query_args(schema: Schema | None = None) -> dict[str, Any]:
    """The query parameters, validated by the schema (none allowed without one).

    Unknown parameters are UNEXPECTED_PARAMS (400), invalid values 422. The auth token may
    always come as a query parameter.
    """
    token_key = current_app.config.get("SECURITY_TOKEN_AUTHENTICATION_KEY", "auth_token")
    args = {key: value for key, value in request.args.items() if key != token_key}
    unexpected = sorted(set(args) - set(schema.fields if schema else ()))
    if unexpected:
        raise RestError(
            response(
                "UNEXPECTED_PARAMS",
                f"Unexpected query parameter(s): {', '.join(unexpected)}.",
                BAD_REQUEST,
            )
        )
    return load(schema, args) if schema else {}


@contextmanager
def service_errors(schema: Schema) -> Iterator[None]:
    """Turn a service's invalid-input error (naming its field) into 422 with the message
    under the schema's name of that field."""
    try:
        yield
    except (InvalidAssetError, InvalidUserError) as error:
        raise RestError(unprocessable_entity(field_error(schema, error))) from error


def require_admin(action: str) -> None:
    """403 INVALID_SENDER unless the current user is an admin; ``action`` says what for."""
    if not current_user.is_admin:
        raise RestError(invalid_sender(message=f"Only admins may {action}."))


def not_found(status: str, message: str) -> RestError:
    """A 404 with a USEF-style status (e.g. UNRECOGNIZED_ASSET)."""
    return RestError(response(status, message, NOT_FOUND))


def get_by_id(model: type, record_id: int) -> Any:
    """The record of ``model`` with this id, or None (also for ids beyond the database's
    integer range, which the database would refuse rather than not find)."""
    if not 0 <= record_id <= LARGEST_ID:
        return None
    return db.session.get(model, record_id)
