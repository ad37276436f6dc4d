"""Accounts: the organisation a user belongs to (API v3_0 lists users and assets by it)."""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from flexmeasures.data import db


class Account(db.Model):
    """An organisation; every user belongs to exactly one account."""

    __tablename__ = "account"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255))

    def __repr__(self) -> str:
        return f"<Account {self.id}: {self.name}>"
