"""``flexmeasures add schedule``: compute (or queue) the schedule of a battery or EV charger.

The scheduling and data layers are imported inside the command, so that ``--help`` answers
without them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import click
from flask import current_app
from flask.cli import with_appcontext

from flexmeasures.cli.commands.data_common import one_transaction
from flexmeasures.cli.groups import add_group

if TYPE_CHECKING:
    import pandas as pd

    from flexmeasures.data.models import Asset
    from flexmeasures.scheduling.jobs import ComputedSchedule

TIME_HELP = "without an offset: in the asset's time zone"


@add_group.command("schedule")
@click.option("--asset-id", type=int, required=True, help="Id of the battery or EV charger.")
@click.option(
    "--from",
    "start_text",
    required=True,
    metavar="ISO",
    help=f"Start (ISO 8601; {TIME_HELP}), at a step of the asset's resolution.",
)
@click.option("--to", "end_text", metavar="ISO", help=f"End (ISO 8601; {TIME_HELP}).")
@click.option(
    "--duration",
    "duration_text",
    metavar="ISO",
    help="Length instead of --to, e.g. PT48H [default: FLEXMEASURES_PLANNING_HORIZON].",
)
@click.option(
    "--soc-at-start",
    type=float,
    metavar="MWh",
    help="State of charge at the start [default: the asset's last known one, or 0].",
)
@click.option(
    "--soc-target",
    "target_texts",
    multiple=True,
    metavar="ISO=MWh",
    help="State of charge to reach at a step's end, e.g. 2021-01-02T06:00+01:00=4.5. "
    "Repeat for several targets.",
)
@click.option(
    "--prefer-charging-sooner/--no-prefer-charging-sooner",
    default=True,
    show_default=True,
    help="Of equally cheap schedules, take the one that charges earliest.",
)
@click.option("--solver", help="highs, cbc, glpk or appsi_highs [default: FLEXMEASURES_LP_SOLVER].")
@click.option("--as-job", is_flag=True, help="Queue a scheduling job instead; print its id.")
@with_appcontext
def add_schedule(**options: Any) -> None:
    """Compute the cheapest schedule of a storage asset for its market's prices and save it.

    Prints the expected cost, the status, why targets cannot be met (if so) and the power
    (MW, consumption positive) and state of charge (MWh) per step; the power schedule is
    saved as beliefs of the scheduler's data source. With --as-job, a worker does this
    (see `flexmeasures jobs run-worker --queue scheduling`).

    \b
    Example:
      flexmeasures add schedule --asset-id 3 --from 2021-01-01T00:00+01:00 --duration PT24H \\
        --soc-at-start 1.5 --soc-target 2021-01-01T18:00+01:00=4
    """
    with one_transaction(), scheduling_errors_as_click_errors():
        request = schedule_request(**options)
        if not options["as_job"]:
            report = compute_and_report(request)
    if options["as_job"]:
        report = queue_and_report(request)
    click.echo(report)


@contextmanager
def scheduling_errors_as_click_errors() -> Iterator[None]:
    """Turn scheduling errors (whose messages say what to fix) into one-line CLI errors."""
    from flexmeasures.scheduling.errors import SchedulingError

    try:
        yield
    except SchedulingError as exc:
        raise click.ClickException(str(exc)) from exc


def schedule_request(
    asset_id: int,
    start_text: str,
    end_text: str | None,
    duration_text: str | None,
    soc_at_start: float | None,
    target_texts: Sequence[str],
    prefer_charging_sooner: bool,
    solver: str | None,
    as_job: bool,
) -> dict[str, Any]:
    """The checked arguments of ``make_schedule`` (times in UTC, SOC in MWh)."""
    from flexmeasures.scheduling.backends import resolve_solver
    from flexmeasures.scheduling.jobs import check_schedule_request, storage_asset

    if solver is not None:
        solver = resolve_solver(solver)
    asset = storage_asset(asset_id)
    start = parse_moment(start_text, asset, "--from")
    check_at_step(start, asset.event_resolution)
    end = schedule_end(start, end_text, duration_text, asset)
    soc = soc_at_start if soc_at_start is not None else (asset.soc_in_mwh or 0.0)
    targets = [parse_target(text, asset) for text in target_texts]
    check_schedule_request(asset, start, end, soc, targets)
    return {
        "asset_id": asset.id,
        "start": start,
        "end": end,
        "soc_at_start": soc,
        "soc_targets": targets,
        "prefer_charging_sooner": prefer_charging_sooner,
        "solver": solver,
    }


def parse_moment(text: str, asset: Asset, option: str) -> datetime:
    """An ISO 8601 moment as an aware UTC datetime; without an offset, in the asset's zone."""
    import pandas as pd

    try:
        moment = pd.Timestamp(text.strip())
    except ValueError as exc:
        raise click.BadParameter(f"'{text}' is not an ISO 8601 time.", param_hint=option) from exc
    if moment.tzinfo is None:
        try:
            moment = moment.tz_localize(asset.timezone, ambiguous="raise", nonexistent="raise")
        except Exception as exc:  # pytz/zoneinfo errors for skipped or repeated local times
            raise click.BadParameter(
                f"'{text}' is not one moment in {asset.timezone} (daylight saving time); "
                "add a UTC offset.",
                param_hint=option,
            ) from exc
    return moment.tz_convert("UTC").to_pydatetime()


