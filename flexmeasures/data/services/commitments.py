"""Reading and recording power commitments, and the assets of DSO meterable units.

Nothing here commits: callers (CLI commands, jobs) own the transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select

from flexmeasures.data import db
from flexmeasures.data.models import Asset, Commitment, MeterableUnitAsset


class UnknownMeterableUnitError(ValueError):
    """No asset is assigned to the meterable unit; the message names the known units."""

    def __init__(self, meterable_unit_id: str, known: Sequence[str]):
        self.meterable_unit_id = meterable_unit_id
        listed = ", ".join(known) if known else "none yet"
        super().__init__(
            f"No assets belong to meterable unit {meterable_unit_id!r} (known meterable units: "
            f"{listed}). Assign them with `flexmeasures dso add-meterable-unit`."
        )


def commitments_overlapping(
    asset_ids: Sequence[int] | None, start: datetime | None, end: datetime | None
) -> list[Commitment]:
    """The commitments of these assets (None: of all assets) that overlap [start, end)
    (None: unbounded on that side), by start, then asset."""
    query = select(Commitment).order_by(Commitment.start, Commitment.asset_id, Commitment.id)
    if asset_ids is not None:
        query = query.where(Commitment.asset_id.in_(list(asset_ids)))
    if end is not None:
        query = query.where(Commitment.start < end)
    if start is not None:
        query = query.where(Commitment.end > start)
    return list(db.session.scalars(query))


def record_commitments(commitments: Sequence[Commitment]) -> list[Commitment]:
    """Add commitments (flushed, not committed). Those with a source and external id
    replace every recorded commitment with that source and id (a re-sent or amended
    instruction, whichever assets it addressed before)."""
    references = {(c.source, c.external_id) for c in commitments if c.external_id is not None}
    for source, external_id in references:
        db.session.execute(
            delete(Commitment).where(
                Commitment.source == source, Commitment.external_id == external_id
            )
        )
    db.session.add_all(commitments)
    db.session.flush()
    return list(commitments)


def assign_meterable_unit(meterable_unit_id: str, asset_ids: Sequence[int]) -> list[Asset]:
    """Make the assets (by id) the members of the meterable unit, moving them from another
    unit if they were in one; returns the unit's assets. Raises ValueError for an unknown
    asset id or an empty unit id."""
    if not meterable_unit_id.strip():
        raise ValueError("A meterable unit id must not be empty.")
    assets = [db.session.get(Asset, asset_id) for asset_id in asset_ids]
    pairs = zip(asset_ids, assets, strict=True)
    missing = [str(asset_id) for asset_id, asset in pairs if asset is None]
    if missing:
        raise ValueError(f"There is no asset with id {', '.join(missing)}.")
    for asset_id in asset_ids:
        db.session.merge(MeterableUnitAsset(asset_id=asset_id, meterable_unit_id=meterable_unit_id))
    db.session.flush()
    return assets_of_meterable_unit(meterable_unit_id)


def assets_of_meterable_unit(meterable_unit_id: str) -> list[Asset]:
    """The assets of a meterable unit, by id; UnknownMeterableUnitError if it has none."""
    query = (
        select(Asset)
        .join(MeterableUnitAsset, MeterableUnitAsset.asset_id == Asset.id)
        .where(MeterableUnitAsset.meterable_unit_id == meterable_unit_id)
        .order_by(Asset.id)
    )
    assets = list(db.session.scalars(query))
    if not assets:
        known = db.session.scalars(
            select(MeterableUnitAsset.meterable_unit_id)
            .distinct()
            .order_by(MeterableUnitAsset.meterable_unit_id)
        ).all()
        raise UnknownMeterableUnitError(meterable_unit_id, known)
    return assets
