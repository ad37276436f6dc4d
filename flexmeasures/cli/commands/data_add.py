"""``flexmeasures add ...``: the standard structure, users, assets, weather sensors, markets.

Each command is one transaction: it writes everything or, on any error, nothing. The data
layer is imported inside the commands, so that ``--help`` answers without it.
"""

from __future__ import annotations

from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext

from flexmeasures.cli.commands.data_common import one_transaction
from flexmeasures.cli.groups import add_group

LATITUDE = click.FloatRange(-90, 90)
LONGITUDE = click.FloatRange(-180, 180)
MINUTES = click.IntRange(min=1)
TIMEZONE_HELP = "IANA time zone, e.g. Europe/Amsterdam [default: FLEXMEASURES_TIMEZONE]."


@add_group.command("structure")
@with_appcontext
def add_structure() -> None:
    """Add the standard structure: asset types, market types, weather sensor types, a data
    source for scripts and the dummy day-ahead market epex_da (EUR/MWh).

    Adds only what is missing, so it is safe to run again.

    \b
    Example:
      flexmeasures add structure
    """
    from flexmeasures.data.services.structure import DUMMY_MARKET, add_default_structure

    with one_transaction():
        added = add_default_structure()
    if not any(added.values()):
        click.echo("The standard structure is complete already; nothing was added.")
    else:
        click.echo("Added the standard structure:")
        for kind, count in added.items():
            click.echo(f"  {kind}: {count} added")
    market_address = entity_address({"market_name": DUMMY_MARKET["name"]}, "market")
    click.echo(f"The dummy market {DUMMY_MARKET['name']} has entity address {market_address}.")


@add_group.command("user")
@click.option("--username", required=True, help="Unique user name.")
@click.option("--email", required=True, help="Unique email address; also the login.")
@click.option(
    "--roles",
    default="",
    help="Comma-separated roles: admin, Prosumer, MDC, Supplier, Aggregator, DSO, ESCo, "
    "trader (may trade on the marketplace) or anonymous.",
)
@click.option("--timezone", default="Europe/Amsterdam", show_default=True, help="IANA time zone.")
@click.option(
    "--password",
    help="At least 8 characters; asked for (twice) when not given.",
)
@click.option(
    "--account-id",
    type=int,
    help="Id of the account (organisation) to join [default: a new account of their own].",
)
@with_appcontext
def add_user(
    username: str,
    email: str,
    roles: str,
    timezone: str,
    password: str | None,
    account_id: int | None,
) -> None:
    """Create a user, asking for the password twice, and print the new user's id.

    \b
    Example:
      flexmeasures add user --username admin --email admin@example.com --roles admin
    """
    from flexmeasures.data.services.assets import check_timezone
    from flexmeasures.data.services.users import check_new_user, create_user

    with one_transaction():  # before asking for the password: is the rest right?
        check_new_user(email, username, roles.split(","))
        check_timezone(timezone)
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    with one_transaction():
        user = create_user(
            email,
            password,
            username=username,
            roles=roles.split(","),
            timezone=check_timezone(timezone),
            account_id=account_id,
        )
        done = f"Successfully created user {user.username} ({user.email}) with id {user.id}"
        role_names = ", ".join(role.name for role in user.roles) or "none"
    click.echo(f"{done} (roles: {role_names}).")


@add_group.command("asset")
@click.option("--name", required=True, help="Name, unique among the owner's assets.")
@click.option("--asset-type-name", required=True, help="e.g. solar, wind, battery, building.")
@click.option(
    "--capacity-in-MW",
    "--capacity-in-mw",
    "capacity_in_mw",
    type=click.FloatRange(min=0),
    required=True,
    help="Capacity in MW.",
)
@click.option("--event-resolution", type=MINUTES, required=True, help="Resolution in minutes.")
@click.option("--latitude", type=LATITUDE, required=True, help="Decimal degrees.")
@click.option("--longitude", type=LONGITUDE, required=True, help="Decimal degrees.")
@click.option("--owner-id", type=int, required=True, help="Id of the owning user.")
@click.option("--market-id", type=int, help="Id of its market [default: the market epex_da].")
@click.option("--display-name", help="Name shown in the UI [default: the name].")
@click.option("--unit", default="MW", show_default=True, help="Unit of its power values (MW, kW).")
@click.option("--min-soc-in-mwh", type=float, help="Storage only: lowest state of charge (MWh).")
@click.option("--max-soc-in-mwh", type=float, help="Storage only: highest state of charge (MWh).")
@click.option("--timezone", help=TIMEZONE_HELP)
@with_appcontext
def add_asset(**fields: Any) -> None:
    """Create an asset and print its id and entity address.

    Without --market-id, the asset is linked to the dummy market epex_da (see `add
    structure`). Storage assets (e.g. batteries) need --min-soc-in-mwh and --max-soc-in-mwh
    to be scheduled.

    \b
    Example:
      flexmeasures add asset --name "my basement battery pack" --asset-type-name battery \\
        --capacity-in-MW 30 --event-resolution 2 --latitude 65 --longitude 123.76 --owner-id 1
    """
    from flexmeasures.data.services.assets import create_asset, is_storage

    with one_transaction():
        asset = create_asset(**fields)
        summary = (
            f"Successfully created asset '{asset.name}' ({asset.asset_type_name}, "
            f"{asset.capacity_in_mw} MW) with id {asset.id}, owned by user {asset.owner_id}, "
            f"on market {asset.market.name if asset.market else '(none)'}."
        )
        address_info = {"owner_id": asset.owner_id, "asset_id": asset.id}
        lacks_soc = is_storage(asset.asset_type) and None in (
            asset.min_soc_in_mwh,
            asset.max_soc_in_mwh,
        )
    click.echo(summary)
    click.echo(f"Its entity address is {entity_address(address_info, 'connection')}.")
    if lacks_soc:
        click.echo("Note: set its min and max state of charge (MWh) before scheduling it.")


