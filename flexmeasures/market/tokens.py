"""OAuth2 tokens of the marketplace (the GLocalFlex token endpoint, client
``glocalflexmarket_public_api``): the password grant and the refresh_token grant.

Tokens are signed (``SECRET_KEY``, with a salt per kind) and carry the user id, a digest of
the user's ``fs_uniquifier`` (a new password or deactivation invalidates every token) and
their time of issue. An access token is valid ``FLEXMEASURES_MARKET_ACCESS_TOKEN_TTL``
seconds, a refresh token ``FLEXMEASURES_MARKET_REFRESH_TOKEN_TTL`` seconds; a refresh token
gets a new pair (it stays valid until it expires: tokens are not stored).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from flask import current_app
from flask_security.utils import hash_password
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import Select, bindparam, exists, func, or_, select

from flexmeasures.data import db
from flexmeasures.data.models.user import ADMIN_ROLE, TRADER_ROLE, Role, User, roles_users

CLIENT_ID = "glocalflexmarket_public_api"
ACCESS_SALT = "flexmeasures-market-access-token"
REFRESH_SALT = "flexmeasures-market-refresh-token"
DEFAULT_ACCESS_TTL = 3600
DEFAULT_REFRESH_TTL = 86400


class TokenError(Exception):
    """A token request that cannot be granted: an OAuth2 ``error`` code, a description and
    the HTTP status to answer with (400 malformed, 401 wrong credentials or token)."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status

    def to_dict(self) -> dict[str, str]:
        """The OAuth2 error body."""
        return {"error": self.error, "error_description": self.description}


def _serializer(salt: str) -> URLSafeTimedSerializer:
    """A serializer signing with the app's SECRET_KEY and the given salt."""
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def _ttl(setting: str, default: int) -> int:
    """A token lifetime setting, in seconds."""
    return int(current_app.config.get(setting) or default)


def _stamp(fs_uniquifier: str) -> str:
    """A short digest of a user's fs_uniquifier (changes when their tokens must die)."""
    return hashlib.sha256(fs_uniquifier.encode()).hexdigest()[:16]


def _user_stamp(user: User) -> str:
    """The stamp (``_stamp``) of the user."""
    return _stamp(user.fs_uniquifier)


def issue_tokens(user: User) -> dict[str, Any]:
    """A new access and refresh token for the user: ``access_token``, ``refresh_token``,
    ``expires_in`` (seconds), ``refresh_expires_in`` (seconds) and ``token_type``."""
    payload = {"u": user.id, "s": _user_stamp(user)}
    access_ttl = _ttl("FLEXMEASURES_MARKET_ACCESS_TOKEN_TTL", DEFAULT_ACCESS_TTL)
    refresh_ttl = _ttl("FLEXMEASURES_MARKET_REFRESH_TOKEN_TTL", DEFAULT_REFRESH_TTL)
    return {
        "access_token": _serializer(ACCESS_SALT).dumps({**payload, "n": secrets.token_hex(4)}),
        "refresh_token": _serializer(REFRESH_SALT).dumps({**payload, "n": secrets.token_hex(8)}),
        "expires_in": access_ttl,
        "refresh_expires_in": refresh_ttl,
        "token_type": "Bearer",
    }


@dataclass(frozen=True)
class Trader:
    """The active user an access token stands for, as the marketplace's API needs them
    (read in one light query, see ``trader_for_access_token``)."""

    id: int
    is_admin: bool
    may_trade: bool


def _payload(token: str, salt: str, max_age: int) -> dict[str, Any] | None:
    """The signed payload of a token of this kind ({"u": user id, "s": stamp, ...}), if its
    signature is valid and it is younger than ``max_age`` seconds."""
    try:
        payload = _serializer(salt).loads(token, max_age=max_age)
    except (BadSignature, UnicodeError, ValueError, TypeError):
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("u"), int):
        return None
    return payload


def _has_role(name: str):
    """A column: whether the user (``fm_user.id``) has the role named ``name``."""
    user, role = User.__table__.c, Role.__table__.c
    return exists().where(
        roles_users.c.user_id == user.id, roles_users.c.role_id == role.id, role.name == name
    )


@cache
def _trader_query() -> Select:
    """The active user with the id ``user_id``: fs_uniquifier and admin and trader roles
    (a Core statement: run on the session's connection, no ORM objects)."""
    user = User.__table__.c
    return select(
        user.fs_uniquifier,
        _has_role(ADMIN_ROLE).label("admin"),
        _has_role(TRADER_ROLE).label("trader"),
    ).where(user.id == bindparam("user_id"), user.active.is_(True))


