"""USEF-style responses: ``{"type": ..., "status": ..., "message": ...}`` with an HTTP code.

Every API error is one of the statuses below, so clients can rely on the names the seed
documents. The response ``type`` (e.g. ``GetMeterDataResponse``) is added by the route
(see ``as_response_type``); a route returns a ``(body, http_status)`` tuple.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import wraps
from typing import Any

from flask import jsonify

ResponseTuple = tuple[dict[str, Any], int]

OK = 200
BAD_REQUEST = 400
UNAUTHORIZED = 401
FORBIDDEN = 403
NOT_FOUND = 404
PAYLOAD_TOO_LARGE = 413
UNPROCESSABLE = 422


def response(
    status: str, message: str | dict[str, Any], http_status: int = OK, **extra: Any
) -> ResponseTuple:
    """Build a USEF-style response body with its HTTP status code.

    The message is a text, or (for 422) an object naming what is wrong with each field.
    """
    body: dict[str, Any] = {"status": status, "message": message}
    if http_status >= 400:
        body["result"] = "Rejected"
    body.update(extra)
    return body, http_status


def request_processed(message: str = "Request has been processed.", **extra: Any) -> ResponseTuple:
    """PROCESSED: the request was handled (data stored, job queued, ...)."""
    return response("PROCESSED", message, OK, **extra)


def unauthorized(message: str = "You could not be properly authenticated.") -> ResponseTuple:
    """UNAUTHORIZED (401): no valid auth token (missing, expired, invalidated)."""
    return response("UNAUTHORIZED", message, UNAUTHORIZED)


def invalid_sender(allowed_roles: Sequence[str] | None = None, message: str = "") -> ResponseTuple:
    """INVALID_SENDER (403): the user lacks a role (or ownership) the service requires."""
    if not message:
        message = "You don't have the right role to access this service."
        if allowed_roles:
            message += f" It requires one of these roles: {', '.join(allowed_roles)}."
    return response("INVALID_SENDER", message, FORBIDDEN)


def unprocessable_entity(field_messages: dict[str, Any]) -> ResponseTuple:
    """422: input fails validation; ``message`` maps each field to what is wrong with it."""
    return response("UNPROCESSABLE_ENTITY", field_messages, UNPROCESSABLE)


def as_response_type(response_type: str) -> Callable:
    """Decorate a route so its JSON body carries ``"type": response_type``."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any):
            result = view(*args, **kwargs)
            if isinstance(result, tuple) and isinstance(result[0], dict):
                body, *rest = result
                return jsonify({"type": response_type, **body}), *rest
            if isinstance(result, dict):
                return jsonify({"type": response_type, **result})
            return result

        return wrapper

    return decorator
