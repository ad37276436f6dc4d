"""Creating, finding and removing users (and their roles) with clear errors."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterable

from email_validator import EmailNotValidError, validate_email
from flask_security.utils import hash_password
from sqlalchemy import delete, select

from flexmeasures.data import db
from flexmeasures.data.models.data_source import DataSource
from flexmeasures.data.models.user import KNOWN_ROLES, ROLE_DESCRIPTIONS, Role, User

MIN_PASSWORD_LENGTH = 8


class InvalidUserError(ValueError):
    """User input cannot make a valid user; the message says what to change."""


def get_or_create_role(name: str) -> Role:
    """Return the role with this name, creating it (only for known roles) if needed."""
    role = db.session.scalar(select(Role).filter_by(name=name))
    if role is not None:
        return role
    canonical = {known.lower(): known for known in KNOWN_ROLES}.get(name.lower())
    if canonical is None:
        raise InvalidUserError(f"Unknown role '{name}'; choose from: {', '.join(KNOWN_ROLES)}.")
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
) -> User:
    """Create an active user with a hashed password, its roles and its data source.

    Raises InvalidUserError for an invalid or taken email or username, a password shorter
    than MIN_PASSWORD_LENGTH, or an unknown role. Does not commit.
    """
    email = _valid_email(email)
    username = (username or email.split("@")[0]).strip()
    if db.session.scalar(select(User).filter_by(email=email)) is not None:
        raise InvalidUserError(f"A user with email {email} already exists.")
    if db.session.scalar(select(User).filter_by(username=username)) is not None:
        raise InvalidUserError(f"A user with username '{username}' already exists.")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidUserError(f"The password needs at least {MIN_PASSWORD_LENGTH} characters.")
    user = User(
        email=email,
        username=username,
        password=hash_password(password),
        active=True,
        timezone=timezone,
        fs_uniquifier=uuid.uuid4().hex,
        roles=[get_or_create_role(role.strip()) for role in roles if role.strip()],
    )
    db.session.add(user)
    db.session.flush()
    db.session.add(DataSource(name=username, type="user", user=user))
    return user


def _valid_email(email: str) -> str:
    """Return the normalised email address, or raise InvalidUserError saying what is wrong."""
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise InvalidUserError(f"Invalid email address '{email}': {exc}") from exc


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
        raise InvalidUserError(f"The password needs at least {MIN_PASSWORD_LENGTH} characters.")
    user.password = hash_password(new_password)
    invalidate_tokens(user)


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
