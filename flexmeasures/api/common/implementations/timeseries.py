"""Posting and getting time series of beliefs: the logic shared by the meter data,
prognosis, price and weather services of every API version.

Units: power in MW (consumption positive), prices in the market's unit, weather in the
sensor type's unit. Recording times (seed: Prognoses and Beliefs, change log v1.3-9):

- ``horizon`` given: each value was recorded that long before its event ended;
- ``prior`` given: all values were recorded at that moment;
- both: the earliest of the two, per event;
- neither: right after each event (horizon zero) for API versions before 2.0 and in play
  mode; at the message's arrival for version 2.0.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pandas as pd
from flask import current_app
from flask_security import current_user
from sqlalchemy import or_, select

from flexmeasures.api.common.messages import (
    MessageError,
    SeriesGroup,
    get_list,
    parse_duration_field,
    parse_horizon_field,
    parse_series_groups,
    parse_timestamp_field,
    restore_plus_of_offset,
)
from flexmeasures.api.common.responses import ResponseTuple, request_processed, response
from flexmeasures.data import db
from flexmeasures.data.entity_address import LARGEST_ID
from flexmeasures.data.ingest import BeliefConflict, save_beliefs
from flexmeasures.data.models import DataSource, Role, Sensor, User
from flexmeasures.data.models.data_source import USER_SOURCE_TYPE
from flexmeasures.data.queries import resample_events, search_beliefs
from flexmeasures.data.services.data_sources import source_ids_of_kind, user_source
from flexmeasures.modes import belief_time_at_event_end, may_overwrite_beliefs
from flexmeasures.utils.time_grid import describe_grid, offset_from_grid
from flexmeasures.utils.time_utils import duration_isoformat, server_now


@dataclass(frozen=True)
class BeliefTiming:
    """When posted values were recorded: a rolling ``horizon``, a ``prior`` moment, both or
    neither (then ``infer_at_arrival`` decides between arrival time and event end)."""

    horizon: timedelta | None
    prior: pd.Timestamp | None
    infer_at_arrival: bool

    def horizons(self, event_ends: pd.DatetimeIndex) -> pd.Series:
        """The belief horizon of each event, given the ends of the events."""
        prior = self.prior
        if self.horizon is None and prior is None and self.infer_at_arrival:
            prior = pd.Timestamp(server_now())
        horizons = pd.Series(pd.Timedelta(0), index=event_ends)
        if prior is not None:
            horizons = pd.Series(event_ends - prior, index=event_ends)
        if self.horizon is not None:
            fixed = pd.Timedelta(self.horizon)
            horizons = horizons.clip(lower=fixed) if prior is not None else horizons * 0 + fixed
        return horizons


def parse_belief_timing(version, message: dict[str, Any]) -> BeliefTiming:
    """Read ``horizon`` and ``prior`` of a POST message (see the module doc)."""
    horizon = message.get("horizon")
    prior = message.get("prior")
    at_arrival = bool(version.feature("infer_recording_time_at_arrival"))
    return BeliefTiming(
        horizon=parse_horizon_field(horizon) if horizon else None,
        prior=pd.Timestamp(parse_timestamp_field(prior, "prior")) if prior else None,
        infer_at_arrival=at_arrival and not belief_time_at_event_end(current_app.config),
    )


def current_user_source(source_type: str = USER_SOURCE_TYPE) -> DataSource:
    """The current user's data source of this type (created on first use)."""
    return user_source(current_user, source_type)


def check_start_on_grid(group: SeriesGroup, sensor: Sensor) -> None:
    """Raise INVALID_RESOLUTION unless the group starts on the sensor's resolution grid
    (see ``flexmeasures.utils.time_grid``), naming the grid and the nearest earlier start."""
    resolution, timezone = sensor.event_resolution, sensor.timezone or "UTC"
    offset = offset_from_grid(group.start, resolution, timezone)
    if offset == timedelta(0):
        return
    raise MessageError(
        "INVALID_RESOLUTION",
        f"The start {group.start.isoformat()} is not on the resolution grid of {sensor.name}: "
        f"its {duration_isoformat(resolution)} events start "
        f"{describe_grid(resolution, timezone)}. Start at "
        f"{(group.start - offset).isoformat()} or another moment on the grid.",
    )


