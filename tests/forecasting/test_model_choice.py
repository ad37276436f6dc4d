"""Model choice in jobs ("auto", the default): the backtest's winner makes the forecasts, the
choice and its scores are kept with that model's data source and shown by the API, reused
while fresh and made again when too old; an explicit model wins."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select

from flexmeasures.data.models import DataSource
from flexmeasures.forecasting import selection_store
from flexmeasures.forecasting.jobs import make_rolling_forecasts
from flexmeasures.forecasting.selection import Selection
from flexmeasures.forecasting.selection_store import remember_selection, stored_selection
from tests.api.auth_routes import get_token
from tests.forecasting.test_jobs import (
    DAY,
    HISTORY_START,
    HOUR,
    NEXT_DAY,
    add_asset,
    add_beliefs,
    forecasts_of,
)


def weekly_values(days: int = 16) -> np.ndarray:
    """Hourly power (MW) repeating one random week exactly."""
    week = np.random.default_rng(4).uniform(0.1, 0.9, 7 * 24)
    return np.resize(week, 24 * days)


@pytest.fixture
def weekly(db, structure, users):
    """An asset whose 16 days of hourly measurements repeat one week (committed)."""
    asset = add_asset(db, users["prosumer"], name="weekly")
    add_beliefs(db, asset, HISTORY_START, weekly_values())
    db.session.commit()
    return asset


@pytest.fixture
def spied_backtests(monkeypatch) -> list[pd.Timedelta]:
    """The horizons of the backtests made (select_model calls), in order."""
    calls = []
    original = selection_store.select_model

    def spy(series, horizon, *args, **kwargs):
        calls.append(horizon)
        return original(series, horizon, *args, **kwargs)

    monkeypatch.setattr(selection_store, "select_model", spy)
    return calls


def source_of(db, model: str) -> DataSource:
    """The forecaster's data source of a model."""
    return db.session.scalar(select(DataSource).filter_by(type="forecasting script", model=model))


def test_auto_forecasts_come_from_the_backtests_winner_and_keep_the_choice(db, weekly):
    summary = make_rolling_forecasts(weekly.id, 6 * HOUR, DAY, NEXT_DAY)

    saved = forecasts_of(db, weekly)
    assert set(saved["model"]) == {"naive-week"} and len(saved) == 24
    np.testing.assert_allclose(saved["event_value"], weekly_values()[14 * 24 : 15 * 24])
    kept = source_of(db, "naive-week").attributes["selections"][str(weekly.id)]["P0DT6H0M0S"]
    assert kept["model"] == "naive-week" and kept["wape"] == min(kept["scores"].values())
    assert set(kept["scores"]) == {
        "naive-persistence",
        "naive-yesterday",
        "naive-week",
        "profile",
        "ols",
        "hgb",
        "ols+hgb",
        "profile+ols",
        "profile+ols+hgb",
    }
    assert kept["data_until"] == (DAY - 6 * HOUR).isoformat()
    assert summary["selection"] == kept


def test_a_fresh_choice_is_reused_and_an_old_one_made_again(
    app, db, weekly, spied_backtests, monkeypatch
):
    two_hours = pd.Timedelta(hours=2)
    make_rolling_forecasts(weekly.id, 24 * HOUR, DAY, DAY + two_hours)
    make_rolling_forecasts(weekly.id, 24 * HOUR, DAY + two_hours, NEXT_DAY)
    assert spied_backtests == [24 * HOUR]

    monkeypatch.setitem(app.config, "FLEXMEASURES_FORECASTING_SELECTION_MAX_AGE", two_hours)
    make_rolling_forecasts(weekly.id, 24 * HOUR, NEXT_DAY, NEXT_DAY + two_hours)

    assert spied_backtests == [24 * HOUR, 24 * HOUR]
    assert stored_selection(weekly.id, 24 * HOUR).data_until == DAY


def test_an_explicit_model_wins_and_keeps_no_choice(db, weekly, spied_backtests):
    summary = make_rolling_forecasts(weekly.id, 6 * HOUR, DAY, NEXT_DAY, "naive-yesterday")

    assert set(forecasts_of(db, weekly)["model"]) == {"naive-yesterday"}
    assert summary["selection"] is None and spied_backtests == []
    assert stored_selection(weekly.id, 6 * HOUR) is None


def test_a_new_choice_replaces_the_one_kept_with_another_source(db, weekly):
    ols = DataSource(name="FlexMeasures", type="forecasting script", model="ols", version="1.0")
    hgb = DataSource(name="FlexMeasures", type="forecasting script", model="hgb", version="1.0")
    db.session.add_all([ols, hgb])
    kept_until = pd.Timestamp("2015-01-10T00:00Z")
    remember_selection(ols, weekly.id, Selection("ols", HOUR, 0.2, data_until=kept_until))
    remember_selection(ols, weekly.id, Selection("ols", 6 * HOUR, 0.3, data_until=kept_until))

    remember_selection(hgb, weekly.id, Selection("hgb", HOUR, 0.1, data_until=kept_until))

    assert stored_selection(weekly.id, HOUR).model == "hgb"
    assert list(ols.attributes["selections"][str(weekly.id)]) == ["P0DT6H0M0S"]


def test_the_api_shows_the_choice_with_its_source(client, db, weekly, users):
    source = DataSource(name="FlexMeasures", type="forecasting script", model="ols", version="1.0")
    db.session.add(source)
    scores = {"naive-yesterday": 0.2, "ols": 0.15}
    choice = Selection("ols", 6 * HOUR, 0.15, "naive-yesterday", 0.2, scores, DAY - 6 * HOUR)
    remember_selection(source, weekly.id, choice)
    db.session.commit()
    token = get_token(client, users["prosumer"].email)

    response = client.get(
        f"/api/v3_0/sensors/{weekly.id}/forecasting-models", headers={"Authorization": token}
    )

    assert response.status_code == 200, response.json
    (shown,) = response.json
    assert shown["horizon"] == "P0DT6H0M0S" and shown["model"] == "ols"
    assert shown["data_source"] == {
        "id": source.id,
        "name": "FlexMeasures",
        "type": "forecasting script",
        "model": "ols",
        "version": "1.0",
    }
    backtest = shown["backtest"]
    assert backtest["scores"] == scores and backtest["best_naive"] == "naive-yesterday"
    assert backtest["skill"] == pytest.approx(0.25)
    assert backtest["data_until"] == "2015-01-14T18:00:00+00:00"
    other = get_token(client, users["other_prosumer"].email)
    refused = client.get(
        f"/api/v3_0/sensors/{weekly.id}/forecasting-models", headers={"Authorization": other}
    )
    assert refused.status_code == 403