def check_at_step(start: datetime, resolution: timedelta) -> None:
    """Refuse a start that is not a whole number of the asset's steps after midnight UTC."""
    import pandas as pd

    if resolution > timedelta(0) and pd.Timestamp(start).floor(resolution) != start:
        raise click.BadParameter(
            f"{start.isoformat()} is not at a step of the asset's resolution ({resolution}).",
            param_hint="--from",
        )


def schedule_end(
    start: datetime, end_text: str | None, duration_text: str | None, asset: Asset
) -> datetime:
    """The end from --to or --duration (default: the planning horizon after the start)."""
    from flexmeasures.utils.time_utils import TimeParseError, parse_duration

    if end_text is not None and duration_text is not None:
        raise click.UsageError("Give either --to or --duration, not both.")
    if end_text is not None:
        end = parse_moment(end_text, asset, "--to")
    elif duration_text is not None:
        try:
            end = start + parse_duration(duration_text)
        except TimeParseError as exc:
            raise click.BadParameter(str(exc), param_hint="--duration") from exc
    else:
        end = start + current_app.config["FLEXMEASURES_PLANNING_HORIZON"]
    if end <= start:
        raise click.BadParameter("The schedule must end after it starts.", param_hint="--to")
    return end


def parse_target(text: str, asset: Asset) -> tuple[datetime, float]:
    """A --soc-target ``ISO=MWh`` as (UTC moment, MWh)."""
    moment_text, equals, value_text = text.rpartition("=")
    try:
        value = float(value_text)
    except ValueError:
        equals = ""
    if not equals or not moment_text:
        raise click.BadParameter(
            f"'{text}' is not ISO=MWh, e.g. 2021-01-01T18:00+01:00=4.5.", param_hint="--soc-target"
        )
    return parse_moment(moment_text, asset, "--soc-target"), value


def compute_and_report(request: dict[str, Any]) -> str:
    """Compute and save the schedule (uncommitted) and describe it."""
    from flexmeasures.scheduling.jobs import compute_schedule, storage_asset

    computed = compute_schedule(**request)
    return schedule_report(storage_asset(computed.asset_id), computed, request)


def schedule_report(asset: Asset, computed: ComputedSchedule, request: dict[str, Any]) -> str:
    """What the command prints: cost, status, reasons for missed targets and the table."""
    import pandas as pd

    from flexmeasures.scheduling.wording import format_window
    from flexmeasures.utils.time_utils import duration_isoformat

    schedule = computed.schedule
    lines = [
        f"Schedule of asset {asset.id} ({asset.name}, {asset.asset_type_name}) for "
        f"{format_window(request['start'], request['end'])}: {len(schedule.power)} steps of "
        f"{duration_isoformat(asset.event_resolution)}, solved with {schedule.solver}.",
        f"Status: {schedule.status}",
        f"Expected cost: {schedule.expected_cost:.2f} {computed.currency}",
        *schedule.explanation,
        *(shortfall.describe() for shortfall in schedule.shortfalls),
        f"State of charge at the start: {request['soc_at_start']:.3f} MWh",
    ]
    targets = {
        pd.Timestamp(moment).tz_convert("UTC"): mwh for moment, mwh in request["soc_targets"]
    }
    lines += trajectory_table(schedule.power, schedule.soc, targets, asset.timezone)
    lines.append(
        f"Saved {computed.saved} power values (MW) as beliefs of the scheduler's data source."
    )
    return "\n".join(lines)


def trajectory_table(
    power: pd.Series, soc: pd.Series, targets: dict[pd.Timestamp, float], timezone: str
) -> list[str]:
    """One line per step: local start, power (MW), SOC at its end (MWh) and its target, if
    any (``targets`` by UTC step end, in MWh)."""
    header = f"{'start (' + timezone + ')':<26} {'power (MW)':>11} {'SOC at end (MWh)':>17}"
    lines = [header + ("  target (MWh)" if targets else "")]
    for start, mw, end, mwh in zip(power.index, power, soc.index, soc, strict=True):
        line = f"{start.tz_convert(timezone).isoformat(sep=' '):<26} {mw:>11.3f} {mwh:>17.3f}"
        if end in targets:
            line += f"  {targets[end]:>12.3f}"
        lines.append(line)
    return lines


def queue_and_report(request: dict[str, Any]) -> str:
    """Queue a scheduling job and say its id (and, for jobs run in-process, how it ended)."""
    from flexmeasures.jobs import queues_are_async
    from flexmeasures.scheduling.jobs import enqueue_schedule, job_failure_reason

    job = enqueue_schedule(**request)
    lines = [f"Queued scheduling job {job.id} on the scheduling queue."]
    if queues_are_async():
        lines.append("A worker runs it: flexmeasures jobs run-worker --queue scheduling")
        return "\n".join(lines)
    if job.is_failed:
        raise click.ClickException(f"Scheduling job {job.id} failed: {job_failure_reason(job)[1]}")
    summary = job.return_value()
    lines.append(
        f"It ran in-process (no Redis): {summary['status']}, expected cost "
        f"{summary['expected_cost']:.2f} {summary['currency']}."
    )
    return "\n".join(lines)
