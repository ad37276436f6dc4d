"""Creating, finding and removing users (and their roles) with clear errors."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Iterable
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from email_validator import EmailNotValidError, validate_email
from flask_security.utils import hash_password
from sqlalchemy import delete, select

from flexmeasures.data import db
from flexmeasures.data.models.account import Account
from flexmeasures.data.models.data_source import DataSource
from flexmeasures.data.models.user import KNOWN_ROLES, ROLE_DESCRIPTIONS, Role, User

MIN_PASSWORD_LENGTH = 8
MAX_USERNAME_LENGTH = 255


class InvalidUserError(ValueError):
    """User input cannot make a valid user; the message says what to change.

    ``field`` names the parameter at fault (e.g. ``email``), if it is one parameter.
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def get_or_create_role(name: str) -> Role:
    """Return the role with this name, creating it (only for known roles) if needed."""
    role = db.session.scalar(select(Role).filter_by(name=name))
    if role is not None:
        return role
    canonical = {known.lower(): known for known in KNOWN_ROLES}.get(name.lower())
    if canonical is None:
        raise InvalidUserError(
            f"Unknown role '{name}'; choose from: {', '.join(KNOWN_ROLES)}.", "roles"
        )
    role = db.session.scalar(select(Role).filter_by(name=canonical))
    if role is None:
        role = Role(name=canonical, description=ROLE_DESCRIPTIONS.get(canonical))
        db.session.add(role)
    return role


def create_user(
    email: str,
    password: str,
    username: str | None = None,
    roles: Iterable[str] = (),
    timezone: str = "Europe/Amsterdam",
    account_id: int | None = None,
) -> User:
    """Create an active user with a hashed password, its roles and its data source.

    The user joins the account with ``account_id``, or (without it) a new account of their
    own, named after their username.

    Raises InvalidUserError for an invalid or taken email or username, a password shorter
    than MIN_PASSWORD_LENGTH, or an unknown role. Does not commit.
    """
    email, username = check_new_user(email, username, roles)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidUserError(
            f"The password needs at least {MIN_PASSWORD_LENGTH} characters.", "password"
        )
    user = User(
        email=email,
        username=username,
        password=hash_password(password),
        active=True,
        timezone=timezone,
        fs_uniquifier=uuid.uuid4().hex,
        roles=[get_or_create_role(role.strip()) for role in roles if role.strip()],
        account=_account(account_id, username),
    )
    db.session.add(user)
    db.session.flush()
    db.session.add(DataSource(name=username, type="user", user=user))
    return user


def _account(account_id: int | None, username: str) -> Account:
    """The account with this id (InvalidUserError if there is none), or a new one."""
    if account_id is None:
        return Account(name=username)
    account = db.session.get(Account, account_id)
    if account is None:
        raise InvalidUserError(f"There is no account with id {account_id}.", "account_id")
    return account


def check_new_user(
    email: str, username: str | None = None, roles: Iterable[str] = ()
) -> tuple[str, str]:
    """Check a new user's email, username and role names (e.g. before asking for a
    password); return the normalised email and the username. Raises InvalidUserError."""
    email = _valid_email(email)
    username = (username or email.split("@")[0]).strip()
    _check_email_is_free(email)
    _check_username_is_free(username)
    known = {name.lower() for name in KNOWN_ROLES}
    for name in (role.strip() for role in roles):
        if name and name.lower() not in known:
            if db.session.scalar(select(Role).filter_by(name=name)) is None:
                raise InvalidUserError(
                    f"Unknown role '{name}'; choose from: {', '.join(KNOWN_ROLES)}.", "roles"
                )
    return email, username


def _valid_email(email: str) -> str:
    """Return the normalised email address, or raise InvalidUserError saying what is wrong."""
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise InvalidUserError(f"Invalid email address '{email}': {exc}", "email") from exc


def _check_email_is_free(email: str, user_id: int | None = None) -> None:
    """Say so if another user has this email address."""
    other = db.session.scalar(select(User).filter_by(email=email))
    if other is not None and other.id != user_id:
        raise InvalidUserError(f"A user with email {email} already exists.", "email")


def _check_username_is_free(username: str, user_id: int | None = None) -> None:
    """Say so if another user has this username."""
    other = db.session.scalar(select(User).filter_by(username=username))
    if other is not None and other.id != user_id:
        raise InvalidUserError(f"A user with username '{username}' already exists.", "username")


def update_user(user: User, **changes: Any) -> User:
    """Change some fields of a user: email, username, timezone (IANA name), active and
    role_ids (the ids of all their roles).

    Each value is checked first (valid and free email and username, a known time zone,
    existing roles); then nothing changes if any is wrong (InvalidUserError, with
    ``field``). Deactivating a user invalidates their tokens and sessions
    (``deactivate_user``); a new username also renames their data sources. Does not commit.
    """
    unknown = sorted(set(changes) - {"email", "username", "timezone", "active", "role_ids"})
    if unknown:
        raise InvalidUserError(f"Unknown user field(s): {', '.join(unknown)}.", unknown[0])
    values = {field: _USER_FIELD_CHECKS[field](value, user) for field, value in changes.items()}
    if "role_ids" in values:
        user.roles = values.pop("role_ids")
    if values.pop("active", user.active) is not user.active:
        user.active = not user.active
        if not user.active:
            deactivate_user(user)
    if "username" in values:
        for source in user.data_sources:
            source.name = values["username"]
    for field, value in values.items():
        setattr(user, field, value)
    db.session.flush()
    return user


