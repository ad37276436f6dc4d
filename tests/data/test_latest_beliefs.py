"""The table of latest beliefs per day (PostgreSQL): reads from it equal the reads that sort
every belief in timed_belief, and its triggers keep it right whoever writes beliefs."""

import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import delete, select, text, update

from flexmeasures.data import latest_beliefs, queries
from flexmeasures.data.ingest import BeliefConflict, save_beliefs
from flexmeasures.data.models import Asset, DataSource, Sensor, TimedBelief
from flexmeasures.data.services import backup
from flexmeasures.data.services.assets import delete_asset
from flexmeasures.data.services.charts import ChartGrid, _has_band
from flexmeasures.data.services.time_series import delete_beliefs
from tests.factories import make_asset

START = datetime(2021, 3, 1, 20, tzinfo=UTC)  # the beliefs span three UTC days
QUARTER = timedelta(minutes=15)
EVENTS = 120
HORIZONS = [timedelta(hours=h) for h in (-1, 0, 0, 1, 6, 6, 24)]
PROBABILITIES = [0.5, 0.5, 0.5, 0.1, 0.9, 0.5]


def random_beliefs(sensor_ids, source_ids, count: int, seed: int) -> pd.DataFrame:
    """``count`` random beliefs about the sensors' events from START on: several per event,
    by several sources, with equal horizons and other probabilities than 0.5 among them."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "sensor_id": rng.choice(sensor_ids, count),
            "event_start": START + QUARTER * rng.integers(0, EVENTS, count),
            "belief_horizon": [HORIZONS[i] for i in rng.integers(0, len(HORIZONS), count)],
            "source_id": rng.choice(source_ids, count),
            "cumulative_probability": rng.choice(PROBABILITIES, count),
            "event_value": np.round(rng.normal(0, 1, count), 3),
        }
    )


def _sensor_columns(rng: np.random.Generator, count: int) -> dict[str, np.ndarray]:
    """Numpy belief columns as ``latest_beliefs.unpack`` gives them, with many ties."""
    return {
        "sensor_id": rng.integers(1, 3, count),
        "source_id": rng.integers(1, 4, count),
        "event_start": rng.integers(0, 20, count) * 900_000_000,
        "belief_horizon": rng.choice([-900.0, 0.0, 3600.0], count),
        "cumulative_probability": rng.choice([0.1, 0.5, 0.9], count),
        "event_value": rng.normal(0, 1, count),
    }


@pytest.mark.parametrize("most_recent", [True, "per_source"])
def test_most_recent_picks_what_the_pandas_filter_picks(most_recent):
    """The numpy pick (no database) keeps the same beliefs, in the same order, as the
    pandas filter that the embedded SQLite database uses."""
    rng = np.random.default_rng(5)
    for count in (0, 1, 300):
        columns = _sensor_columns(rng, count)
        per_source = most_recent == "per_source"
        picked = latest_beliefs.to_frame(latest_beliefs.most_recent(columns, per_source))
        reference = queries._filter_in_pandas(
            latest_beliefs.to_frame(columns),
            queries.BeliefFilter((1, 2), START, START, most_recent=most_recent),
        )
        pd.testing.assert_frame_equal(picked, reference.reset_index(drop=True))


@pytest.fixture
def world(db, structure, users) -> tuple[list[int], list[int]]:
    """Two batteries with random beliefs of three sources (several per event): their ids
    and the sources' ids."""
    sensor_ids = [make_asset(users["prosumer"], f"battery {n}").id for n in range(2)]
    source_ids = [
        db.session.scalar(select(DataSource.id).filter_by(user_id=users[name].id))
        for name in ("prosumer", "other_prosumer", "admin")
    ]
    save_beliefs(random_beliefs(sensor_ids, source_ids, 900, seed=1))
    return sensor_ids, source_ids


def pandas_reference(belief_filter: queries.BeliefFilter) -> pd.DataFrame:
    """What the embedded database's path (every belief of the window, filtered by pandas)
    selects: the reference for both PostgreSQL paths."""
    found = queries._filter_in_pandas(queries._read_window(belief_filter), belief_filter)
    return found.reset_index(drop=True)


def sorting_every_belief(belief_filter: queries.BeliefFilter) -> pd.DataFrame:
    """The read from timed_belief (one SQL statement that sorts the window's beliefs)."""
    return queries._search_in_sql(belief_filter).reset_index(drop=True)


WINDOWS = [
    (START, START + EVENTS * QUARTER),  # all events, over three UTC days
    (START + 7 * QUARTER + timedelta(minutes=1), START + 50 * QUARTER),  # off the grid
    (START + 16 * QUARTER, START + 17 * QUARTER),  # the first event of a day only
]


