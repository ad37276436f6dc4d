"""HTTP errors on API paths answered as USEF-style JSON (never an HTML page, never a 500).

INVALID_METHOD (405, with the ``Allow`` header naming the methods the path takes) for an
unsupported method, 413 naming the size limit for a body that is too large, INVALID_REQUEST
(400) for other client errors, UNKNOWN_ROUTE (404) for an unknown service, and
SERVICE_UNAVAILABLE (503, logged) when the database cannot be reached or its schema is not
there (e.g. a WSGI server started before ``flexmeasures db upgrade``), and INTERNAL_ERROR
(500, logged) should anything still go wrong.
"""

from __future__ import annotations

from flask import Flask, current_app, jsonify, request
from sqlalchemy.exc import OperationalError, ProgrammingError
from werkzeug.exceptions import HTTPException

from flexmeasures.api.common.responses import response


def _is_api_request() -> bool:
    return request.path.startswith("/api/")


def _as_json(body_and_status, headers: dict[str, str] | None = None):
    body, status = body_and_status
    return jsonify(body), status, headers or {}


def register_api_error_handlers(app: Flask) -> None:
    """Answer HTTP errors on /api/ paths with USEF-style JSON; leave UI pages alone."""

    @app.errorhandler(HTTPException)
    def handle_http_exception(error: HTTPException):
        if not _is_api_request():
            return error
        return _as_json(_usef_error(error), _kept_headers(error))

    @app.errorhandler(Exception)
    def handle_unexpected_exception(error: Exception):
        if isinstance(error, HTTPException):
            return handle_http_exception(error)
        current_app.logger.exception(f"Unexpected error on {request.method} {request.path}")
        if not _is_api_request():
            raise error
        if isinstance(error, OperationalError | ProgrammingError):
            return _as_json(_database_unavailable())
        return _as_json(
            response("INTERNAL_ERROR", "Something went wrong on our side; it has been logged.", 500)
        )


def _database_unavailable():
    """503: the database does not answer, or lacks the tables (not migrated)."""
    return response(
        "SERVICE_UNAVAILABLE",
        "The database is not available or not up to date; an administrator can check it "
        "with `flexmeasures db current` and bring it up to date with `flexmeasures db upgrade`.",
        503,
    )


def _kept_headers(error: HTTPException) -> dict[str, str]:
    """The headers of an HTTP error that its JSON answer keeps: ``Allow`` on a 405 (the
    methods the path takes, which RFC 9110 requires) and ``WWW-Authenticate`` on a 401."""
    kept = {"allow", "www-authenticate"}
    return {name: value for name, value in error.get_headers() if name.lower() in kept}


def _usef_error(error: HTTPException):
    """The USEF-style body and status for an HTTP error."""
    if error.code == 405:
        return response("INVALID_METHOD", f"Request method {request.method} not supported.", 405)
    if error.code == 413:
        limit = current_app.config.get("MAX_CONTENT_LENGTH")
        return response(
            "PAYLOAD_TOO_LARGE",
            f"The request body is larger than the limit of {limit} bytes "
            "(MAX_CONTENT_LENGTH); split the data over several requests.",
            413,
        )
    if error.code == 404:
        return response("UNKNOWN_ROUTE", f"There is no API service at {request.path}.", 404)
    status = "INVALID_REQUEST" if error.code and error.code < 500 else "INTERNAL_ERROR"
    return response(status, error.description or str(error), error.code or 500)
