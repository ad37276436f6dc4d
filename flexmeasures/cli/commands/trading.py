"""Trading the platform's flexibility on a GLocalFlex-compatible marketplace
(documentation/trading.md): ``flexmeasures add trading-orders``, ``add trading-setting``,
``show trading`` and ``jobs trade``.

The data and market layers are imported inside the commands, so that ``--help`` answers
without them.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext

from flexmeasures.cli.commands.data_common import one_transaction
from flexmeasures.cli.groups import add_group, jobs_group, show_group

TIME_HELP = "ISO 8601, on a quarter hour; without an offset: UTC"


def parse_utc(text: str, option: str) -> datetime:
    """An ISO 8601 time as aware UTC (UTC if it has no offset); BadParameter otherwise."""
    import pandas as pd

    try:
        moment = pd.Timestamp(text)
    except ValueError as exc:
        raise click.BadParameter(f"'{text}' is not an ISO 8601 time.", param_hint=option) from exc
    moment = moment.tz_localize("UTC") if moment.tzinfo is None else moment.tz_convert("UTC")
    return moment.to_pydatetime()


def make_connector() -> Any:
    """The connector to the configured marketplace (FLEXMEASURES_TRADING_*); a one-line
    error naming the missing setting if it is not configured."""
    from flexmeasures.market.connector import ConfigurationError, ConnectorSettings, MarketConnector

    try:
        return MarketConnector(ConnectorSettings.from_config(current_app.config))
    except ConfigurationError as exc:
        raise click.ClickException(str(exc)) from exc


def now_utc() -> datetime:
    """Now, aware UTC (order time)."""
    import pandas as pd

    return pd.Timestamp.now(tz="UTC").to_pydatetime()


@add_group.command("trading-orders")
@click.option(
    "--asset-id", type=int, required=True, help="Id of the asset whose flexibility to sell."
)
@click.option(
    "--from", "start_text", required=True, metavar="ISO", help=f"Start of delivery ({TIME_HELP})."
)
@click.option(
    "--to", "end_text", required=True, metavar="ISO", help=f"End of delivery ({TIME_HELP})."
)
@click.option(
    "--expected-price",
    type=click.FloatRange(min=0),
    metavar="EUR/kWh",
    help="Market price expected for flexibility "
    "[default: FLEXMEASURES_TRADING_EXPECTED_PRICE_EUR_PER_KWH].",
)
@click.option("--dry-run", is_flag=True, help="Print what would be offered; submit nothing.")
@with_appcontext
def add_trading_orders(
    asset_id: int, start_text: str, end_text: str, expected_price: float | None, dry_run: bool
) -> None:
    """Offer the asset's flexibility in [--from, --to) on the marketplace as sell orders.

    Flexibility per quarter hour = the asset's schedule minus its baseline (its forecast as
    known now), in W; quarter hours whose expected value is positive are offered at the
    cost of deviating (lost arbitrage + battery wear) plus a margin, expiring a lead time
    before delivery. Each order carries an idempotency key: running the command again in
    the same quarter hour does not sell twice, and quarter hours with a live order are
    skipped. Needs FLEXMEASURES_TRADING_MARKET_URL and credentials (not for --dry-run).

    \b
    Example:
      flexmeasures add trading-orders --asset-id 3 --from 2030-01-08T00:00Z \\
        --to 2030-01-09T00:00Z --dry-run
    """
    from flexmeasures.market.trading import place_orders, plan_orders

    start, end = parse_utc(start_text, "--from"), parse_utc(end_text, "--to")
    with one_transaction():
        if dry_run:
            plan = plan_orders(asset_id, start, end, now_utc(), expected_price)
            echo_plan(plan)
            return
        plan, counts = place_orders(
            make_connector(), asset_id, start, end, now_utc(), expected_price
        )
    echo_plan(plan)
    click.echo(f"Submitted {counts['submitted']} order(s), {counts['failed']} failed.")


def echo_plan(plan: Any) -> None:
    """Print the strategy's view per quarter hour and the orders (blocks) it makes."""
    if not plan.enabled:
        click.echo(f"Trading is switched off for asset {plan.asset_id}: nothing offered.")
    offered = plan.slots[plan.slots["offer"]]
    click.echo(
        f"Asset {plan.asset_id}: {len(plan.orders)} order(s) to offer "
        f"({len(offered)} of {len(plan.slots)} quarter hours worth offering; run {plan.run_id})."
    )
    header = ("delivery start (UTC)", "flex W", "offer W", "EUR/kWh", "value EUR")
    click.echo("{:<22} {:>10} {:>9} {:>8} {:>10}".format(*header))
    for start, row in offered.iterrows():
        click.echo(
            f"{start.strftime('%Y-%m-%d %H:%M'):<22} {row['flexibility_w']:>10.0f} "
            f"{row['offer_power_w']:>9.0f} {row['price_eur_per_kwh']:>8.4f} "
            f"{row['expected_value_eur']:>10.4f}"
        )
    for order in plan.orders:
        start, end = pd_time(order["delivery_start"]), pd_time(order["delivery_end"])
        click.echo(
            f"order {start.strftime('%Y-%m-%d %H:%M')} - {end.strftime('%H:%M')}: "
            f"{order['power']} W at {order['price']:.4f} EUR/kWh, "
            f"expires {pd_time(order['expiry_time']).strftime('%Y-%m-%d %H:%M')}"
        )


