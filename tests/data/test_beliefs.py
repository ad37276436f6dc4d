"""Saving and searching beliefs: bulk ingest with conflict policies, most recent beliefs,
rolling-horizon and prior filters, source selection and resampling, on PostgreSQL."""

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
import timely_beliefs as tb
from sqlalchemy import select

from flexmeasures.charts.power import total
from flexmeasures.data import db as database
from flexmeasures.data.beliefs import search_beliefs as search_beliefs_frame
from flexmeasures.data.ingest import BeliefConflict, save_beliefs
from flexmeasures.data.models import Asset, DataSource
from flexmeasures.data.queries import resample_events, search_beliefs, sum_most_recent_beliefs
from flexmeasures.data.services.charts import ChartGrid, power_data

START = datetime(2021, 1, 1, tzinfo=UTC)
QUARTER = timedelta(minutes=15)


def _add_battery(db, owner, name: str = "battery") -> Asset:
    """A 15-minute battery of ``owner`` in ``db``'s session (flushed, so it has an id)."""
    asset = Asset(
        name=name,
        asset_type_name="battery",
        capacity_in_mw=2,
        latitude=52,
        longitude=4,
        owner=owner,
        unit="MW",
        event_resolution=QUARTER,
    )
    db.session.add(asset)
    db.session.flush()
    return asset


def _add_battery_and_sources(db, owner, others) -> tuple[Asset, dict[str, int]]:
    asset = _add_battery(db, owner)
    sources = {
        name: db.session.scalar(select(DataSource.id).filter_by(user_id=user.id))
        for name, user in others.items()
    }
    return asset, sources


@pytest.fixture(scope="module")
def sqlite_app(tmp_path_factory):
    """The embedded default: a migrated SQLite database."""
    from flask_migrate import upgrade

    from flexmeasures.app import create_app

    path = tmp_path_factory.mktemp("sqlite") / "fm.db"
    app = create_app(
        "development",
        settings={
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
            "FLEXMEASURES_REDIS_URL": None,
            "SECURITY_PASSWORD_HASH_OPTIONS": {"bcrypt": {"rounds": 4}},
        },
        instance_path=path.parent,
    )
    with app.app_context():
        upgrade()
    return app


@pytest.fixture(params=["postgresql", "sqlite"])
def store(request):
    """(battery, sources) in the test PostgreSQL database, or in a SQLite database."""
    if request.param == "postgresql":
        db = request.getfixturevalue("db")
        request.getfixturevalue("structure")
        users = request.getfixturevalue("users")
        yield _add_battery_and_sources(db, users["prosumer"], users)
        return
    from flexmeasures.data import db
    from flexmeasures.data.services.structure import add_default_structure
    from flexmeasures.data.services.users import create_user

    with request.getfixturevalue("sqlite_app").app_context():
        add_default_structure()
        users = {
            name: create_user(f"{name}@example.com", "testing-password", name)
            for name in ("prosumer", "mdc")
        }
        try:
            yield _add_battery_and_sources(db, users["prosumer"], users)
        finally:
            db.session.rollback()


def beliefs(sensor_id, source_id, values, horizon=timedelta(0), start=START):
    return pd.DataFrame(
        {
            "sensor_id": sensor_id,
            "event_start": pd.date_range(start, periods=len(values), freq=QUARTER),
            "belief_horizon": horizon,
            "source_id": source_id,
            "event_value": values,
        }
    )


def window(hours=1):
    return START, START + timedelta(hours=hours)


def test_save_and_read_back(store):
    battery, sources = store
    assert save_beliefs(beliefs(battery.id, sources["mdc"], [1.0, 2.0, 3.0, 4.0])) == 4
    found = search_beliefs([battery.id], *window())
    assert found["event_value"].tolist() == [1.0, 2.0, 3.0, 4.0]
    assert found["event_start"].iloc[0] == pd.Timestamp(START)
    assert (found["belief_horizon"] == timedelta(0)).all()


def test_conflict_policies(store):
    battery, sources = store
    save_beliefs(beliefs(battery.id, sources["mdc"], [1.0, 2.0]))
    assert save_beliefs(beliefs(battery.id, sources["mdc"], [5.0, 6.0]), "ignore") == 0
    assert search_beliefs([battery.id], *window())["event_value"].tolist() == [1.0, 2.0]
    with pytest.raises(BeliefConflict):
        save_beliefs(beliefs(battery.id, sources["mdc"], [5.0, 6.0, 7.0]), "refuse")
    assert len(search_beliefs([battery.id], *window())) == 2  # nothing of it was written
    assert save_beliefs(beliefs(battery.id, sources["mdc"], [5.0, 6.0]), "overwrite") == 2
    assert search_beliefs([battery.id], *window())["event_value"].tolist() == [5.0, 6.0]


