"""``flexmeasures jobs``: run workers for the forecasting and scheduling queues, clear queues,
expire due marketplace orders."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from flexmeasures.cli.groups import jobs_group
from flexmeasures.jobs import QUEUE_NAMES

QUEUE_HELP = (
    f"Queue name ({' or '.join(QUEUE_NAMES)}). Repeat the option, or join names with '|' "
    "(quoted), for several queues."
)


@jobs_group.command("run-worker")
@click.option("--queue", "queue_names", multiple=True, required=True, help=QUEUE_HELP)
@click.option("--name", default=None, help="Name of the worker (default: host name and pid).")
@click.option("--burst", is_flag=True, help="Quit when the queues are empty instead of waiting.")
@with_appcontext
def run_worker(queue_names: tuple[str, ...], name: str | None, burst: bool) -> None:
    """Start a worker for forecasting and/or scheduling jobs.

    The worker runs in this process with the app's configuration, so jobs use the configured
    database; it needs the Redis server of FLEXMEASURES_REDIS_URL. Start as many workers as
    you like, on any machine sharing that Redis and the database.

    \b
    Example:
        flexmeasures jobs run-worker --queue forecasting
        flexmeasures jobs run-worker --queue "forecasting|scheduling" --name worker-1
    """
    from flexmeasures.jobs import QueueError, check_queues_are_async, make_worker, parse_queue_names

    try:
        names = parse_queue_names(queue_names)
        check_queues_are_async("jobs run-worker")
        worker = make_worker(names, name=name)
    except (QueueError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    from redis.exceptions import RedisError

    click.echo(f"Worker {worker.name} works on queue(s) {', '.join(names)}.")
    try:
        worker.work(burst=burst, logging_level="INFO")
    except ValueError as exc:  # rq refuses a name that an active worker already has
        raise click.ClickException(str(exc)) from exc
    except RedisError as exc:
        raise click.ClickException(f"Lost the connection to Redis: {exc}") from exc


@jobs_group.command("clear-queue")
@click.option("--queue", "queue_names", multiple=True, required=True, help=QUEUE_HELP)
@click.option("--failed", is_flag=True, help="Also delete the jobs that failed.")
@with_appcontext
def clear_queue(queue_names: tuple[str, ...], failed: bool) -> None:
    """Clear a job queue (and, with --failed, its failed jobs).

    \b
    Example:
        flexmeasures jobs clear-queue --queue forecasting
        flexmeasures jobs clear-queue --queue "forecasting|scheduling" --failed
    """
    from flexmeasures.jobs import QueueError, check_queues_are_async, parse_queue_names
    from flexmeasures.jobs import clear_queue as clear

    try:
        names = parse_queue_names(queue_names)
        check_queues_are_async("jobs clear-queue")
    except QueueError as exc:
        raise click.ClickException(str(exc)) from exc
    for queue_name in names:
        waiting, failed_removed = clear(queue_name, failed=failed)
        message = f"Cleared queue {queue_name}: removed {waiting} waiting job(s)"
        if failed:
            message += f" and {failed_removed} failed job(s)"
        click.echo(message + ".")


@jobs_group.command("expire-market-orders")
@click.option(
    "--every",
    type=click.IntRange(min=1),
    default=None,
    help="Keep running, expiring due orders every this many seconds (default: once).",
)
@with_appcontext
def expire_market_orders(every: int | None) -> None:
    """Expire the marketplace's orders that are due: at their expiry time, and at the latest
    15 minutes before their delivery start (with their stream messages).

    Requests to the marketplace expire due orders too; this command makes it happen when
    there is no traffic. Run it once (e.g. from cron) or keep it running with --every.

    \b
    Example:
        flexmeasures jobs expire-market-orders
        flexmeasures jobs expire-market-orders --every 60
    """
    import time

    from flexmeasures.data import db
    from flexmeasures.market.service import expire_orders

    while True:
        expired = expire_orders()
        db.session.remove()
        click.echo(f"Expired {len(expired)} market order(s).")
        if every is None:
            return
        time.sleep(every)