def pd_time(text: str) -> Any:
    """A marketplace time string as a pandas Timestamp (UTC)."""
    import pandas as pd

    return pd.Timestamp(text)


def amount(unit: str, help_text: str, at_least: int | None = None) -> dict[str, Any]:
    """click.option arguments of a setting in a unit: a number >= 0 (a whole number >=
    ``at_least`` if given); not given: keep the current value."""
    kind = click.FloatRange(min=0) if at_least is None else click.IntRange(min=at_least)
    return {"type": kind, "metavar": unit, "help": help_text}


@add_group.command("trading-setting")
@click.option("--asset-id", type=int, required=True, help="Id of the asset.")
@click.option(
    "--enable/--disable", "enabled", default=True, show_default=True, help="Trade or not."
)
@click.option("--battery-wear", **amount("EUR/MWh", "Wear cost per MWh delivered."))
@click.option("--margin", **amount("EUR/kWh", "Added to the cost of deviating."))
@click.option("--lead-time", **amount("MINUTES", "Offers expire this long before delivery.", 1))
@click.option("--min-power", **amount("W", "Smaller deviations are not offered."))
@click.option(
    "--max-block",
    **amount("QUARTER-HOURS", "Longest sell order (consecutive equal-power quarter hours).", 1),
)
@click.option("--country-code", help="The orders' country code (e.g. DE) [default: any].")
@click.option("--location-id", help="The orders' location id [default: any].")
@with_appcontext
def add_trading_setting(asset_id: int, enabled: bool, **values: Any) -> None:
    """Set how an asset trades its flexibility (options not given keep their value), or
    switch its trading off with --disable.

    \b
    Example:
      flexmeasures add trading-setting --asset-id 3 --battery-wear 30 --margin 0.02
      flexmeasures add trading-setting --asset-id 3 --disable
    """
    from flexmeasures.data import db
    from flexmeasures.data.models import Asset, TradingSetting

    names = {"battery_wear": "battery_wear_eur_per_mwh", "margin": "margin_eur_per_kwh"}
    names |= {"lead_time": "lead_time_minutes", "min_power": "min_power_w"}
    names |= {"max_block": "max_block_quarter_hours"}
    with one_transaction():
        if db.session.get(Asset, asset_id) is None:
            raise ValueError(f"There is no asset with id {asset_id}.")
        setting = db.session.get(TradingSetting, asset_id)
        if setting is None:
            setting = TradingSetting(
                asset_id=asset_id, battery_wear_eur_per_mwh=0.0, min_power_w=1.0
            )
            db.session.add(setting)
        setting.enabled = enabled
        for option, value in values.items():
            if value is not None:
                setattr(setting, names.get(option, option), value)
    state = "on" if enabled else "off"
    click.echo(f"Trading of asset {asset_id} is switched {state}.")


@show_group.command("trading")
@click.option("--asset-id", type=int, help="Only this asset's orders.")
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=50,
    show_default=True,
    help="Most recent orders shown.",
)
@with_appcontext
def show_trading(asset_id: int | None, limit: int) -> None:
    """List the platform's orders on the marketplace (newest delivery first) with their
    status, contracts, verification and settlement (net amount in EUR)."""
    from flexmeasures.market.reporting import order_lines

    for line in order_lines(asset_id, limit):
        click.echo(line)


@jobs_group.command("trade")
@click.option(
    "--every", type=click.IntRange(min=1), help="Repeat every this many seconds (default: once)."
)
@click.option(
    "--horizon",
    type=click.IntRange(min=1),
    default=24,
    show_default=True,
    metavar="HOURS",
    help="Offer flexibility from the next quarter hour on, this many hours ahead.",
)
@click.option(
    "--follow-stream/--poll",
    default=True,
    show_default=True,
    help="Follow the trade stream (else poll).",
)
@with_appcontext
def trade(every: int | None, horizon: int, follow_stream: bool) -> None:
    """The periodic trading job: for every asset whose trading is on, offer its flexibility
    for the coming hours; send the metering data of delivered contracts; keep our orders'
    statuses up to date (the trade stream in the background, or polling).

    \b
    Example:
      flexmeasures jobs trade --every 900
    """
    from flexmeasures.market.reporting import trading_round

    connector = make_connector()
    follower = start_follower(make_connector()) if follow_stream and every else None
    try:
        while True:
            for line in trading_round(connector, now_utc(), timedelta(hours=horizon), not follower):
                click.echo(line)
            if every is None:
                return
            import time

            time.sleep(every)
    finally:
        if follower is not None:
            follower[1].set()


def start_follower(connector: Any) -> tuple[Any, Any]:
    """Follow the trade stream in a background thread (with its own app context)."""
    import threading

    from flexmeasures.market.trade_stream import TradeStreamFollower

    app = current_app._get_current_object()
    stop = threading.Event()

    def follow() -> None:
        with app.app_context():
            TradeStreamFollower(connector).run(stop)

    thread = threading.Thread(target=follow, daemon=True)
    thread.start()
    return thread, stop