def test_forecast_and_measurement_both_kept_most_recent_wins(store):
    battery, sources = store
    save_beliefs(beliefs(battery.id, sources["prosumer"], [1.0, 1.0], horizon=timedelta(hours=6)))
    save_beliefs(beliefs(battery.id, sources["mdc"], [2.0, 2.0], horizon=timedelta(0)))
    assert len(search_beliefs([battery.id], *window(), most_recent=False)) == 4
    assert search_beliefs([battery.id], *window())["event_value"].tolist() == [2.0, 2.0]
    per_source = search_beliefs([battery.id], *window(), most_recent="per_source")
    assert sorted(per_source["event_value"].tolist()) == [1.0, 1.0, 2.0, 2.0]


def test_rolling_horizon_and_prior_filters(store):
    battery, sources = store
    save_beliefs(beliefs(battery.id, sources["prosumer"], [1.0], horizon=timedelta(hours=6)))
    save_beliefs(beliefs(battery.id, sources["prosumer"], [2.0], horizon=timedelta(hours=1)))
    save_beliefs(beliefs(battery.id, sources["mdc"], [3.0], horizon=timedelta(minutes=-10)))
    at_least_6h = search_beliefs([battery.id], *window(), horizon=timedelta(hours=6))
    assert at_least_6h["event_value"].tolist() == [1.0]
    # the event ends at 00:15; with a 1 h horizon that belief was recorded at 23:15
    prior = datetime(2020, 12, 31, 23, 15, tzinfo=UTC)
    assert search_beliefs([battery.id], *window(), prior=prior)["event_value"].tolist() == [2.0]
    before = prior - timedelta(minutes=1)
    assert search_beliefs([battery.id], *window(), prior=before)["event_value"].tolist() == [1.0]
    assert search_beliefs([battery.id], *window())["event_value"].tolist() == [3.0]


def test_source_selection(store):
    battery, sources = store
    save_beliefs(beliefs(battery.id, sources["prosumer"], [1.0], horizon=timedelta(hours=1)))
    save_beliefs(beliefs(battery.id, sources["mdc"], [3.0]))
    only_prosumer = search_beliefs([battery.id], *window(), source_ids=[sources["prosumer"]])
    assert only_prosumer["event_value"].tolist() == [1.0]
    assert search_beliefs([battery.id], *window(), source_ids=[]).empty


def test_naive_or_incomplete_frames_are_refused(store):
    battery, sources = store
    frame = beliefs(battery.id, sources["mdc"], [1.0])
    with pytest.raises(ValueError, match="timezone"):
        save_beliefs(frame.assign(event_start=frame["event_start"].dt.tz_localize(None)))
    with pytest.raises(ValueError, match="NaN"):
        save_beliefs(frame.assign(event_value=float("nan")))
    with pytest.raises(ValueError, match="source_id"):
        save_beliefs(frame.drop(columns="source_id"))


def test_resample_events_down_and_up():
    index = pd.date_range(START, periods=4, freq=QUARTER)
    quarter_values = pd.Series([1.0, 2.0, 3.0, 4.0], index=index)
    hourly = resample_events(quarter_values, QUARTER, timedelta(hours=1), *window())
    assert hourly.tolist() == [2.5]
    half_hourly = pd.Series([1.0, 3.0], index=pd.date_range(START, periods=2, freq="30min"))
    upsampled = resample_events(half_hourly, timedelta(minutes=30), QUARTER, *window())
    assert upsampled.tolist() == [1.0, 1.0, 3.0, 3.0]
    gappy = resample_events(quarter_values.iloc[:1], QUARTER, QUARTER, *window())
    assert gappy.isna().tolist() == [False, True, True, True]


def seed_three_beliefs(battery, sources) -> None:
    """Two forecasts by the Prosumer (6 h ahead) and a measurement by the MDC (10 min after)."""
    save_beliefs(beliefs(battery.id, sources["prosumer"], [1.0, 1.5], horizon=timedelta(hours=6)))
    save_beliefs(beliefs(battery.id, sources["mdc"], [2.0], horizon=timedelta(minutes=-10)))


def test_beliefs_frame_index_values_and_sensor(store):
    battery, sources = store
    seed_three_beliefs(battery, sources)
    frame = search_beliefs_frame(battery, *window())
    assert isinstance(frame, tb.BeliefsDataFrame)
    assert frame.index.names == ["event_start", "belief_time", "source", "cumulative_probability"]
    assert frame["event_value"].tolist() == [2.0, 1.5]
    event_start, belief_time, source, probability = frame.index[0]
    assert event_start == pd.Timestamp(START)
    assert belief_time == pd.Timestamp(START + QUARTER + timedelta(minutes=10))
    assert source.id == sources["mdc"] and source.name == "user by mdc"
    assert probability == 0.5
    assert (frame.sensor.name, frame.sensor.unit, frame.event_resolution) == (
        "battery",
        "MW",
        QUARTER,
    )
    assert frame.belief_horizons.tolist() == [timedelta(minutes=-10), timedelta(hours=6)]


