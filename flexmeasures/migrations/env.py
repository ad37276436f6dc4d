"""Alembic environment: migrate the database of the current FlexMeasures app.

Run through Flask-Migrate (``flexmeasures db upgrade``), so ``current_app`` is the app whose
``SQLALCHEMY_DATABASE_URI`` is migrated. SQLite gets batch mode (table copies) for ALTERs.
"""

from importlib import import_module

from alembic import context
from flask import current_app

from flexmeasures.data import db

import_module("flexmeasures.data.models")  # registers every table with the metadata


def run_migrations_online() -> None:
    """Run the migrations on a connection to the app's database."""
    configure_args = dict(current_app.extensions["migrate"].configure_args)
    configure_args.setdefault("process_revision_directives", _skip_empty_autogeneration)
    configure_args.setdefault("compare_type", True)
    configure_args.setdefault("render_item", _render_plain_types)
    with db.engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=db.metadata,
            **configure_args,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


def run_migrations_offline() -> None:
    """Emit the migrations as SQL (``flexmeasures db upgrade --sql``)."""
    context.configure(
        url=db.engine.url.render_as_string(hide_password=False),
        target_metadata=db.metadata,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _render_plain_types(type_: str, obj, autogen_context):
    """Write our TypeDecorators as the plain SQLAlchemy types they store (no app imports)."""
    from flexmeasures.data.models.types import UTCDateTime

    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _skip_empty_autogeneration(context, revision, directives) -> None:
    """Do not write an empty migration when autogenerate finds no model changes."""
    cmd_opts = getattr(context.config, "cmd_opts", None)
    if getattr(cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
        directives[:] = []


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