def values_at_sensor_resolution(group: SeriesGroup, sensor: Sensor) -> pd.Series:
    """The group's values as a series at the sensor's resolution (upsampled if coarser).

    Raises REQUIRED_INFO_MISSING if the posted resolution cannot be matched, and
    INVALID_RESOLUTION if the values do not start on the sensor's resolution grid.
    """
    check_start_on_grid(group, sensor)
    index = pd.date_range(group.start, periods=len(group.values), freq=group.resolution)
    values = pd.Series(group.values, index=index.tz_convert("UTC"))
    target = sensor.event_resolution
    if group.resolution == target or target == timedelta(0):
        return values
    if group.resolution > target and group.resolution % target == timedelta(0):
        _check_upsampled_size(group, target)
        return resample_events(values, group.resolution, target, group.start, group.end)
    raise MessageError(
        "REQUIRED_INFO_MISSING",
        f"Values for {sensor.name} were sent at a resolution of "
        f"{duration_isoformat(group.resolution)}, which cannot be matched with its resolution "
        f"of {duration_isoformat(target)}; send values at {duration_isoformat(target)} or a "
        "multiple of it.",
    )


MAX_UPSAMPLED_VALUES = 1_000_000
"""The most values one group may become for one sensor by upsampling (ten years of
15-minute values are 350,640): more would let a tiny message write millions of rows."""


def _check_upsampled_size(group: SeriesGroup, target: timedelta) -> None:
    """Raise INVALID_REQUEST if upsampling would make more than MAX_UPSAMPLED_VALUES values."""
    steps = group.duration // target
    if steps > MAX_UPSAMPLED_VALUES:
        raise MessageError(
            "INVALID_REQUEST",
            f"Upsampled to {duration_isoformat(target)}, these values would be {steps:,} "
            f"values; at most {MAX_UPSAMPLED_VALUES:,} are taken per group: split the message.",
        )


def belief_frame(
    sensor: Sensor, values: pd.Series, timing: BeliefTiming, source: DataSource
) -> pd.DataFrame:
    """Beliefs of one source about a sensor's events, recorded as ``timing`` says."""
    resolution = pd.Timedelta(sensor.event_resolution or (values.index[1] - values.index[0]))
    horizons = timing.horizons(values.index + resolution)
    return pd.DataFrame(
        {
            "sensor_id": sensor.id,
            "event_start": values.index,
            "belief_horizon": horizons.to_numpy(),
            "source_id": source.id,
            "event_value": values.to_numpy(),
        }
    )


def post_time_series(
    version,
    message: dict[str, Any],
    entity_key: str,
    resolve: Callable[[str, SeriesGroup], Sensor],
    check_values: Callable[[Sensor, SeriesGroup], None] | None = None,
    source_type: str = USER_SOURCE_TYPE,
) -> ResponseTuple:
    """Store every group's values for every addressed sensor in one transaction.

    ``resolve`` finds the sensor for an address (raising MessageError), ``check_values``
    checks units and signs. The values are the beliefs of the current user's source of
    ``source_type`` ("prognosis" for prognoses). Nothing is stored if any group fails.
    """
    groups = parse_series_groups(message, entity_key)
    timing = parse_belief_timing(version, message)
    source = current_user_source(source_type)
    frames, sensors = [], {}
    for group in groups:
        for address in group.addresses:
            sensor = resolve(address, group)
            if check_values:
                check_values(sensor, group)
            values = values_at_sensor_resolution(group, sensor)
            frames.append(belief_frame(sensor, values, timing, source))
            sensors[sensor.id] = sensor
    return save_and_respond(pd.concat(frames, ignore_index=True), list(sensors.values()))


def save_and_respond(beliefs: pd.DataFrame, sensors: Sequence[Sensor]) -> ResponseTuple:
    """Save the beliefs (all or none), commit, then trigger forecasts for the new data."""
    policy = "overwrite" if may_overwrite_beliefs(current_app.config) else "refuse"
    try:
        save_beliefs(beliefs, on_conflict=policy)
    except BeliefConflict as conflict:
        db.session.rollback()
        return response(
            "ALREADY_RECEIVED_AND_SUCCESSFULLY_PROCESSED",
            "Some of the data has already been received and successfully processed: "
            f"{conflict} Nothing of this request was stored; send only new beliefs (e.g. with "
            "another horizon or prior).",
            400,
        )
    db.session.commit()
    from flexmeasures.data.services.forecast_triggers import request_forecasts

    start, end = beliefs["event_start"].min(), beliefs["event_start"].max()
    request_forecasts(sensors, start.to_pydatetime(), end.to_pydatetime())
    return request_processed()


@dataclass(frozen=True)
class GetRequest:
    """What a GET message asks for (see the seed's Beliefs, Sources and Resolutions)."""

    start: pd.Timestamp
    duration: timedelta
    resolution: timedelta | None
    horizon: timedelta | None
    prior: pd.Timestamp | None
    source_ids: tuple[int, ...] | None


