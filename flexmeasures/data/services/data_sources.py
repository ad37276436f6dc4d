"""Data sources of users, and which sources hold meter data and which prognoses (see
``flexmeasures.data.models.data_source``)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from flexmeasures.data import db
from flexmeasures.data.models import DataSource, User
from flexmeasures.data.models.data_source import (
    NOT_METER_DATA_SOURCE_TYPES,
    PROGNOSIS_SOURCE_TYPES,
    USER_SOURCE_TYPE,
)

METER_DATA = "meter data"
PROGNOSES = "prognoses"
ALL_DATA = "all"


def user_source(user: User, source_type: str = USER_SOURCE_TYPE) -> DataSource:
    """The user's data source of this type ("user" or "prognosis"), created on first use.

    Safe when two requests of the user create it at once (the second one finds it).
    """
    query = select(DataSource).filter_by(user_id=user.id, type=source_type)
    source = db.session.scalar(query)
    if source is not None:
        return source
    try:
        with db.session.begin_nested():
            source = DataSource(name=user.username, type=source_type, user_id=user.id)
            db.session.add(source)
    except IntegrityError:
        source = db.session.scalar(query)
    return source


def source_ids_of_kind(kind: str, among: Sequence[int] | None = None) -> tuple[int, ...] | None:
    """The ids of the sources of meter data (METER_DATA: every source but forecasters,
    schedulers and users' prognoses) or of prognoses (PROGNOSES), optionally only those
    ``among`` some ids. For ALL_DATA: ``among`` as it is (None: every source)."""
    if kind == ALL_DATA:
        return tuple(among) if among is not None else None
    query = select(DataSource.id).order_by(DataSource.id)
    if kind == PROGNOSES:
        query = query.where(DataSource.type.in_(PROGNOSIS_SOURCE_TYPES))
    elif kind == METER_DATA:
        query = query.where(DataSource.type.not_in(NOT_METER_DATA_SOURCE_TYPES))
    else:
        raise ValueError(
            f"Unknown kind of data '{kind}'; use '{METER_DATA}', '{PROGNOSES}' or '{ALL_DATA}'."
        )
    if among is not None:
        query = query.where(DataSource.id.in_(among))
    return tuple(db.session.scalars(query))