@add_group.command("weather-sensor")
@click.option("--name", required=True, help="Unique name.")
@click.option(
    "--weather-sensor-type-name", required=True, help="temperature, wind_speed or radiation."
)
@click.option("--unit", help="°C, m/s or kW/m², matching the type [default: the type's unit].")
@click.option("--event-resolution", type=MINUTES, required=True, help="Resolution in minutes.")
@click.option("--latitude", type=LATITUDE, required=True, help="Decimal degrees.")
@click.option("--longitude", type=LONGITUDE, required=True, help="Decimal degrees.")
@click.option("--display-name", help="Name shown in the UI [default: the name].")
@click.option("--timezone", help=TIMEZONE_HELP)
@with_appcontext
def add_weather_sensor(**fields: Any) -> None:
    """Create a weather sensor (one per type and location) and print its id and entity address.

    \b
    Example:
      flexmeasures add weather-sensor --name "my rooftop thermometer" \\
        --weather-sensor-type-name temperature --unit °C --event-resolution 15 \\
        --latitude 33 --longitude 2.4
    """
    from flexmeasures.data.services.assets import create_weather_sensor

    with one_transaction():
        sensor = create_weather_sensor(**fields)
        summary = (
            f"Successfully created weather sensor '{sensor.name}' "
            f"({sensor.weather_sensor_type_name}, {sensor.unit}) with id {sensor.id}."
        )
        address_info = {
            "weather_sensor_type_name": sensor.weather_sensor_type_name,
            "latitude": sensor.latitude,
            "longitude": sensor.longitude,
        }
    click.echo(summary)
    click.echo(f"Its entity address is {entity_address(address_info, 'weather_sensor')}.")


@add_group.command("market")
@click.option("--name", required=True, help="Unique name: letters, digits, '_' and '-'.")
@click.option("--market-type-name", required=True, help="e.g. day_ahead or tou_tariff.")
@click.option("--unit", required=True, help="Unit of its prices, e.g. EUR/MWh.")
@click.option("--event-resolution", type=MINUTES, default=60, show_default=True, help="In minutes.")
@click.option("--display-name", help="Name shown in the UI [default: the name].")
@click.option("--timezone", help=TIMEZONE_HELP)
@with_appcontext
def add_market(**fields: Any) -> None:
    """Create a market and print its id and entity address.

    \b
    Example:
      flexmeasures add market --name kpx_da --market-type-name day_ahead --unit KRW/kWh
    """
    from flexmeasures.data.services.assets import create_market

    with one_transaction():
        market = create_market(**fields)
        summary = (
            f"Successfully created market '{market.name}' ({market.market_type_name}, "
            f"{market.unit}) with id {market.id}."
        )
        address_info = {"market_name": market.name}
    click.echo(summary)
    click.echo(f"Its entity address is {entity_address(address_info, 'market')}.")


def entity_address(entity_info: dict[str, Any], entity_type: str) -> str:
    """The entity's EA1 address on this server (SERVER_NAME, or localhost when not set)."""
    from flexmeasures.data.entity_address import EntityAddressException, build_entity_address

    host = current_app.config.get("SERVER_NAME") or "localhost"
    try:
        return build_entity_address(
            entity_info,
            entity_type,
            host,
            current_app.config["FLEXMEASURES_HOSTS_AND_AUTH_START"],
        )
    except EntityAddressException as exc:
        return f"(unknown: {exc})"