FILTERS = [
    (most_recent, kind)
    for most_recent in (True, "per_source")
    for kind in ("all", "measurements", "forecasts")
]


def test_latest_days_read_what_sorting_every_belief_reads(world):
    sensor_ids, source_ids = world
    for (most_recent, kind), (start, end) in itertools.product(FILTERS, WINDOWS):
        for sources in (None, source_ids[:1], source_ids[1:]):
            belief_filter = queries.BeliefFilter(
                tuple(sensor_ids), start, end, None, None, sources, most_recent, kind
            )
            assert queries._reads_latest_days(belief_filter)
            found = queries.search_beliefs(
                sensor_ids, start, end, source_ids=sources, most_recent=most_recent, kind=kind
            )
            assert len(found) > 0 or start > WINDOWS[0][0]  # the whole window has some
            pd.testing.assert_frame_equal(found, sorting_every_belief(belief_filter))
            pd.testing.assert_frame_equal(found, pandas_reference(belief_filter))


def test_summed_latest_days_equal_the_summed_sorted_beliefs(world):
    sensor_ids, source_ids = world
    for kind, (start, end) in itertools.product(["all", "measurements", "forecasts"], WINDOWS):
        for sources in (None, source_ids[1:]):
            summed = queries.sum_most_recent_beliefs(
                sensor_ids, start, end, source_ids=sources, kind=kind
            )
            belief_filter = queries.BeliefFilter(
                tuple(sensor_ids), start, end, source_ids=sources, kind=kind
            )
            reference = pandas_reference(belief_filter).groupby("event_start")["event_value"]
            assert len(summed) > 0
            pd.testing.assert_series_equal(
                summed, queries._sum_in_sql(belief_filter), check_exact=False
            )
            assert np.allclose(summed.to_numpy(), reference.sum().to_numpy())
            assert list(summed.index) == list(reference.sum().index)


def test_horizon_and_prior_filters_still_read_every_belief(world):
    """Reads with a horizon or prior filter are not answered by the latest days (they need
    older beliefs than the latest), and still select what the pandas filter selects."""
    sensor_ids, source_ids = world
    start, end = WINDOWS[0]
    for horizon, prior in [
        (timedelta(hours=1), None),
        (None, START + timedelta(hours=12)),
        (timedelta(0), START + timedelta(hours=30)),
    ]:
        for most_recent in (True, "per_source", False):
            belief_filter = queries.BeliefFilter(
                tuple(sensor_ids), start, end, horizon, prior, None, most_recent
            )
            assert not queries._reads_latest_days(belief_filter)
            found = queries.search_beliefs(
                sensor_ids, start, end, horizon, prior, most_recent=most_recent
            )
            assert not found.empty
            pd.testing.assert_frame_equal(found, pandas_reference(belief_filter))
    latest = queries.search_beliefs(sensor_ids, start, end, kind="forecasts")
    ahead = queries.search_beliefs(sensor_ids, start, end, timedelta(hours=6), kind="forecasts")
    assert (ahead["belief_horizon"] >= timedelta(hours=6)).all()
    assert not latest.equals(ahead)


def assert_latest_days_right(db) -> None:
    """The table holds exactly the days that have beliefs, with the right band flags, and
    reads from it equal reads that sort every belief."""
    expected_days = db.session.execute(
        text(
            "SELECT sensor_id, belief_horizon > interval '0', "
            "(event_start AT TIME ZONE 'UTC')::date, source_id, "
            "bool_or(cumulative_probability <> 0.5) FROM timed_belief GROUP BY 1, 2, 3, 4 "
            "ORDER BY 1, 2, 3, 4"
        )
    ).all()
    stored_days = db.session.execute(
        text(
            "SELECT sensor_id, forecast, day, source_id, with_band FROM latest_belief_day "
            "ORDER BY 1, 2, 3, 4"
        )
    ).all()
    assert stored_days == expected_days
    sensor_ids = db.session.scalars(select(Sensor.id)).all()
    start, end = START - timedelta(days=400), START + timedelta(days=400)
    for most_recent in (True, "per_source"):
        belief_filter = queries.BeliefFilter(tuple(sensor_ids), start, end, most_recent=most_recent)
        pd.testing.assert_frame_equal(
            queries.search_beliefs(sensor_ids, start, end, most_recent=most_recent),
            sorting_every_belief(belief_filter),
        )


