"""Users and roles (Flask-Security-Too models)."""

from __future__ import annotations

import uuid
from datetime import datetime

from flask_security import RoleMixin, UserMixin
from sqlalchemy import Boolean, Column, ForeignKey, Integer, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from flexmeasures.data import db
from flexmeasures.data.models.account import Account
from flexmeasures.data.models.types import UTCDateTime

ADMIN_ROLE = "admin"
USEF_ROLES = ("Prosumer", "MDC", "Supplier", "Aggregator", "DSO", "ESCo")
ANONYMOUS_ROLE = "anonymous"
TRADER_ROLE = "trader"  # may trade on the flexibility marketplace (flexmeasures.market)
KNOWN_ROLES = (ADMIN_ROLE, *USEF_ROLES, TRADER_ROLE, ANONYMOUS_ROLE)

ROLE_DESCRIPTIONS = {
    ADMIN_ROLE: "Administrator: may see and change everything",
    "Prosumer": "Owner of assets (USEF Prosumer)",
    "MDC": "Meter data company (USEF MDC)",
    "Supplier": "Energy retailer (USEF Supplier)",
    "Aggregator": "Aggregator of flexibility (USEF Aggregator)",
    "DSO": "Distribution system operator (USEF DSO)",
    "ESCo": "Energy service company (USEF ESCo)",
    TRADER_ROLE: "Trader on the flexibility marketplace (orders, contracts, streams)",
    ANONYMOUS_ROLE: "An anonymous user, e.g. of a public demo",
}

roles_users = Table(
    "roles_users",
    db.metadata,
    Column("user_id", Integer, ForeignKey("fm_user.id", ondelete="CASCADE"), primary_key=True),
    Column("role_id", Integer, ForeignKey("role.id", ondelete="CASCADE"), primary_key=True),
)


class Role(db.Model, RoleMixin):
    """A role a user can have: admin or one of the USEF roles."""

    __tablename__ = "role"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    description: Mapped[str | None] = mapped_column(String(255))

    def __repr__(self) -> str:
        return f"<Role {self.name}>"


class User(db.Model, UserMixin):
    """A FlexMeasures user; owns assets and may act as a data source."""

    __tablename__ = "fm_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(255), unique=True)
    username: Mapped[str] = mapped_column(String(255), unique=True)
    password: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Changing this invalidates every token and session of the user.
    fs_uniquifier: Mapped[str] = mapped_column(
        String(64), unique=True, default=lambda: uuid.uuid4().hex
    )
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    login_count: Mapped[int | None] = mapped_column(Integer, default=0)
    timezone: Mapped[str] = mapped_column(String(255), default="Europe/Amsterdam")
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    account: Mapped[Account] = relationship(
        backref=db.backref("users", passive_deletes=True), lazy="joined"
    )
    roles: Mapped[list[Role]] = relationship(
        secondary=roles_users, backref="users", lazy="selectin"
    )

    def has_role(self, role: str | Role) -> bool:
        """True if the user has this role (by name or Role object)."""
        name = role.name if isinstance(role, Role) else role
        return any(r.name == name for r in self.roles)

    @property
    def is_admin(self) -> bool:
        """True if the user has the admin role."""
        return self.has_role(ADMIN_ROLE)

    def __repr__(self) -> str:
        return f"<User {self.id}: {self.email}>"