def test_beliefs_frame_filters(store):
    battery, sources = store
    seed_three_beliefs(battery, sources)
    prosumer = database.session.get(DataSource, sources["prosumer"])

    def values(**filters) -> list[float]:
        return search_beliefs_frame(battery.id, *window(), **filters)["event_value"].tolist()

    assert sorted(values(most_recent=False)) == [1.0, 1.5, 2.0]
    assert values(horizon=timedelta(hours=6)) == [1.0, 1.5]
    # the first forecast was formed at 18:15 the day before, the second at 18:30
    assert values(prior=START + QUARTER - timedelta(hours=6)) == [1.0]
    assert values(source=prosumer) == values(source=[sources["prosumer"]]) == [1.0, 1.5]
    assert values(kind="measurements") == [2.0]
    assert values(source=[]) == []


def test_beliefs_frame_empty_and_unknown_sensor(store):
    battery, _ = store
    empty = search_beliefs_frame(battery, *window())
    assert empty.empty and isinstance(empty, tb.BeliefsDataFrame)
    assert empty.index.names == ["event_start", "belief_time", "source", "cumulative_probability"]
    with pytest.raises(ValueError, match="No sensor with id"):
        search_beliefs_frame(battery.id + 1000, *window())


def _two_assets_with_beliefs(store) -> tuple[list[Asset], dict[str, int]]:
    """Two assets with overlapping measurements and forecasts, a gap and a later revision."""
    battery, sources = store
    from flexmeasures.data import db

    other = _add_battery(db, battery.owner, "battery 2")
    save_beliefs(beliefs(battery.id, sources["mdc"], [1.0, 2.0, 3.0]))
    save_beliefs(beliefs(battery.id, sources["mdc"], [9.0], start=START + 3 * QUARTER))
    save_beliefs(beliefs(other.id, sources["mdc"], [10.0, 20.0], start=START + QUARTER))
    later = beliefs(other.id, sources["prosumer"], [25.0], horizon=-QUARTER, start=START + QUARTER)
    save_beliefs(later)  # recorded later (smaller horizon): the most recent belief
    save_beliefs(beliefs(battery.id, sources["prosumer"], [4.0, 5.0], horizon=timedelta(hours=6)))
    save_beliefs(beliefs(other.id, sources["prosumer"], [6.0], horizon=timedelta(hours=1)))
    return [battery, other], sources


def test_summed_beliefs_equal_the_sum_of_the_searched_beliefs(store):
    assets, _ = _two_assets_with_beliefs(store)
    ids = [a.id for a in assets]
    for kind in ("measurements", "forecasts", "all"):
        found = search_beliefs(ids, *window(), kind=kind)
        expected = found.groupby("event_start")["event_value"].sum()
        summed = sum_most_recent_beliefs(ids, *window(), kind=kind)
        assert summed.to_dict() == expected.to_dict()
    assert sum_most_recent_beliefs(ids, *window(), kind="measurements").tolist() == [
        1.0,
        27.0,
        23.0,
        9.0,
    ]
    assert sum_most_recent_beliefs(ids, *window(), horizon=timedelta(hours=2)).tolist() == [
        4.0,
        5.0,
    ]
    assert sum_most_recent_beliefs([], *window()).empty


def _power_both_ways(store, **option) -> tuple:
    """Two assets' power data on a 15-minute grid: plain and with the option."""
    assets, _ = _two_assets_with_beliefs(store)
    grid = ChartGrid(pd.Timestamp(START), pd.Timestamp(START) + timedelta(hours=2), QUARTER)
    return assets, grid, power_data(assets, grid), power_data(assets, grid, **option)


def test_summed_power_data_gives_the_same_chart_figures(store):
    assets, grid, plain, fast = _power_both_ways(store, summed=True)
    assert list(fast.measurements.columns) == ["sum"]  # the fast path was taken
    for kind in ("measurements", "forecasts", "schedules", "forecast_lower", "forecast_upper"):
        pd.testing.assert_series_equal(
            total(getattr(fast, kind)), total(getattr(plain, kind)), check_freq=False
        )
    coarse = ChartGrid(grid.start, grid.end, timedelta(hours=1))  # resampled: plain path
    assert list(power_data(assets, coarse, summed=True).measurements.columns) == [
        "battery",
        "battery 2",
    ]


def test_summed_measurements_keep_forecasts_and_schedules_per_asset(store):
    assets, grid, plain, fast = _power_both_ways(store, summed_measurements=True)
    assert list(fast.measurements.columns) == ["sum"]  # the fast path was taken
    pd.testing.assert_series_equal(
        total(fast.measurements), total(plain.measurements), check_freq=False
    )
    for kind in ("forecasts", "schedules", "forecast_lower", "forecast_upper"):
        pd.testing.assert_frame_equal(getattr(fast, kind), getattr(plain, kind))
    coarse = ChartGrid(grid.start, grid.end, timedelta(hours=1))  # resampled: per asset
    assert list(power_data(assets, coarse, summed_measurements=True).measurements.columns) == [
        "battery",
        "battery 2",
    ]
