"""Prognosis sources: a user has one data source per type, so that what was sent through
postPrognosis (type "prognosis") is told from meter data (type "user") whatever its horizon.

Existing data cannot say through which service it came; the upgrade takes the old reading
(a belief with a positive horizon about an asset is a prognosis) and moves such beliefs of
each user's source to that user's new prognosis source. The downgrade moves them back (a
prognosis for an event, horizon and probability the user also sent as meter data is
dropped, as the old table could not hold both).

Revision ID: 3f6a2c9e1d47
Revises: 3a1c0e7d9b42
Create Date: 2026-12-03 11:00:00.000000

"""
from datetime import timedelta

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3f6a2c9e1d47'
down_revision = '3a1c0e7d9b42'
branch_labels = None
depends_on = None

data_source = sa.table(
    'data_source',
    sa.column('id', sa.Integer),
    sa.column('name', sa.String),
    sa.column('type', sa.String),
    sa.column('user_id', sa.Integer),
)
timed_belief = sa.table(
    'timed_belief',
    sa.column('sensor_id', sa.Integer),
    sa.column('event_start', sa.DateTime(timezone=True)),
    sa.column('source_id', sa.Integer),
    sa.column('belief_horizon', sa.Interval),
    sa.column('cumulative_probability', sa.Float),
)
sensor = sa.table('sensor', sa.column('id', sa.Integer), sa.column('type', sa.String))


def upgrade():
    with op.batch_alter_table('data_source') as batch_op:
        batch_op.drop_constraint('data_source_user_id_key', type_='unique')
        batch_op.create_unique_constraint('data_source_user_id_type_key', ['user_id', 'type'])
    bind = op.get_bind()
    for source_id, name, user_id in bind.execute(_user_sources_with_prognoses()).all():
        bind.execute(data_source.insert().values(name=name, type='prognosis', user_id=user_id))
        prognosis_id = bind.execute(
            sa.select(data_source.c.id).where(
                data_source.c.user_id == user_id, data_source.c.type == 'prognosis'
            )
        ).scalar_one()
        bind.execute(
            timed_belief.update()
            .where(_prognoses_of(source_id))
            .values(source_id=prognosis_id)
        )


def _prognoses_of(source_id):
    """Beliefs of a source with a positive horizon about an asset."""
    assets = sa.select(sensor.c.id).where(sensor.c.type == 'asset')
    return sa.and_(
        timed_belief.c.source_id == source_id,
        timed_belief.c.belief_horizon > timedelta(0),
        timed_belief.c.sensor_id.in_(assets),
    )


def _user_sources_with_prognoses():
    """(id, name, user_id) of the users' sources that hold prognoses."""
    has_prognoses = sa.exists().where(_prognoses_of(data_source.c.id))
    return sa.select(data_source.c.id, data_source.c.name, data_source.c.user_id).where(
        data_source.c.type == 'user', data_source.c.user_id.is_not(None), has_prognoses
    )


def downgrade():
    bind = op.get_bind()
    prognosis_sources = sa.select(data_source.c.id, data_source.c.user_id).where(
        data_source.c.type == 'prognosis'
    )
    for prognosis_id, user_id in bind.execute(prognosis_sources).all():
        user_source_id = bind.execute(
            sa.select(data_source.c.id).where(
                data_source.c.user_id == user_id, data_source.c.type == 'user'
            )
        ).scalar()
        if user_source_id is None:
            bind.execute(
                data_source.update().where(data_source.c.id == prognosis_id).values(type='user')
            )
            continue
        _merge_beliefs(bind, prognosis_id, user_source_id)
        bind.execute(data_source.delete().where(data_source.c.id == prognosis_id))
    with op.batch_alter_table('data_source') as batch_op:
        batch_op.drop_constraint('data_source_user_id_type_key', type_='unique')
        batch_op.create_unique_constraint('data_source_user_id_key', ['user_id'])


def _merge_beliefs(bind, from_id, to_id):
    """Move the beliefs of one source to another, dropping those the other one also holds."""
    other = timed_belief.alias('other')
    held_by_both = sa.exists().where(
        other.c.source_id == to_id,
        other.c.sensor_id == timed_belief.c.sensor_id,
        other.c.event_start == timed_belief.c.event_start,
        other.c.belief_horizon == timed_belief.c.belief_horizon,
        other.c.cumulative_probability == timed_belief.c.cumulative_probability,
    )
    bind.execute(timed_belief.delete().where(timed_belief.c.source_id == from_id, held_by_both))
    bind.execute(
        timed_belief.update().where(timed_belief.c.source_id == from_id).values(source_id=to_id)
    )
