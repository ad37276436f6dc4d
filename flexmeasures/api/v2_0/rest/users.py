"""REST endpoints for users (API v2.0): list, get, change and password reset.

Field names as in ``flexmeasures.data.schemas.UserSchema``. Admins may list users, see and
change every user and reset passwords. Other users may see themselves and change only
their own ``username`` and ``timezone`` (other fields may be sent unchanged, e.g. when
sending back what they got). Nobody changes their own ``active`` or
``flexmeasures_roles``, so that no admin locks themselves out. ``id`` is ignored.
"""

from __future__ import annotations

import smtplib
from typing import Any

from flask import Blueprint, current_app
from flask_security import current_user
from sqlalchemy import select

from flexmeasures.api.common.responses import invalid_sender, request_processed, response
from flexmeasures.api.v2_0.rest.common import (
    RestError,
    get_by_id,
    json_object_body,
    load,
    not_found,
    query_args,
    require_admin,
    rest_view,
    service_errors,
)
from flexmeasures.data import db
from flexmeasures.data.models.user import User
from flexmeasures.data.schemas import UserQuerySchema, UserSchema
from flexmeasures.data.schemas.fields import field_name_for
from flexmeasures.data.services.users import reset_password_and_send_instructions, update_user

users_api = Blueprint("users", __name__)

USER_SCHEMA = UserSchema()
USERS_SCHEMA = UserSchema(many=True)
# What a user who is no admin may change about themselves.
SELF_EDITABLE_FIELDS = ("username", "timezone")
# What nobody may change about themselves.
NOT_SELF_EDITABLE_FIELDS = ("active", "role_ids")


@users_api.route("/users", methods=["GET"])
@rest_view
def get_users() -> tuple[Any, int]:
    """List users, ordered by id (admins only); only active ones unless the query
    parameter ``include_inactive`` is true. 200 with a JSON list of users."""
    require_admin("list users")
    include_inactive = query_args(UserQuerySchema())["include_inactive"]
    query = select(User).order_by(User.id)
    if not include_inactive:
        query = query.where(User.active.is_(True))
    return USERS_SCHEMA.dump(db.session.scalars(query)), 200


@users_api.route("/user/<int:user_id>", methods=["GET"])
@rest_view
def get_user(user_id: int) -> tuple[Any, int]:
    """The user (admins, or the user themselves); 200 with the whole user."""
    query_args()
    return USER_SCHEMA.dump(accessible_user(user_id)), 200


@users_api.route("/user/<int:user_id>", methods=["PATCH"])
@rest_view
def patch_user(user_id: int) -> tuple[Any, int]:
    """Change any subset of the user's fields, as far as the current user may (see the
    module docstring); 200 with the whole user. ``active: false`` deactivates the user
    and invalidates their tokens. 422 names each invalid field; nothing changes then."""
    query_args()
    user = accessible_user(user_id)
    changes = load(USER_SCHEMA, json_object_body(), partial=True)
    refuse_forbidden_changes(user, changes)
    with service_errors(USER_SCHEMA):
        update_user(user, **changes)
    return USER_SCHEMA.dump(user), 200


@users_api.route("/user/<int:user_id>/password-reset", methods=["PATCH"])
@rest_view
def reset_user_password(user_id: int) -> tuple[Any, int]:
    """Set a random password for the user, invalidate their tokens and sessions, and email
    them instructions to choose a new password (admins only). 200 PROCESSED; 503 and no
    change if the email cannot be sent (see the MAIL_* settings)."""
    require_admin("reset passwords")
    query_args()
    user = get_by_id(User, user_id)
    if user is None:
        raise not_found("UNRECOGNIZED_USER", f"There is no user with id {user_id}.")
    try:
        reset_password_and_send_instructions(user)
    except (OSError, smtplib.SMTPException) as error:
        current_app.logger.warning(f"Could not send the password-reset email: {error}")
        message = (
            f"The password-reset email to user {user_id} could not be sent ({error}), so "
            "their password was not changed. Check the MAIL_* settings."
        )
        return response("INTERNAL_ERROR", message, 503)
    return request_processed(
        f"The password of user {user_id} has been reset; their tokens no longer work, and "
        "an email with instructions to choose a new password has been sent to them."
    )


def accessible_user(user_id: int) -> User:
    """The user with this id, if the current user may see them: admins see everyone (404
    UNRECOGNIZED_USER if there is no such user), others only themselves (else 403)."""
    if not current_user.is_admin and user_id != current_user.id:
        raise RestError(invalid_sender(message="Only admins may see or change other users."))
    user = get_by_id(User, user_id)
    if user is None:
        raise not_found("UNRECOGNIZED_USER", f"There is no user with id {user_id}.")
    return user


def refuse_forbidden_changes(user: User, changes: dict[str, Any]) -> None:
    """403 INVALID_SENDER naming the fields the current user may not change (values equal
    to the current ones are no change)."""
    if current_user.is_admin:
        forbidden = NOT_SELF_EDITABLE_FIELDS if user.id == current_user.id else ()
    else:
        forbidden = tuple(field for field in changes if field not in SELF_EDITABLE_FIELDS)
    refused = [field for field in forbidden if _changes(user, field, changes)]
    if refused:
        names = ", ".join(field_name_for(USER_SCHEMA, field) for field in refused)
        allowed = ", ".join(SELF_EDITABLE_FIELDS)
        raise RestError(
            invalid_sender(
                message=f"You may not change {names} of this user. Users who are no admin "
                f"may change their own {allowed}; nobody changes their own active status or "
                "roles."
            )
        )


def _changes(user: User, field: str, changes: dict[str, Any]) -> bool:
    """True if ``changes`` has a new value for this field of the user."""
    if field not in changes:
        return False
    if field == "role_ids":
        return sorted(set(changes[field])) != sorted(role.id for role in user.roles)
    return changes[field] != getattr(user, field)
