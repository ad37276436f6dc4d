"""``flexmeasures run``: Flask's development server, with the database checked first.

At start, the embedded SQLite database is brought up to date. Any other database is checked:
one that cannot be used (it does not exist, or does not answer) makes ``run`` refuse to
start, with a one-line error, as every request would fail; a schema that is not at the latest
migration gets a one-line warning and the server starts (``/api/ops/ping`` answers 503 until
``flexmeasures db upgrade`` has run). The port must be one a server can listen on (1-65535).

HTTPS: ``--cert`` (a PEM certificate, or its chain) and ``--key`` (its PEM private key), or
the settings ``FLEXMEASURES_TLS_CERT_FILE`` and ``FLEXMEASURES_TLS_KEY_FILE``; the files are
checked before the server starts (a missing or unreadable file, or a key that does not belong
to the certificate, ends ``run`` with a one-line error). ``--cert adhoc`` makes a throwaway
self-signed certificate (Flask's option).
"""

from __future__ import annotations

import ssl
from typing import Any

import click
from flask import current_app
from flask.cli import run_command, with_appcontext

LARGEST_PORT = 65535


def upgrade_embedded_database() -> None:
    """Bring a SQLite database up to the latest migration (the embedded default only)."""
    if not current_app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    from flask_migrate import upgrade

    click.echo(f"Using {current_app.config['SQLALCHEMY_DATABASE_URI']}; applying migrations ...")
    upgrade()


def check_database() -> None:
    """Refuse to start on a database that cannot be used; warn if its schema is behind."""
    from sqlalchemy.exc import SQLAlchemyError

    from flexmeasures.data import db
    from flexmeasures.data.schema_state import (
        migrations_directory,
        schema_problem,
        unusable_database_message,
    )

    try:
        with db.engine.connect() as connection:
            problem = schema_problem(connection, migrations_directory(current_app))
    except SQLAlchemyError as exc:
        raise click.ClickException(unusable_database_message(exc)) from exc
    if problem:
        click.secho(f"Warning: {problem}", err=True, fg="yellow")


def _with_checked_options(params: list[click.Parameter]) -> list[click.Parameter]:
    """Flask's ``run`` options, with a ``--port`` that refuses numbers no server can use
    (Flask's own takes any integer and ends up on another port), and ``--cert``/``--key``
    taken as file names (checked by ``tls_context``, with the settings as defaults)."""
    ours = {
        "port": click.Option(
            ["--port", "-p"],
            type=click.IntRange(1, LARGEST_PORT),
            default=5000,
            show_default=True,
            help=f"The port to bind to (1-{LARGEST_PORT}).",
        ),
        "cert": click.Option(
            ["--cert"],
            help="Serve HTTPS with this PEM certificate (chain) file; 'adhoc' for a "
            "throwaway self-signed one. Default: the FLEXMEASURES_TLS_CERT_FILE setting.",
        ),
        "key": click.Option(
            ["--key"],
            help="The PEM private key of the certificate (unless the certificate file holds "
            "it). Default: the FLEXMEASURES_TLS_KEY_FILE setting.",
        ),
    }
    return [ours.get(param.name or "", param) for param in params]


def tls_context(cert: str | None, key: str | None) -> ssl.SSLContext | str | None:
    """The TLS setting for the server: an SSL context from the certificate and key files
    (the options, else the FLEXMEASURES_TLS_* settings), "adhoc", or None (plain HTTP).
    A file that cannot be used ends the command with a one-line error."""
    from flexmeasures.utils.tls import TLSConfigurationError, server_ssl_context

    config = current_app.config
    cert_option, key_option = "--cert", "--key"
    if not cert:
        cert, cert_option = config.get("FLEXMEASURES_TLS_CERT_FILE"), "FLEXMEASURES_TLS_CERT_FILE"
    if not key:
        key, key_option = config.get("FLEXMEASURES_TLS_KEY_FILE"), "FLEXMEASURES_TLS_KEY_FILE"
    if not cert:
        if key:
            raise click.UsageError(f"A key ({key_option}) needs a certificate: give --cert.")
        return None
    if cert == "adhoc":
        return "adhoc"
    try:
        return server_ssl_context(cert, key, cert_option, key_option)
    except TLSConfigurationError as exc:
        raise click.ClickException(str(exc)) from exc


@click.command(
    "run",
    params=_with_checked_options(run_command.params),
    help=(
        "Run the web app with a development server (http://localhost:5000 by default).\n\n"
        "With no database configured, a SQLite file in the instance folder is used and "
        "brought up to date first. Any other database is checked first: if it cannot be "
        "used, the server does not start; if its schema is not at the latest migration, "
        "a warning says to run `flexmeasures db upgrade`. With --cert and --key (or the "
        "FLEXMEASURES_TLS_CERT_FILE and FLEXMEASURES_TLS_KEY_FILE settings) it serves HTTPS "
        "(and wss:// for the marketplace's WebSocket streams, which need --with-threads, the "
        "default). In production, serve flexmeasures.app:create_app() with a WSGI server "
        "instead (gunicorn with --certfile/--keyfile and --worker-class gthread)."
    ),
    context_settings=run_command.context_settings,
)
@click.pass_context
@with_appcontext
def run(ctx: click.Context, **kwargs: Any) -> None:
    """Check the TLS files if any, prepare the embedded database if used, check the
    database, then start Flask's development server."""
    # Flask's own run takes the key folded into its cert argument (an SSL context here)
    kwargs["cert"] = tls_context(kwargs.get("cert"), kwargs.pop("key", None))
    upgrade_embedded_database()
    check_database()
    ctx.invoke(run_command, **kwargs)
