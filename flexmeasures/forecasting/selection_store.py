"""Where the model choice of "auto" forecasts is kept: with the data source of the forecasts.

When a forecasting job (or ``flexmeasures add forecasts``) runs without a model asked for
and none configured for the sensor, it uses the model chosen by a backtest
(``flexmeasures.forecasting.selection``). The choice, with every candidate's backtest
score, is saved in the ``attributes`` of the data source of the chosen model's forecasts
(type "forecasting script", e.g. model "ols"), under
``{"selections": {"<sensor id>": {"<horizon, ISO 8601>": Selection.to_dict()}}}``, so the
UI and the API can say why a sensor's forecasts come from that model. A sensor and horizon
has at most one stored choice: a new one removes the old one from any other source.

A stored choice is reused while it is at most FLEXMEASURES_FORECASTING_SELECTION_MAX_AGE
older than the data the forecasts are made from (see ``Selection.valid_for``); then the
backtest is made again (the refit schedule).
"""

from __future__ import annotations

import copy
from datetime import timedelta

import pandas as pd
from flask import current_app
from sqlalchemy import select

from flexmeasures.data import db
from flexmeasures.data.models import DataSource
from flexmeasures.forecasting.selection import DEFAULT_MAX_AGE, Selection, known_at, select_model

SELECTIONS = "selections"
SOURCE_TYPE = "forecasting script"


def max_age() -> pd.Timedelta:
    """How long a model choice is kept (FLEXMEASURES_FORECASTING_SELECTION_MAX_AGE)."""
    configured = current_app.config.get("FLEXMEASURES_FORECASTING_SELECTION_MAX_AGE")
    return pd.Timedelta(configured or DEFAULT_MAX_AGE)


def horizon_key(horizon: timedelta) -> str:
    """The key of a horizon in the stored selections, e.g. "P0DT6H0M0S"."""
    return pd.Timedelta(horizon).isoformat()


def _sources_with_selections(lock: bool = False) -> list[DataSource]:
    """The forecasting sources that have attributes (locked for update if asked)."""
    query = select(DataSource).where(
        DataSource.type == SOURCE_TYPE, DataSource.attributes.is_not(None)
    )
    if lock:  # and read afresh
        query = query.with_for_update().execution_options(populate_existing=True)
    return list(db.session.scalars(query.order_by(DataSource.id)))


def stored_selections(sensor_id: int) -> dict[pd.Timedelta, tuple[DataSource, Selection]]:
    """The stored model choices of a sensor by horizon, each with the source holding it."""
    found: dict[pd.Timedelta, tuple[DataSource, Selection]] = {}
    for source in _sources_with_selections():
        per_horizon = (source.attributes or {}).get(SELECTIONS, {}).get(str(sensor_id), {})
        for data in per_horizon.values():
            selection = Selection.from_dict(data)
            found[selection.horizon] = (source, selection)
    return found


def selections_json(sensor_id: int) -> list[dict]:
    """The stored model choices of a sensor, by horizon (shortest first), as the API shows
    them: horizon (ISO 8601), model, the data source of its forecasts, and the backtest
    (``Selection.to_dict``: WAPE and skill as fractions, scores per candidate)."""
    found = stored_selections(sensor_id)
    return [
        {
            "horizon": horizon.isoformat(),
            "model": selection.model,
            "data_source": {
                "id": source.id,
                "name": source.name,
                "type": source.type,
                "model": source.model,
                "version": source.version,
            },
            "backtest": selection.to_dict(),
        }
        for horizon, (source, selection) in sorted(found.items(), key=lambda item: item[0])
    ]


def stored_selection(sensor_id: int, horizon: timedelta) -> Selection | None:
    """The stored model choice of a sensor at a horizon, if any."""
    found = stored_selections(sensor_id).get(pd.Timedelta(horizon))
    return found[1] if found else None


def remember_selection(source: DataSource, sensor_id: int, selection: Selection) -> None:
    """Store the choice in the source's attributes, removing any earlier choice for the
    same sensor and horizon from other sources. Does not commit.

    The sources are locked (SELECT ... FOR UPDATE) and read afresh first, so that jobs
    storing choices at the same time (other sensors or horizons) do not lose each other's.
    """
    sensor_key, key = str(sensor_id), horizon_key(selection.horizon)
    db.session.flush()
    db.session.refresh(source, with_for_update=True)
    for other in _sources_with_selections(lock=True):
        per_sensor = (other.attributes or {}).get(SELECTIONS, {}).get(sensor_key, {})
        if other.id != source.id and key in per_sensor:
            attributes = copy.deepcopy(other.attributes)
            del attributes[SELECTIONS][sensor_key][key]
            other.attributes = attributes
    attributes = copy.deepcopy(source.attributes or {})
    attributes.setdefault(SELECTIONS, {}).setdefault(sensor_key, {})[key] = selection.to_dict()
    source.attributes = attributes
    db.session.flush()


def model_choice(
    sensor_id: int,
    horizon: timedelta,
    start: pd.Timestamp,
    history: pd.Series,
    regressors: pd.DataFrame | None,
    model_options: dict,
) -> tuple[Selection, bool]:
    """The model for "auto" forecasts of events from ``start`` on: the stored choice while
    valid (see the module docstring), else a new backtest on the history known at their
    first belief time. Returns the choice and whether it is new (to be stored)."""
    stored = stored_selection(sensor_id, horizon)
    if stored is not None and stored.valid_for(start, max_age()):
        return stored, False
    known = known_at(history, start, horizon)
    selection = select_model(known, pd.Timedelta(horizon), regressors, model_options)
    return selection, selection.data_until is not None
