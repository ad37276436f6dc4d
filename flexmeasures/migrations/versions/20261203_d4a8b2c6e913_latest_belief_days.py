"""Latest beliefs by day: per sensor, data source, kind (measurements or forecasts) and
UTC day, the most recent belief about each event, packed in one row; kept right by
triggers on timed_belief, so "most recent" reads need not sort every belief of a window.

On PostgreSQL the upgrade creates the table, fills it from timed_belief and adds
statement-level triggers (with transition tables) that rebuild the days a statement
touches on every insert (including COPY and INSERT ... ON CONFLICT), update, delete
(including cascades from sensors and data sources) and truncate of timed_belief, within
that statement. On SQLite the table is created and stays empty (reads there use
timed_belief).

Revision ID: d4a8b2c6e913
Revises: a8c4e6f2b1d3
Create Date: 2026-12-03 13:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd4a8b2c6e913'
down_revision = 'a8c4e6f2b1d3'
branch_labels = None
depends_on = None

COLUMNS = "sensor_id, forecast, day, source_id, beliefs, with_band"


def keys_of(relation: str) -> str:
    """SELECT the (sensor, kind, UTC day, source) keys of the beliefs in a relation."""
    return (
        "SELECT sensor_id, belief_horizon > interval '0' AS forecast, "
        "(event_start AT TIME ZONE 'UTC')::date AS day, source_id "
        f"FROM {relation}"
    )


# The beliefs of one key (a day of one sensor, kind and source), as a condition on tb.
OF_KEY = (
    "tb.sensor_id = k.sensor_id AND tb.source_id = k.source_id "
    "AND (tb.belief_horizon > interval '0') = k.forecast "
    "AND tb.event_start >= k.day::timestamp AT TIME ZONE 'UTC' "
    "AND tb.event_start < (k.day + 1)::timestamp AT TIME ZONE 'UTC'"
)


# Per event four big-endian float8: start (epoch seconds), horizon (seconds), cumulative
# probability, value; the events by start, in one bytea (one aggregate, one sort).
# date_part gives float8 directly (extract gives numeric, which costs a third more here).
PACKED = (
    "string_agg(float8send(date_part('epoch', latest.event_start)) "
    "|| float8send(date_part('epoch', latest.belief_horizon)) "
    "|| float8send(latest.cumulative_probability) || float8send(latest.event_value), "
    "''::bytea ORDER BY latest.event_start)"
)


def build_days(keys: str) -> str:
    """INSERT the packed latest beliefs of each key (``keys``: a SELECT of distinct keys);
    a key without beliefs gets no row. Per event the smallest horizon wins, then the
    probability nearest the median, then the lower one. LATERAL: an index range scan of
    timed_belief per key, whatever the planner guesses about the keys."""
    return f"""
    INSERT INTO latest_belief_day ({COLUMNS})
    SELECT k.sensor_id, k.forecast, k.day, k.source_id, d.* FROM ({keys}) k
    CROSS JOIN LATERAL (
        SELECT {PACKED},
            EXISTS (SELECT 1 FROM timed_belief tb WHERE {OF_KEY}
                    AND tb.cumulative_probability <> 0.5)
        FROM (
            SELECT DISTINCT ON (tb.event_start) tb.event_start, tb.belief_horizon,
                tb.cumulative_probability, tb.event_value
            FROM timed_belief tb WHERE {OF_KEY}
            ORDER BY tb.event_start, tb.belief_horizon,
                abs(tb.cumulative_probability - 0.5), tb.cumulative_probability
        ) latest
        HAVING count(*) > 0
    ) d
    """


# Advisory lock class of the rebuilds: one lock per sensor (the lock's second key).
LOCK_CLASS = 461_829_113


def rebuild_function(name: str, keys: str) -> str:
    """A trigger function rebuilding the days of the changed beliefs (``keys``: a SELECT
    of their keys from the statement's transition tables).

    Writers of the same sensor take turns (a transaction-long advisory lock per sensor,
    taken in sensor order): the rebuild then reads, in a fresh snapshot (READ COMMITTED),
    whatever an earlier writer committed, instead of both writing the same day from what
    each alone sees. Without JIT: the planner cannot know how many keys a transition table
    holds, and its guess made it compile the statement for longer (over a second) than
    running it takes. The search path is the migration's: pg_restore empties it while it
    loads timed_belief, and the function must still find latest_belief_day."""
    distinct_keys = f"SELECT DISTINCT * FROM ({keys}) changed"
    return f"""
CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql
    SET jit = off SET search_path FROM CURRENT AS $$
BEGIN
    PERFORM pg_advisory_xact_lock({LOCK_CLASS}, s.sensor_id)
    FROM (SELECT DISTINCT sensor_id FROM ({keys}) changed ORDER BY sensor_id) s;
    DELETE FROM latest_belief_day l USING ({distinct_keys}) k
    WHERE l.sensor_id = k.sensor_id AND l.forecast = k.forecast AND l.day = k.day
        AND l.source_id = k.source_id;
    {build_days(distinct_keys)};
    RETURN NULL;
END $$
"""


FUNCTIONS = {
    "latest_belief_day_after_insert": keys_of("new_beliefs"),
    "latest_belief_day_after_update": (
        f"{keys_of('old_beliefs')} UNION ALL {keys_of('new_beliefs')}"
    ),
    "latest_belief_day_after_delete": keys_of("old_beliefs"),
}
AFTER_TRUNCATE = """
CREATE FUNCTION latest_belief_day_after_truncate() RETURNS trigger LANGUAGE plpgsql
    SET search_path FROM CURRENT AS $$
BEGIN
    TRUNCATE latest_belief_day;
    RETURN NULL;
END $$
"""
TRIGGERS = {
    "insert": "REFERENCING NEW TABLE AS new_beliefs FOR EACH STATEMENT",
    "update": "REFERENCING OLD TABLE AS old_beliefs NEW TABLE AS new_beliefs FOR EACH STATEMENT",
    "delete": "REFERENCING OLD TABLE AS old_beliefs FOR EACH STATEMENT",
    "truncate": "FOR EACH STATEMENT",
}


def upgrade():
    op.create_table('latest_belief_day',
    sa.Column('sensor_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('forecast', sa.Boolean(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('source_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('beliefs', sa.LargeBinary(), nullable=False),
    sa.Column('with_band', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint(
        'sensor_id', 'forecast', 'day', 'source_id', name=op.f('latest_belief_day_pkey')
    )
    )
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute("SET LOCAL jit = off")
    op.execute(build_days(f"SELECT DISTINCT * FROM ({keys_of('timed_belief')}) stored"))
    for name, keys in FUNCTIONS.items():
        op.execute(rebuild_function(name, keys))
    op.execute(AFTER_TRUNCATE)
    for event, clause in TRIGGERS.items():
        op.execute(
            f"CREATE TRIGGER latest_belief_day_{event} AFTER {event.upper()} ON timed_belief "
            f"{clause} EXECUTE FUNCTION latest_belief_day_after_{event}()"
        )


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        for event in TRIGGERS:
            op.execute(f"DROP TRIGGER latest_belief_day_{event} ON timed_belief")
            op.execute(f"DROP FUNCTION latest_belief_day_after_{event}()")
    op.drop_table('latest_belief_day')
