"""The latest run of each recurring task (e.g. a cron job importing prices), so that
external monitors can check that it still runs and succeeds."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, String
from sqlalchemy.orm import Mapped, mapped_column

from flexmeasures.data import db
from flexmeasures.data.models.types import UTCDateTime


class LatestTaskRun(db.Model):
    """When a recurring task (by name) last ran, and whether that run succeeded."""

    __tablename__ = "latest_task_run"

    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    datetime: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    status: Mapped[bool] = mapped_column(Boolean)

    def __repr__(self) -> str:
        outcome = "succeeded" if self.status else "failed"
        return f"<LatestTaskRun {self.name}: {outcome} at {self.datetime}>"
