"""``flexmeasures delete ...``: structure, users, measurements and prognoses.

Each command asks for confirmation (unless ``--force``), runs as one transaction and says
how many rows it deleted.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import click
from flask.cli import with_appcontext

from flexmeasures.cli.commands.data_common import one_transaction
from flexmeasures.cli.groups import delete_group

force_option = click.option("--force", is_flag=True, help="Do not ask for confirmation.")


class AwareDateTime(click.ParamType):
    """An ISO 8601 date or datetime; without a UTC offset it is taken as UTC."""

    name = "datetime"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None):
        """Parse the value into a timezone-aware datetime, or fail with a one-line error."""
        if isinstance(value, datetime):
            parsed = value
        else:
            try:
                parsed = datetime.fromisoformat(str(value).strip())
            except ValueError:
                self.fail(
                    f"'{value}' is not an ISO 8601 date or datetime "
                    "(e.g. 2021-03-01 or 2021-03-01T12:00+01:00).",
                    param,
                    ctx,
                )
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def selection_options(command: Any) -> Any:
    """Add the options that restrict which beliefs are deleted."""
    options = [
        click.option(
            "--sensor-id",
            "--asset-id",
            "sensor_id",
            type=int,
            help="Only those of this sensor (an asset, market or weather sensor id).",
        ),
        click.option(
            "--from",
            "start",
            type=AwareDateTime(),
            help="Only events starting at or after this date(time) (ISO 8601; default UTC).",
        ),
        click.option(
            "--until",
            "end",
            type=AwareDateTime(),
            help="Only events starting before this date(time) (ISO 8601; default UTC).",
        ),
        force_option,
    ]
    for option in reversed(options):
        command = option(command)
    return command


@delete_group.command("structure")
@force_option
@with_appcontext
def delete_structure(force: bool) -> None:
    """Delete all structural data: assets, markets and weather sensors with their types, data
    sources, users and roles, and thereby all measurements and prognoses.

    \b
    Example:
      flexmeasures delete structure --force
    """
    from flexmeasures.data.services.structure import delete_structure as delete_all

    if not force:
        click.confirm(
            "Delete ALL assets, markets, weather sensors, users and their data?", abort=True
        )
    with one_transaction():
        deleted = delete_all()
    click.echo("Deleted all structural data:")
    for kind, count in deleted.items():
        click.echo(f"  {kind}: {count} deleted")


@delete_group.command("user")
@click.option("--email", required=True, help="Email address of the user to delete.")
@force_option
@with_appcontext
def delete_user(email: str, force: bool) -> None:
    """Delete a user, their assets and those assets' measurements and prognoses.

    Beliefs the user sent about other sensors go too.

    \b
    Example:
      flexmeasures delete user --email prosumer@example.com
    """
    from flexmeasures.data.services import users

    with one_transaction():
        user = users.find_user(email)
        if user is None:
            raise click.ClickException(f"There is no user with email {email}.")
        if not force:
            click.confirm(f"Delete user {user.email} (id {user.id}) and their data?", abort=True)
        label = f"{user.email} (id {user.id})"
        deleted = users.delete_user(user)
    click.echo(
        f"Deleted user {label}, {deleted['assets']} assets and {deleted['beliefs']} beliefs."
    )


@delete_group.command("measurements")
@selection_options
@with_appcontext
def delete_measurements(
    sensor_id: int | None, start: datetime | None, end: datetime | None, force: bool
) -> None:
    """Delete measurements (beliefs with a horizon ≤ 0), of all sensors or some.

    \b
    Example:
      flexmeasures delete measurements --asset-id 3 --from 2021-01-01 --until 2021-02-01
    """
    count = _delete_beliefs(True, sensor_id, start, end, force)
    click.echo(f"Deleted {count} measurements.")


@delete_group.command("prognoses")
@selection_options
@with_appcontext
def delete_prognoses(
    sensor_id: int | None, start: datetime | None, end: datetime | None, force: bool
) -> None:
    """Delete prognoses: forecasts and schedules (beliefs with a horizon > 0).

    \b
    Example:
      flexmeasures delete prognoses --sensor-id 3 --from 2021-01-01
    """
    count = _delete_beliefs(False, sensor_id, start, end, force)
    click.echo(f"Deleted {count} prognoses (forecasts and schedules).")


def _delete_beliefs(
    measurements: bool,
    sensor_id: int | None,
    start: datetime | None,
    end: datetime | None,
    force: bool,
) -> int:
    """Confirm unless forced, then delete the selected beliefs; return how many."""
    from flexmeasures.data.services.time_series import delete_beliefs

    kind = "measurements" if measurements else "prognoses"
    scope = f" of sensor {sensor_id}" if sensor_id is not None else ""
    bounds = (("from", start), ("until", end))
    window = "".join(f" {word} {moment.isoformat()}" for word, moment in bounds if moment)
    _check_sensor_exists(sensor_id)
    if not force:
        click.confirm(f"Delete all {kind}{scope}{window}?", abort=True)
    with one_transaction():
        return delete_beliefs(measurements, sensor_id=sensor_id, start=start, end=end)


def _check_sensor_exists(sensor_id: int | None) -> None:
    """Refuse an unknown sensor id before asking for confirmation."""
    from flexmeasures.data import db
    from flexmeasures.data.models import Sensor

    if sensor_id is not None and db.session.get(Sensor, sensor_id) is None:
        raise click.ClickException(f"There is no sensor (or asset) with id {sensor_id}.")


# The seed's "Handling data" chapter calls this command `delete forecasts`.
delete_group.add_command(
    click.Command(
        "forecasts",
        callback=delete_prognoses.callback,
        params=delete_prognoses.params,
        help=(
            "Same as `flexmeasures delete prognoses`.\n\n"
            "\b\nExample:\n  flexmeasures delete forecasts --force"
        ),
        hidden=True,
    )
)
