"""Power commitments of assets, which their schedules must keep, and National Grid DSO
meterable units (which assets a dispatch instruction addresses).

A commitment row says that an asset's net power (MW, consumption positive) is at most, at
least or exactly ``power_in_mw`` from ``start`` to ``end``. Every scheduling job reads the
commitments overlapping its window and passes them to the scheduler
(``flexmeasures.scheduling.commitments``). ``source`` says who asked (e.g.
"national-grid-dso", "marketplace"), ``external_id`` their reference (a dispatch or
contract id; one commitment per asset, source and reference), ``reason`` is shown in the
scheduler's messages.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from flexmeasures.data import db
from flexmeasures.data.models.types import UTCDateTime

COMMITMENT_KINDS = ("at most", "at least", "exactly")
"""As ``flexmeasures.scheduling.commitments.COMMITMENT_KINDS`` (the check constraint's)."""


def _utc_now() -> datetime:
    """Now, aware UTC (when a commitment is recorded)."""
    return datetime.now(UTC)


class Commitment(db.Model):
    """A power commitment of an asset (see the module docstring)."""

    __tablename__ = "power_commitment"
    __table_args__ = (
        CheckConstraint('"end" > start', name="window"),
        CheckConstraint("kind IN ('at most', 'at least', 'exactly')", name="kind"),
        UniqueConstraint(
            "source", "external_id", "asset_id", name="power_commitment_source_reference_key"
        ),
        Index("power_commitment_asset_window_idx", "asset_id", "start", "end"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("asset.id", ondelete="CASCADE"))
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    end: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(20))
    power_in_mw: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(80))
    external_id: Mapped[str | None] = mapped_column(String(120))
    reason: Mapped[str] = mapped_column(String(200), default="")
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_utc_now)

    def __repr__(self) -> str:
        return (
            f"<Commitment {self.id}: asset {self.asset_id} {self.kind} {self.power_in_mw} MW "
            f"from {self.start} to {self.end} ({self.source})>"
        )


class MeterableUnitAsset(db.Model):
    """An asset's membership of a National Grid DSO meterable unit (a Market Gateway
    grouping of assets traded and instructed together); an asset is in at most one."""

    __tablename__ = "meterable_unit_asset"

    asset_id: Mapped[int] = mapped_column(
        ForeignKey("asset.id", ondelete="CASCADE"), primary_key=True
    )
    meterable_unit_id: Mapped[str] = mapped_column(String(120), index=True)

    def __repr__(self) -> str:
        return f"<MeterableUnitAsset {self.meterable_unit_id}: asset {self.asset_id}>"
