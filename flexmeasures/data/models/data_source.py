"""Data sources: who or what made a belief (a user, a script, a forecaster, a scheduler).

A user has one source per kind of data they send: meter data, prices and weather data come
from their source of type "user", prognoses (sent through ``postPrognosis``) from their
source of type "prognosis". The type tells a prognosis from meter data whatever its belief
horizon: getPrognosis answers with the beliefs of PROGNOSIS_SOURCE_TYPES, getMeterData with
those of every other type but schedules (see ``is_meter_data_type``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint, and_
from sqlalchemy.orm import Mapped, foreign, mapped_column, relationship

from flexmeasures.data import db
from flexmeasures.data.models.user import User

USER_SOURCE_TYPE = "user"
PROGNOSIS_SOURCE_TYPE = "prognosis"
SOURCE_TYPES = (
    USER_SOURCE_TYPE,
    PROGNOSIS_SOURCE_TYPE,
    "script",
    "forecasting script",
    "scheduling script",
    "demo script",
)
PROGNOSIS_SOURCE_TYPES = (PROGNOSIS_SOURCE_TYPE, "forecasting script")
"""Sources of prognoses: users' postPrognosis messages and FlexMeasures' forecasters."""
NOT_METER_DATA_SOURCE_TYPES = (*PROGNOSIS_SOURCE_TYPES, "scheduling script")


def is_meter_data_type(source_type: str) -> bool:
    """True if beliefs of a source of this type are meter data (not prognoses or schedules)."""
    return source_type not in NOT_METER_DATA_SOURCE_TYPES


class DataSource(db.Model):
    """The source of beliefs; a user's sources carry the user's id (one per type)."""

    __tablename__ = "data_source"
    __table_args__ = (
        UniqueConstraint("name", "user_id", "model", "version", name="data_source_name_key"),
        UniqueConstraint("user_id", "type", name="data_source_user_id_type_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    type: Mapped[str] = mapped_column(String(80))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("fm_user.id", ondelete="CASCADE"))
    model: Mapped[str | None] = mapped_column(String(80))
    version: Mapped[str | None] = mapped_column(String(17))
    # A JSON object: e.g. a forecaster's model choice per sensor and horizon with its
    # backtest scores ({"selections": {sensor id: {horizon: ...}}}, see
    # flexmeasures.forecasting.selection_store).
    attributes: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    user: Mapped[User | None] = relationship(
        backref=db.backref("data_sources", passive_deletes=True)
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


# The user's own source (of type "user": meter data, prices, weather data).
User.data_source = relationship(
    DataSource,
    primaryjoin=and_(User.id == foreign(DataSource.user_id), DataSource.type == USER_SOURCE_TYPE),
    uselist=False,
    viewonly=True,
)