def test_saving_keeps_the_latest_days_right(db, world):
    sensor_ids, source_ids = world
    assert_latest_days_right(db)
    newer = random_beliefs(sensor_ids, source_ids, 300, seed=2)
    newer["belief_horizon"] = newer["belief_horizon"] - timedelta(hours=2)
    assert save_beliefs(newer, on_conflict="ignore") > 0
    assert_latest_days_right(db)
    changed = queries.search_beliefs(sensor_ids, *WINDOWS[0], most_recent="per_source")
    changed["event_value"] = changed["event_value"] + 100
    assert save_beliefs(changed, on_conflict="overwrite") == len(changed)  # play mode
    assert_latest_days_right(db)
    assert (queries.search_beliefs(sensor_ids, *WINDOWS[0])["event_value"] > 50).all()
    with pytest.raises(BeliefConflict):
        save_beliefs(changed.assign(event_value=-1.0), on_conflict="refuse")
    assert_latest_days_right(db)
    assert (queries.search_beliefs(sensor_ids, *WINDOWS[0])["event_value"] > 50).all()


def test_orm_writes_and_updates_keep_the_latest_days_right(db, world):
    sensor_ids, source_ids = world
    db.session.add(
        TimedBelief(
            sensor_id=sensor_ids[0],
            event_start=START - timedelta(days=3),
            source_id=source_ids[0],
            belief_horizon=timedelta(hours=3),
            cumulative_probability=0.25,
            event_value=7.0,
        )
    )
    db.session.flush()
    assert_latest_days_right(db)
    new_source = DataSource(name="forecaster", type="forecasting script")
    db.session.add(new_source)
    db.session.flush()
    db.session.execute(  # some of a source's beliefs moved to another (as migrations do)
        update(TimedBelief)
        .where(
            TimedBelief.source_id == source_ids[0],
            TimedBelief.belief_horizon > timedelta(hours=1),
        )
        .values(source_id=new_source.id),
        execution_options={"synchronize_session": False},
    )
    assert_latest_days_right(db)
    db.session.execute(
        update(TimedBelief)
        .where(TimedBelief.sensor_id == sensor_ids[1])
        .values(event_value=TimedBelief.event_value * 2),
        execution_options={"synchronize_session": False},
    )
    assert_latest_days_right(db)


def test_deletes_keep_the_latest_days_right(db, world):
    sensor_ids, source_ids = world
    assert delete_beliefs(
        True, sensor_ids[0], START + timedelta(hours=5), START + timedelta(days=1)
    )
    assert_latest_days_right(db)
    assert delete_beliefs(False)  # every forecast and schedule (the CLI's delete)
    assert_latest_days_right(db)
    assert db.session.scalar(text("SELECT count(*) FROM latest_belief_day WHERE forecast")) == 0
    db.session.execute(delete(DataSource).where(DataSource.id == source_ids[2]))  # cascade
    assert_latest_days_right(db)
    delete_asset(db.session.get(Asset, sensor_ids[1]))  # its beliefs go with it
    assert_latest_days_right(db)
    assert db.session.scalar(text("SELECT count(*) FROM latest_belief_day")) > 0
    db.session.execute(text("TRUNCATE timed_belief"))
    assert db.session.scalar(text("SELECT count(*) FROM latest_belief_day")) == 0


def test_restoring_a_backup_rebuilds_the_latest_days(db, world, tmp_path: Path):
    """The table is derived: not in backups, rebuilt as a backup's beliefs are loaded."""
    saved = backup.save_backup("before", tmp_path)
    assert (saved / "timed_belief.csv").is_file()
    assert not (saved / "latest_belief_day.csv").exists()
    before = queries.search_beliefs(world[0], *WINDOWS[0], most_recent="per_source")
    backup.load_backup("before", tmp_path, replace=True)
    assert_latest_days_right(db)
    after = queries.search_beliefs(world[0], *WINDOWS[0], most_recent="per_source")
    pd.testing.assert_frame_equal(after, before)


def test_band_check_asks_the_days_first(db, world):
    sensor_ids, source_ids = world
    grid = ChartGrid(pd.Timestamp(START), pd.Timestamp(START + timedelta(days=2)), QUARTER)
    assert _has_band(sensor_ids, grid, None)  # the random beliefs have 0.1 and 0.9
    db.session.execute(
        delete(TimedBelief).where(TimedBelief.cumulative_probability != 0.5),
        execution_options={"synchronize_session": False},
    )
    assert not latest_beliefs.days_have_band(sensor_ids, grid.start, grid.end)
    assert not _has_band(sensor_ids, grid, None)
