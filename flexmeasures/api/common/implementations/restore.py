"""Resetting a simulation server (play mode): restore the database to a named backup
(seed: Simulation, "Resetting the server"; API change log v1.1-2).

Backups are folders of CSV files in ``FLEXMEASURES_DB_BACKUP_PATH`` (see
``flexmeasures.data.services.backup`` and ``flexmeasures db-ops save``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import DataError, IntegrityError

from flexmeasures.api.common.responses import (
    BAD_REQUEST,
    ResponseTuple,
    request_processed,
    response,
)
from flexmeasures.data import db
from flexmeasures.data.services.backup import BackupError, list_backups, load_backup


def no_backup() -> ResponseTuple:
    """NO_BACKUP (400): the message names no backup."""
    return response("NO_BACKUP", "Request message should include 'backup'.", BAD_REQUEST)


def unrecognized_backup(known: list[str]) -> ResponseTuple:
    """UNRECOGNIZED_BACKUP (400): there is no backup of that name; lists the known ones."""
    return response(
        "UNRECOGNIZED_BACKUP",
        f"The requested backup is not known. Known backups: {', '.join(known) or 'none'}.",
        BAD_REQUEST,
    )


def restore_data(version, message: dict[str, Any]) -> ResponseTuple:
    """Replace everything in the database with the backup named in ``backup`` (e.g. demo_v0).

    All tables are emptied and the backup loaded in one transaction: if the backup cannot
    be loaded (INVALID_BACKUP), nothing changes.
    """
    name = message.get("backup")
    if name is None or name == "":
        return no_backup()
    known = list_backups()
    if name not in known:
        return unrecognized_backup(known)
    try:
        counts = load_backup(name, replace=True)
    except (BackupError, OSError, IntegrityError, DataError) as exc:
        db.session.rollback()
        return response(
            "INVALID_BACKUP",
            f"Backup '{name}' could not be restored, so nothing was changed: "
            f"{getattr(exc, 'orig', None) or exc}",
            BAD_REQUEST,
        )
    db.session.commit()
    return request_processed(
        f"Database restored to backup '{name}': {sum(counts.values())} rows in "
        f"{len(counts)} tables."
    )
