"""Request handling shared by every API version and service.

For each request: read the message (JSON body and query parameters, both allowed for GET),
authenticate and check roles, check the message ``type``, call the implementation, turn
``MessageError`` into the seed's status response, and add the response ``type``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import current_app, g, jsonify, request
from flask_security import current_user

from flexmeasures.api.common.auth import unauthorized_response
from flexmeasures.api.common.messages import (
    MessageError,
    check_message_type,
    check_storable_text,
)
from flexmeasures.api.common.responses import invalid_sender, response

if TYPE_CHECKING:
    from flexmeasures.api.common.versioning import ApiVersion, Service


def get_message() -> dict[str, Any]:
    """The request's message: query parameters overlaid with the JSON body's fields.

    A query parameter given once is a single value, given repeatedly a list (e.g.
    ``?connection=a&connection=b``). Raises MessageError for a body that is not a JSON
    object, and for text that cannot be stored (NUL characters, unpaired surrogates).
    """
    message: dict[str, Any] = {}
    for key, values in request.args.lists():
        message[key] = values[0] if len(values) == 1 else values
    if request.get_data(cache=True):
        body = request.get_json(force=True, silent=True)
        if not isinstance(body, dict):
            raise MessageError("INVALID_REQUEST", "The request body should be a JSON object.")
        message.update(body)
    check_storable_text(message)
    return message


def check_query_keys(known_keys: frozenset[str] | None) -> None:
    """Raise INVALID_REQUEST for query parameters that are no field of the message (the
    auth token aside); ``known_keys`` None allows any."""
    if known_keys is None:
        return
    token_key = current_app.config.get("SECURITY_TOKEN_AUTHENTICATION_KEY", "auth_token")
    unknown = sorted(set(request.args) - known_keys - {token_key})
    if unknown:
        raise MessageError("INVALID_REQUEST", f"Unknown query parameter(s): {', '.join(unknown)}.")


def admitted_roles() -> tuple[str, ...]:
    """The USEF roles admitted by the service of the current request (none outside a
    service); they decide which assets a user may address (``security.may_address_asset``)."""
    return g.get(_ADMITTED_ROLES, ())


_ADMITTED_ROLES = "flexmeasures_admitted_roles"


def make_view(version: ApiVersion, service: Service, known_keys: frozenset[str] | None = None):
    """Build the Flask view function of a service in a version; query parameters other
    than ``known_keys`` (the message's fields; None: any) are INVALID_REQUEST."""

    def view():
        setattr(g, _ADMITTED_ROLES, service.access)
        refusal = None if service.public else _refuse_access(service)
        if refusal is not None:
            return _with_type(service, refusal)
        try:
            check_query_keys(known_keys)
            message = get_message()
            check_message_type(message, service.request_type)
            result = service.implementation(version, message)
        except MessageError as error:
            result = response(error.status, error.message, error.http_status)
        return _with_type(service, result)

    view.__name__ = f"{version.name}_{service.name}"
    view.__doc__ = service.implementation.__doc__
    return view


def _refuse_access(service: Service):
    """401 for unauthenticated users, 403 for users with none of the service's roles."""
    if not current_user.is_authenticated:
        return unauthorized_response()
    if current_user.is_admin or any(current_user.has_role(r) for r in service.access):
        return None
    return invalid_sender(service.access)


def _with_type(service: Service, result):
    """Add the response type to a (body, status) result and make it a JSON response."""
    body, status = result
    return jsonify({"type": service.response_type, **body}), status
