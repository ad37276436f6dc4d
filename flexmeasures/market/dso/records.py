"""The database side of the DSO module: record a dispatch as commitments, read the
measurements of a meterable unit's assets for its readings. Nothing here commits."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd

from flexmeasures.data.models import Asset, Commitment
from flexmeasures.data.queries import resample_events, search_beliefs
from flexmeasures.data.services.commitments import assets_of_meterable_unit, record_commitments
from flexmeasures.market.dso.dispatch import DSO_SOURCE, DispatchInstruction, dispatch_commitments
from flexmeasures.market.dso.readings import (
    MINUTE,
    InvalidReadingsRequestError,
    ReadingsConventions,
    interval_values,
    readings_payload,
    unit_power,
)


def meterable_unit_assets(meterable_unit_ids: tuple[str, ...]) -> list[Asset]:
    """The assets of these meterable units, each once (UnknownMeterableUnitError for a
    unit without assets)."""
    found: dict[int, Asset] = {}
    for meterable_unit_id in meterable_unit_ids:
        for asset in assets_of_meterable_unit(meterable_unit_id):
            found.setdefault(asset.id, asset)
    return list(found.values())


def record_dispatch(
    instruction: DispatchInstruction, baseline_mw: float = 0.0, exact: bool = False
) -> list[Commitment]:
    """Record the instruction as a commitment of each asset of its meterable units (see
    ``dispatch.dispatch_commitments``; MW consumption positive). A dispatch id recorded
    before is replaced. Flushed, not committed."""
    assets = meterable_unit_assets(instruction.meterable_unit_ids)
    capacities = [(asset.id, float(asset.capacity_in_mw or 0.0)) for asset in assets]
    rows = [
        Commitment(
            asset_id=asset_id,
            start=commitment.start,
            end=commitment.end,
            kind=commitment.kind,
            power_in_mw=commitment.power,
            source=DSO_SOURCE,
            external_id=instruction.dispatch_id,
            reason=commitment.reason,
        )
        for asset_id, commitment in dispatch_commitments(
            instruction, capacities, baseline_mw, exact
        )
    ]
    return record_commitments(rows)


def assets_minute_power(assets: list[Asset], start: datetime, end: datetime) -> pd.DataFrame:
    """The assets' measured power (MW, consumption positive; the most recent belief with a
    horizon <= 0 per event) per minute of [start, end), one column per asset id, NaN where
    unmeasured; read in one query."""
    resolutions = {asset.id: asset.event_resolution or timedelta(0) for asset in assets}
    for asset in assets:
        if resolutions[asset.id] <= timedelta(0):
            raise InvalidReadingsRequestError(
                f"Asset {asset.name} has no event resolution, so its minutes cannot be told."
            )
    # from the events that hold at the start, e.g. 10:00 for quarter-hourly values and 10:05
    earliest = start - max(resolutions.values()) + timedelta(microseconds=1)
    found = search_beliefs(list(resolutions), earliest, end, kind="measurements")
    columns = {}
    for asset_id, resolution in resolutions.items():
        rows = found[(found["sensor_id"] == asset_id) & (found["event_start"] > start - resolution)]
        values = pd.Series(rows["event_value"].to_numpy(dtype=float), index=rows["event_start"])
        columns[asset_id] = resample_events(values, resolution, MINUTE, start, end)
    return pd.DataFrame(columns)


def export_readings(
    meterable_unit_id: str, start: datetime, end: datetime, conventions: ReadingsConventions
) -> dict:
    """The readings payload (``readings.readings_payload``) of a meterable unit for
    [start, end) (aware; whole minutes, or whole half hours for energy)."""
    if end <= start:
        raise InvalidReadingsRequestError("The export window ends before it starts.")
    assets = assets_of_meterable_unit(meterable_unit_id)
    power = assets_minute_power(assets, start, end)
    values = interval_values(unit_power(power), conventions)
    return readings_payload(meterable_unit_id, values, conventions)
