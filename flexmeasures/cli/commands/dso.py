"""``flexmeasures dso ...``: National Grid DSO flexibility services (documentation/dso.md).

The data and market layers are imported inside the commands, so that ``--help`` answers
without them.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import click
from flask.cli import with_appcontext

from flexmeasures.cli.commands.data_common import one_transaction
from flexmeasures.cli.groups import dso_group

TIME_ZONES = ("utc", "uk")
TIME_ZONE_HELP = (
    "How to read times without an offset: utc (as the Flexible Power Portal API) or uk "
    "(UK clock time, as Market Gateway and the Connected Data Portal)."
)


def time_options(function: Any) -> Any:
    """The --time-zone and --fold options shared by the commands that read times."""
    function = click.option(
        "--fold",
        type=click.IntRange(0, 1),
        help="For a UK clock time in the repeated hour of the October change (01:00-01:59): "
        "0 for the first (BST, +01:00), 1 for the second (GMT, +00:00).",
    )(function)
    return click.option(
        "--time-zone",
        type=click.Choice(TIME_ZONES),
        default="utc",
        show_default=True,
        help=TIME_ZONE_HELP,
    )(function)


def choice_option(name: str, choices: list[str], help_text: str, dest: str | None = None) -> Any:
    """An option taking one of ``choices``, defaulting to the first (shown in --help)."""
    names = [name] if dest is None else [name, dest]
    return click.option(
        *names, type=click.Choice(choices), default=choices[0], show_default=True, help=help_text
    )


def parse_time(text: str, time_zone: str, fold: int | None, option: str) -> datetime:
    """An ISO 8601 time as aware UTC: with an offset as given, without one in ``time_zone``.

    Skipped or ambiguous UK clock times (see ``flexmeasures.market.dso.clock``) are refused
    as bad parameters.
    """
    from flexmeasures.market.dso.clock import ClockTimeError, parse_fpp_time, parse_uk_clock_time

    try:
        if time_zone == "uk":
            return parse_uk_clock_time(text, fold)
        return parse_fpp_time(text)
    except ClockTimeError as exc:
        raise click.BadParameter(str(exc), param_hint=option) from exc


@dso_group.command("products")
def list_products() -> None:
    """List National Grid DSO's product codes: Market Gateway code, Flexible Power Portal
    code and name (legacy products marked)."""
    from flexmeasures.market.dso.products import PRODUCTS

    click.echo(f"{'Market Gateway':<16} {'Flexible Power':<15} product")
    for product in PRODUCTS:
        legacy = " (legacy)" if product.legacy else ""
        line = f"{product.market_gateway_code:<16} {product.flexible_power_code:<15}"
        click.echo(f"{line} {product.name}{legacy}")


@dso_group.command("add-meterable-unit")
@click.option(
    "--meterable-unit",
    "meterable_unit_id",
    required=True,
    help="The unit's id, as in Market Gateway.",
)
@click.option(
    "--asset-id",
    "asset_ids",
    type=int,
    multiple=True,
    required=True,
    help="Id of an asset of the unit; repeat for several.",
)
@with_appcontext
def add_meterable_unit(meterable_unit_id: str, asset_ids: tuple[int, ...]) -> None:
    """Put assets in a meterable unit, so that dispatch instructions and readings for the
    unit address them. An asset is in at most one unit (it is moved from another).

    \b
    Example:
      flexmeasures dso add-meterable-unit --meterable-unit MU-123 --asset-id 3 --asset-id 4
    """
    from flexmeasures.data.services.commitments import assign_meterable_unit

    with one_transaction():
        assets = assign_meterable_unit(meterable_unit_id, list(asset_ids))
        names = ", ".join(f"{asset.id} ({asset.name})" for asset in assets)
    click.echo(f"Meterable unit {meterable_unit_id} has assets {names}.")


@dso_group.command("add-dispatch")
@click.option(
    "--product",
    required=True,
    help="Market Gateway code (e.g. OU_15) or a "
    "Flexible Power Portal code only one product has (see `flexmeasures dso products`).",
)
@click.option("--start", "start_text", required=True, metavar="ISO", help="Start of delivery.")
@click.option("--stop", "stop_text", required=True, metavar="ISO", help="End of delivery.")
@click.option(
    "--mw",
    type=float,
    required=True,
    help="Flexibility to deliver (MW, above 0), "
    "for all the instruction's meterable units together.",
)
@click.option(
    "--meterable-unit",
    "meterable_unit_ids",
    multiple=True,
    required=True,
    help="Meterable unit id the instruction names; repeat for several.",
)
@choice_option(
    "--direction",
    ["turn-down", "turn-up"],
    "turn-down: import less / export more; turn-up: import more / export less.",
)
@click.option(
    "--baseline-mw",
    type=float,
    default=0.0,
    show_default=True,
    help="The units' net power without the dispatch (MW, consumption positive; 0: idle storage).",
)
@click.option("--exact", is_flag=True, help="Deliver exactly, not at least, the MW.")
@click.option("--dispatch-id", help="The DSO's id of the instruction; re-adding it replaces it.")
@time_options
@with_appcontext
def add_dispatch(**options: Any) -> None:
    """Record a dispatch instruction as power commitments of the meterable units' assets.

    Their next schedules keep them (net power in MW, consumption positive): a turn-down of
    X MW from a baseline B commits to at most B - X, a turn-up to at least B + X, split
    over the assets in proportion to their capacities. A schedule that cannot keep it says
    why and by how much. Times without an offset are UTC (as the Flexible Power Portal API)
    unless --time-zone uk.

    \b
    Example:
      flexmeasures dso add-dispatch --product OU_15 --start 2026-03-29T00:30Z \\
        --stop 2026-03-29T01:30Z --mw 1.5 --meterable-unit MU-123 --dispatch-id D-42
    """
    from flexmeasures.market.dso.dispatch import DispatchInstruction
    from flexmeasures.market.dso.records import record_dispatch

    zone, fold = options["time_zone"], options["fold"]
    with one_transaction():
        instruction = DispatchInstruction(
            product=options["product"],
            start=parse_time(options["start_text"], zone, fold, "--start"),
            stop=parse_time(options["stop_text"], zone, fold, "--stop"),
            mw=options["mw"],
            meterable_unit_ids=options["meterable_unit_ids"],
            direction=options["direction"].replace("-", "_"),
            dispatch_id=options["dispatch_id"],
        )
        rows = record_dispatch(instruction, options["baseline_mw"], options["exact"])
        lines = [f"Recorded {instruction.reason()} as {len(rows)} commitment(s):"]
        lines += [
            f"  asset {row.asset_id}: net power {row.kind} {row.power_in_mw:g} MW "
            f"(consumption positive) from {row.start.isoformat()} to {row.end.isoformat()}"
            for row in rows
        ]
    click.echo("\n".join(lines))


@dso_group.command("commitments")
@click.option("--meterable-unit", "meterable_unit_id", help="Only this unit's assets.")
@click.option("--asset-id", "asset_ids", type=int, multiple=True, help="Only this asset (repeat).")
@click.option("--from", "start_text", metavar="ISO", help="Only those ending after this time.")
@click.option("--to", "end_text", metavar="ISO", help="Only those starting before this time.")
@time_options
@with_appcontext
def list_commitments(**options: Any) -> None:
    """List the power commitments that schedules keep (dispatches and others), by start:
    asset, window (UTC), net power bound (MW, consumption positive), source and reason.

    \b
    Example:
      flexmeasures dso commitments --meterable-unit MU-123 --from 2026-03-29T00:00Z
    """
    from flexmeasures.data.services.commitments import commitments_overlapping
    from flexmeasures.market.dso.records import meterable_unit_assets

    zone, fold = options["time_zone"], options["fold"]
    start, end = (
        parse_time(options[name], zone, fold, option) if options[name] else None
        for name, option in (("start_text", "--from"), ("end_text", "--to"))
    )
    asset_ids = list(options["asset_ids"]) or None
    with one_transaction():
        if options["meterable_unit_id"]:
            unit = [asset.id for asset in meterable_unit_assets((options["meterable_unit_id"],))]
            asset_ids = [i for i in unit if asset_ids is None or i in asset_ids]
        rows = commitments_overlapping(asset_ids, start, end)
        lines = [
            f"asset {row.asset_id}: {row.start.isoformat()} to {row.end.isoformat()}, net power "
            f"{row.kind} {row.power_in_mw:g} MW ({row.source}: {row.reason})"
            for row in rows
        ]
    click.echo("\n".join(lines) if lines else "No commitments.")


@dso_group.command("export-readings")
@click.option("--meterable-unit", "meterable_unit_id", required=True, help="Meterable unit id.")
@click.option("--start", "start_text", required=True, metavar="ISO", help="Start of the export.")
@click.option("--end", "end_text", required=True, metavar="ISO", help="End of the export.")
@choice_option(
    "--kind",
    ["readings", "energy"],
    "readings: power per minute (MW, FPP `PUT readings`); "
    "energy: energy per half hour (MWh, FPP `PUT readings/energy`).",
)
@choice_option(
    "--timestamp",
    ["start", "end"],
    "Stamp each reading with its interval's start or end.",
    dest="stamp",
)
@choice_option(
    "--sign",
    ["import-positive", "export-positive"],
    "import-positive: consumption positive (USEF, as FlexMeasures stores it); "
    "export-positive: production positive.",
)
@click.option(
    "--allow-gaps",
    is_flag=True,
    help="Export the intervals with measurements "
    'even if others have none (they are listed under "missing").',
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, writable=True),
    help="Write the JSON payload to this file [default: print it].",
)
@time_options
@with_appcontext
def export_readings(**options: Any) -> None:
    """Export a meterable unit's meter readings as a JSON payload for the Flexible Power
    Portal: the sum of its assets' measurements (most recent beliefs), in UTC.

    A reading needs measurements of every asset for its whole interval; without
    --allow-gaps, any interval lacking them is an error.

    \b
    Example:
      flexmeasures dso export-readings --meterable-unit MU-123 --kind energy \\
        --start 2026-10-25T00:00 --end 2026-10-26T00:00 --time-zone uk --timestamp end
    """
    from flexmeasures.market.dso.readings import ReadingsConventions
    from flexmeasures.market.dso.records import export_readings as export

    zone, fold = options["time_zone"], options["fold"]
    start = parse_time(options["start_text"], zone, fold, "--start")
    end = parse_time(options["end_text"], zone, fold, "--end")
    with one_transaction():
        conventions = ReadingsConventions(
            options["kind"], options["stamp"], options["sign"].replace("-", "_")
        )
        payload = export(options["meterable_unit_id"], start, end, conventions)
    check_gaps(payload, options["allow_gaps"])
    text = json.dumps(payload, indent=2)
    if options["output"]:
        with open(options["output"], "w", encoding="utf-8") as file:
            file.write(text + "\n")
        click.echo(f"Wrote {len(payload['readings'])} readings to {options['output']}.")
    else:
        click.echo(text)


def check_gaps(payload: dict, allow_gaps: bool) -> None:
    """Refuse a payload with missing intervals unless allowed (then warn on stderr)."""
    missing = payload["missing"]
    if not missing:
        return
    total = len(missing) + len(payload["readings"])
    message = (
        f"{len(missing)} of {total} intervals of meterable unit {payload['meterable_unit_id']} "
        f"lack measurements of some asset (first: {missing[0]})"
    )
    if not allow_gaps:
        raise click.ClickException(f"{message}; pass --allow-gaps to export the others.")
    click.echo(f"Warning: {message}.", err=True)
