"""Data sources: who or what made a belief (a user, a script, a forecaster, a scheduler)."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from flexmeasures.data import db
from flexmeasures.data.models.user import User

SOURCE_TYPES = ("user", "script", "forecasting script", "scheduling script", "demo script")


class DataSource(db.Model):
    """The source of beliefs; a user's source carries the user's id."""

    __tablename__ = "data_source"
    __table_args__ = (
        UniqueConstraint("name", "user_id", "model", "version", name="data_source_name_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    type: Mapped[str] = mapped_column(String(80))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("fm_user.id", ondelete="CASCADE"), unique=True
    )
    model: Mapped[str | None] = mapped_column(String(80))
    version: Mapped[str | None] = mapped_column(String(17))

    user: Mapped[User | None] = relationship(
        backref=db.backref("data_source", passive_deletes=True, uselist=False)
    )

    @property
    def label(self) -> str:
        """A human-readable description, e.g. 'forecast by OLS model (v2)'."""
        if self.model:
            version = f" (v{self.version})" if self.version else ""
            return f"{self.type} by {self.name}: {self.model}{version}"
        return f"{self.type} by {self.name}"

    def __repr__(self) -> str:
        return f"<DataSource {self.id}: {self.label}>"