def roles_with_ids(role_ids: Iterable[int]) -> list[Role]:
    """The roles with these ids (each once), or InvalidUserError naming the existing roles."""
    role_ids = list(dict.fromkeys(role_ids))
    roles = list(db.session.scalars(select(Role).where(Role.id.in_(role_ids))))
    missing = sorted(set(role_ids) - {role.id for role in roles})
    if missing:
        existing = db.session.execute(select(Role.id, Role.name).order_by(Role.id)).all()
        choices = ", ".join(f"{id_} ({name})" for id_, name in existing) or "none yet"
        raise InvalidUserError(
            f"Unknown role id(s) {', '.join(map(str, missing))}; choose from: {choices}.",
            "role_ids",
        )
    return sorted(roles, key=lambda role: role.id)


def _new_username(username: str, user: User) -> str:
    """The stripped username, if it is not empty, not too long and not someone else's."""
    username = (username or "").strip()
    if not username or len(username) > MAX_USERNAME_LENGTH:
        raise InvalidUserError(
            f"A username needs 1 to {MAX_USERNAME_LENGTH} characters.", "username"
        )
    _check_username_is_free(username, user.id)
    return username


def _new_email(email: str, user: User) -> str:
    """The normalised email address, if it is valid and not someone else's."""
    email = _valid_email(email or "")
    _check_email_is_free(email, user.id)
    return email


def _new_timezone(timezone: str, user: User) -> str:
    """The time zone, if it is a known IANA name (e.g. Europe/Amsterdam)."""
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise InvalidUserError(
            f"Unknown time zone '{timezone}'; use an IANA name like Europe/Amsterdam.", "timezone"
        ) from exc
    return timezone


def _new_active(active: bool, user: User) -> bool:
    """Whether the user is to be active, if it is a boolean."""
    if not isinstance(active, bool):
        raise InvalidUserError("active must be true or false.", "active")
    return active


# How update_user checks (and normalises) a new value of each field it may change.
_USER_FIELD_CHECKS: dict[str, Callable[[Any, User], Any]] = {
    "email": _new_email,
    "username": _new_username,
    "timezone": _new_timezone,
    "active": _new_active,
    "role_ids": lambda role_ids, user: roles_with_ids(role_ids),
}


def find_user(email_or_id: str | int) -> User | None:
    """Find a user by id (int or digits) or email."""
    if isinstance(email_or_id, int) or str(email_or_id).isdigit():
        return db.session.get(User, int(email_or_id))
    return db.session.scalar(select(User).filter_by(email=str(email_or_id).strip()))


def invalidate_tokens(user: User) -> None:
    """Invalidate every auth token and session of the user (by a new uniquifier)."""
    user.fs_uniquifier = uuid.uuid4().hex


def deactivate_user(user: User) -> None:
    """Deactivate the user; their tokens stop working at once."""
    user.active = False
    invalidate_tokens(user)


def reset_password(user: User, new_password: str | None = None) -> None:
    """Give the user a new (hashed) password, random if none is given; their tokens and
    sessions stop working at once.

    A random password is not told to anyone: the user sets a new one through the
    password-recovery mail. Raises InvalidUserError for a given password shorter than
    MIN_PASSWORD_LENGTH. Does not commit.
    """
    if new_password is None:
        new_password = secrets.token_urlsafe(32)
    elif len(new_password) < MIN_PASSWORD_LENGTH:
        raise InvalidUserError(
            f"The password needs at least {MIN_PASSWORD_LENGTH} characters.", "password"
        )
    user.password = hash_password(new_password)
    invalidate_tokens(user)


def reset_password_and_send_instructions(user: User) -> None:
    """Reset the user's password to a random one (``reset_password``: their tokens and
    sessions stop working) and email them a link to choose a new one.

    The mail is Flask-Security's password-reset instructions, sent through Flask-Mail with
    the ``MAIL_*`` settings; the link in it is valid for the new (random) password only.
    Raises OSError or smtplib.SMTPException when the mail cannot be sent; the caller then
    rolls back. Does not commit.
    """
    from flask_security.recoverable import send_reset_password_instructions

    reset_password(user)
    db.session.flush()
    send_reset_password_instructions(user)


def delete_user(user: User) -> dict[str, int]:
    """Delete a user with their assets, their data source and the beliefs of both.

    Returns how many assets and beliefs (about their assets, or from their data source)
    were deleted. Explicit deletes, so no database cascades are needed (SQLite does not
    enforce them by default). Does not commit.
    """
    from flexmeasures.data.models.asset import Asset
    from flexmeasures.data.models.time_series import TimedBelief

    assets = list(db.session.scalars(select(Asset).filter_by(owner_id=user.id)))
    sources = list(db.session.scalars(select(DataSource).filter_by(user_id=user.id)))
    beliefs = db.session.execute(
        delete(TimedBelief).where(
            TimedBelief.sensor_id.in_([asset.id for asset in assets])
            | TimedBelief.source_id.in_([source.id for source in sources])
        ),
        execution_options={"synchronize_session": False},
    ).rowcount
    for row in [*assets, *sources, user]:
        db.session.delete(row)
    db.session.flush()
    return {"assets": len(assets), "beliefs": beliefs}
