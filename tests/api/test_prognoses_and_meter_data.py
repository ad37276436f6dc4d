"""A prognosis is what was sent through postPrognosis (or made by a forecaster), whatever
its horizon; meter data is what was sent as meter data (seed: Beliefs, Prognoses)."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest
from sqlalchemy import select

from flexmeasures.data.ingest import save_beliefs
from flexmeasures.data.models import Asset, DataSource
from flexmeasures.data.services.data_sources import (
    ALL_DATA,
    METER_DATA,
    PROGNOSES,
    source_ids_of_kind,
    user_source,
)
from tests.factories import make_asset

START = "2015-01-01T00:00:00Z"
QUERY_FIELDS = {"start": START, "duration": "PT1H", "unit": "MW"}


@pytest.fixture
def station(db, structure, users) -> Asset:
    return make_asset(users["prosumer"], "CS 1", "charging_station", capacity_in_mw=10)


def address(asset: Asset) -> str:
    return f"ea1.2018-06.localhost:{asset.owner_id}:{asset.id}"


def post(client, tokens, version: str, service: str, asset: Asset, values, **timing):
    message_type = f"{service[0].upper()}{service[1:]}Request"
    message = {
        "type": message_type,
        "connection": address(asset),
        "values": values,
        "start": START,
        "duration": "PT1H",
        "unit": "MW",
        **timing,
    }
    headers = {"Authorization": tokens["mdc"]}
    response = client.post(f"/api/{version}/{service}", json=message, headers=headers)
    assert response.status_code == 200, response.json


def get(client, tokens, service: str, asset: Asset, **extra) -> list:
    query = {"connection": address(asset), **QUERY_FIELDS, **extra}
    headers = {"Authorization": tokens["prosumer"]}
    response = client.get(f"/api/v2_0/{service}", query_string=query, headers=headers)
    assert response.status_code == 200, response.json
    return response.json["values"]


def test_a_prognosis_after_the_fact_is_a_prognosis(client, tokens, station):
    """Seed 1670: a prognosis made 10 minutes after the fact; 1618: a horizon of -PT1H
    selects beliefs recorded at most an hour after the fact."""
    post(client, tokens, "v2_0", "postPrognosis", station, [1, 2, 3, 4], horizon="-PT10M")
    assert get(client, tokens, "getPrognosis", station) == [1, 2, 3, 4]
    assert get(client, tokens, "getPrognosis", station, horizon="-PT1H") == [1, 2, 3, 4]
    assert get(client, tokens, "getPrognosis", station, horizon="-PT5M") == [None] * 4
    assert get(client, tokens, "getMeterData", station) == [None] * 4


def test_a_prognosis_without_horizon_before_v2_0_is_a_prognosis(client, tokens, station):
    """Seed 5522: a pre-2.0 POST without horizon is recorded right after each event."""
    post(client, tokens, "v1_3", "postPrognosis", station, [5, 5, 5, 5])
    assert get(client, tokens, "getPrognosis", station) == [5, 5, 5, 5]
    assert get(client, tokens, "getMeterData", station) == [None] * 4


def test_meter_data_is_never_answered_as_a_prognosis(client, tokens, station):
    post(client, tokens, "v2_0", "postMeterData", station, [7, 7, 7, 7], horizon="PT1H")
    assert get(client, tokens, "getMeterData", station) == [7, 7, 7, 7]
    assert get(client, tokens, "getPrognosis", station) == [None] * 4


def test_both_kept_and_each_answered_by_its_service(client, tokens, station, users, db):
    post(client, tokens, "v2_0", "postPrognosis", station, [1, 1, 1, 1], horizon="PT6H")
    post(client, tokens, "v2_0", "postMeterData", station, [2, 2, 2, 2], horizon="-PT5M")
    assert get(client, tokens, "getPrognosis", station) == [1, 1, 1, 1]
    assert get(client, tokens, "getMeterData", station) == [2, 2, 2, 2]
    mdc = users["mdc"]
    types = db.session.scalars(
        select(DataSource.type).where(DataSource.user_id == mdc.id).order_by(DataSource.type)
    ).all()
    assert types == ["prognosis", "user"]  # one source per kind of data
    # selecting the user (or the role) selects both of its sources
    assert get(client, tokens, "getPrognosis", station, source=str(mdc.id)) == [1, 1, 1, 1]
    assert get(client, tokens, "getMeterData", station, source="MDC") == [2, 2, 2, 2]


def test_meter_data_has_no_forecasts_where_nothing_was_measured(client, tokens, station, db):
    forecaster = DataSource(name="FlexMeasures", type="forecasting script", model="OLS")
    db.session.add(forecaster)
    db.session.flush()
    starts = pd.date_range(START, periods=4, freq="15min")
    save_beliefs(
        pd.DataFrame(
            {
                "sensor_id": station.id,
                "event_start": starts,
                "belief_horizon": timedelta(hours=6),
                "source_id": forecaster.id,
                "event_value": [3.0] * 4,
            }
        )
    )
    post(client, tokens, "v2_0", "postMeterData", station, [2, 2], duration="PT30M")
    assert get(client, tokens, "getMeterData", station) == [2, 2, None, None]
    assert get(client, tokens, "getPrognosis", station, horizon="PT6H") == [3.0] * 4


def test_kinds_of_data_select_sources(db, station, users):
    meter, prognosis = (user_source(users["mdc"], kind) for kind in ("user", "prognosis"))
    assert meter.id in source_ids_of_kind(METER_DATA)
    assert meter.id not in source_ids_of_kind(PROGNOSES)
    assert prognosis.id in source_ids_of_kind(PROGNOSES, among=[prognosis.id, meter.id])
    assert source_ids_of_kind(METER_DATA, among=[prognosis.id]) == ()
    assert source_ids_of_kind(ALL_DATA) is None
    assert source_ids_of_kind(ALL_DATA, among=[meter.id]) == (meter.id,)
    assert user_source(users["mdc"], "prognosis") is prognosis  # created once