def parse_get_request(message: dict[str, Any]) -> GetRequest:
    """Read start, duration and the optional resolution, horizon, prior and sources."""
    resolution = message.get("resolution")
    horizon = message.get("horizon")
    prior = message.get("prior")
    return GetRequest(
        start=pd.Timestamp(parse_timestamp_field(message.get("start"), "start")),
        duration=parse_duration_field(message.get("duration")),
        resolution=_parse_resolution(resolution) if resolution else None,
        horizon=parse_horizon_field(horizon) if horizon else None,
        prior=pd.Timestamp(parse_timestamp_field(prior, "prior")) if prior else None,
        source_ids=source_ids_for(get_list(message, "sources")),
    )


def _parse_resolution(text: Any) -> timedelta:
    """Parse the requested resolution (INVALID_RESOLUTION if it is no positive duration)."""
    try:
        return parse_duration_field(text, "resolution")
    except MessageError as exc:
        raise MessageError("INVALID_RESOLUTION", exc.message) from exc


def source_ids_for(selectors: list | None) -> tuple[int, ...] | None:
    """Data source ids for source selectors: user ids and USEF role names (seed: Sources),
    and source types such as "forecasting script" (FlexMeasures' forecasters).

    None means no selection; INVALID_SOURCE if selectors were given but none match.
    """
    if not selectors:
        return None
    numbers = {s for s in map(str, selectors) if s.strip().isdecimal() and s.strip().isascii()}
    user_ids = {int(s) for s in numbers if int(s) <= LARGEST_ID}
    role_names = {str(s).strip() for s in selectors if str(s) not in numbers}
    if role_names:
        with_roles = select(User.id).join(User.roles).where(Role.name.in_(role_names))
        user_ids |= set(db.session.scalars(with_roles))
    ids = db.session.scalars(
        select(DataSource.id).where(
            or_(DataSource.user_id.in_(user_ids), DataSource.type.in_(role_names))
        )
    ).all()
    if not ids:
        raise MessageError(
            "INVALID_SOURCE", f"The data source is not found: {', '.join(map(str, selectors))}."
        )
    return tuple(ids)


def get_time_series(
    message: dict[str, Any],
    sensors: Sequence[tuple[str, Sensor]],
    kind: str,
    unit: str,
) -> ResponseTuple:
    """Answer a GET message with the most recent beliefs per event for each sensor.

    ``sensors`` pairs each requested address with its sensor; ``kind`` is METER_DATA,
    PROGNOSES or ALL_DATA (which sources count, whatever the belief horizons; see
    ``flexmeasures.data.services.data_sources``). One sensor gives a flat answer, several
    give groups.
    """
    request = parse_get_request(message)
    source_ids = source_ids_of_kind(kind, among=request.source_ids)
    groups = [
        {"connection": address, "values": _values_for(request, sensor, source_ids)}
        for address, sensor in sensors
    ]
    body: dict[str, Any] = {
        "start": restore_plus_of_offset(message["start"]),
        "duration": message.get("duration"),
        "unit": unit,
    }
    if len(groups) == 1:
        body.update(groups[0])
    else:
        body["groups"] = groups
    return {**body, "status": "PROCESSED", "message": "Request has been processed."}, 200


def _values_for(
    request: GetRequest, sensor: Sensor, source_ids: Sequence[int] | None
) -> list[float | None]:
    """The values of one sensor for a GET request, at its (or the requested) resolution,
    from the most recent belief per event among those of the sources."""
    own = pd.Timedelta(sensor.event_resolution)
    resolution = pd.Timedelta(request.resolution) if request.resolution else own
    if resolution < own or (own > pd.Timedelta(0) and resolution % own != pd.Timedelta(0)):
        raise MessageError(
            "INVALID_RESOLUTION",
            f"A resolution of {duration_isoformat(resolution)} is not a multiple of the "
            f"resolution of {sensor.name} ({duration_isoformat(own)}).",
        )
    if pd.Timedelta(request.duration) % resolution != pd.Timedelta(0):
        raise MessageError(
            "INVALID_RESOLUTION",
            f"The duration {duration_isoformat(request.duration)} is not a whole number of "
            f"steps of {duration_isoformat(resolution)}.",
        )
    end = request.start + pd.Timedelta(request.duration)
    found = search_beliefs(
        [sensor.id],
        request.start.to_pydatetime(),
        end.to_pydatetime(),
        horizon=request.horizon,
        prior=request.prior.to_pydatetime() if request.prior is not None else None,
        source_ids=source_ids,
    )
    series = pd.Series(found["event_value"].to_numpy(), index=found["event_start"])
    values = resample_events(series, own, resolution, request.start, end)
    return [None if pd.isna(v) else float(v) for v in values]