def trader_for_access_token(token: str) -> Trader | None:
    """What the marketplace needs to know of the user of a valid access token (one query,
    no ORM objects); None for a bad, expired or revoked token, or an inactive user."""
    ttl = _ttl("FLEXMEASURES_MARKET_ACCESS_TOKEN_TTL", DEFAULT_ACCESS_TTL)
    payload = _payload(token, ACCESS_SALT, ttl) if token else None
    if payload is None:
        return None
    query = _trader_query()
    row = db.session.connection().execute(query, {"user_id": payload["u"]}).one_or_none()
    if row is None or payload.get("s") != _stamp(row.fs_uniquifier):
        return None
    return Trader(id=payload["u"], is_admin=row.admin, may_trade=row.admin or row.trader)


def _user_for(token: str, salt: str, max_age: int) -> User | None:
    """The active user a token of this kind was issued to, if it is valid and not expired."""
    payload = _payload(token, salt, max_age)
    if payload is None:
        return None
    user = db.session.get(User, payload["u"])
    if user is None or not user.active or payload.get("s") != _user_stamp(user):
        return None
    return user


def user_for_access_token(token: str) -> User | None:
    """The user of a valid access token; None for a bad, expired or revoked token."""
    if not token:
        return None
    ttl = _ttl("FLEXMEASURES_MARKET_ACCESS_TOKEN_TTL", DEFAULT_ACCESS_TTL)
    return _user_for(token, ACCESS_SALT, ttl)


def refresh(refresh_token: str) -> dict[str, Any]:
    """A new token pair for a valid refresh token; TokenError (401 invalid_grant) else."""
    ttl = _ttl("FLEXMEASURES_MARKET_REFRESH_TOKEN_TTL", DEFAULT_REFRESH_TTL)
    user = _user_for(refresh_token or "", REFRESH_SALT, ttl)
    if user is None:
        raise TokenError("invalid_grant", "The refresh token is invalid or expired.", 401)
    return issue_tokens(user)


def password_grant(username: str, password: str) -> dict[str, Any]:
    """A token pair for a username (or email address) and password; TokenError (401
    invalid_grant) for wrong credentials or an inactive user."""
    name = (username or "").strip().lower()
    user = db.session.scalar(
        select(User)
        .where(or_(func.lower(User.username) == name, func.lower(User.email) == name))
        .order_by(User.id)
        .limit(1)
    )
    if user is None or not user.password:
        hash_password(password or "x")  # answer as slowly as for a known user
        user = None
    elif not user.verify_and_update_password(password or ""):
        user = None
    if user is None or not user.active:
        raise TokenError("invalid_grant", "Invalid username or password.", 401)
    db.session.commit()  # keeps a hash upgrade made by verify_and_update_password
    return issue_tokens(user)


def grant(form: Mapping[str, str]) -> dict[str, Any]:
    """Answer a token request (form fields of RFC 6749): ``client_id`` must be
    ``glocalflexmarket_public_api``; ``grant_type`` ``password`` (``username``,
    ``password``) or ``refresh_token`` (``refresh_token``). TokenError otherwise."""
    if form.get("client_id") != CLIENT_ID:
        raise TokenError("invalid_client", f"Unknown client; use client_id={CLIENT_ID}.", 401)
    grant_type = form.get("grant_type")
    if grant_type == "password":
        missing = [name for name in ("username", "password") if not form.get(name)]
        if missing:
            raise TokenError("invalid_request", f"Missing field(s): {', '.join(missing)}.")
        return password_grant(form["username"], form["password"])
    if grant_type == "refresh_token":
        if not form.get("refresh_token"):
            raise TokenError("invalid_request", "Missing field: refresh_token.")
        return refresh(form["refresh_token"])
    raise TokenError("unsupported_grant_type", "grant_type must be 'password' or 'refresh_token'.")


def may_trade(user: User | Trader | None) -> bool:
    """True if the user may trade on the marketplace: an active trader or admin."""
    if isinstance(user, Trader):
        return user.may_trade
    if user is None or not getattr(user, "active", False):
        return False
    return user.has_role(TRADER_ROLE) or user.has_role(ADMIN_ROLE)
