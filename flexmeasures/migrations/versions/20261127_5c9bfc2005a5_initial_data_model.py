"""Initial data model: users and roles, sensors (assets, markets, weather sensors) and
their types, data sources, and the one table of timed beliefs.

Revision ID: 5c9bfc2005a5
Revises: 
Create Date: 2026-11-27 03:31:45.264390

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5c9bfc2005a5'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('asset_type',
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('display_name', sa.String(length=80), nullable=False),
    sa.Column('is_consumer', sa.Boolean(), nullable=False),
    sa.Column('is_producer', sa.Boolean(), nullable=False),
    sa.Column('can_curtail', sa.Boolean(), nullable=False),
    sa.Column('can_shift', sa.Boolean(), nullable=False),
    sa.Column('daily_seasonality', sa.Boolean(), nullable=False),
    sa.Column('weekly_seasonality', sa.Boolean(), nullable=False),
    sa.Column('yearly_seasonality', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('asset_type_pkey')),
    sa.UniqueConstraint('display_name', name=op.f('asset_type_display_name_key'))
    )
    op.create_table('fm_user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=255), nullable=False),
    sa.Column('username', sa.String(length=255), nullable=False),
    sa.Column('password', sa.String(length=255), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('fs_uniquifier', sa.String(length=64), nullable=False),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('login_count', sa.Integer(), nullable=True),
    sa.Column('timezone', sa.String(length=255), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('fm_user_pkey')),
    sa.UniqueConstraint('email', name=op.f('fm_user_email_key')),
    sa.UniqueConstraint('fs_uniquifier', name=op.f('fm_user_fs_uniquifier_key')),
    sa.UniqueConstraint('username', name=op.f('fm_user_username_key'))
    )
    op.create_table('market_type',
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('display_name', sa.String(length=80), nullable=False),
    sa.Column('daily_seasonality', sa.Boolean(), nullable=False),
    sa.Column('weekly_seasonality', sa.Boolean(), nullable=False),
    sa.Column('yearly_seasonality', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('market_type_pkey')),
    sa.UniqueConstraint('display_name', name=op.f('market_type_display_name_key'))
    )
    op.create_table('role',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('description', sa.String(length=255), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('role_pkey')),
    sa.UniqueConstraint('name', name=op.f('role_name_key'))
    )
    op.create_table('sensor',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('unit', sa.String(length=80), nullable=False),
    sa.Column('timezone', sa.String(length=80), nullable=False),
    sa.Column('event_resolution', sa.Interval(), nullable=False),
    sa.Column('type', sa.String(length=50), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('sensor_pkey'))
    )
    op.create_table('weather_sensor_type',
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('display_name', sa.String(length=80), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('weather_sensor_type_pkey')),
    sa.UniqueConstraint('display_name', name=op.f('weather_sensor_type_display_name_key'))
    )
    op.create_table('data_source',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('type', sa.String(length=80), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('model', sa.String(length=80), nullable=True),
    sa.Column('version', sa.String(length=17), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['fm_user.id'], name=op.f('data_source_user_id_fm_user_fkey'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('data_source_pkey')),
    sa.UniqueConstraint('name', 'user_id', 'model', 'version', name='data_source_name_key'),
    sa.UniqueConstraint('user_id', name=op.f('data_source_user_id_key'))
    )
    op.create_table('market',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('display_name', sa.String(length=80), nullable=False),
    sa.Column('market_type_name', sa.String(length=80), nullable=False),
    sa.ForeignKeyConstraint(['id'], ['sensor.id'], name=op.f('market_id_sensor_fkey'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['market_type_name'], ['market_type.name'], name=op.f('market_market_type_name_market_type_fkey')),
    sa.PrimaryKeyConstraint('id', name=op.f('market_pkey')),
    sa.UniqueConstraint('name', name=op.f('market_name_key'))
    )
    op.create_table('roles_users',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['role_id'], ['role.id'], name=op.f('roles_users_role_id_role_fkey'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['fm_user.id'], name=op.f('roles_users_user_id_fm_user_fkey'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'role_id', name=op.f('roles_users_pkey'))
    )
    op.create_table('weather_sensor',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('display_name', sa.String(length=80), nullable=False),
    sa.Column('weather_sensor_type_name', sa.String(length=80), nullable=False),
    sa.Column('latitude', sa.Float(), nullable=False),
    sa.Column('longitude', sa.Float(), nullable=False),
    sa.CheckConstraint('latitude >= -90 AND latitude <= 90', name=op.f('weather_sensor_latitude_check')),
    sa.CheckConstraint('longitude >= -180 AND longitude <= 180', name=op.f('weather_sensor_longitude_check')),
    sa.ForeignKeyConstraint(['id'], ['sensor.id'], name=op.f('weather_sensor_id_sensor_fkey'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['weather_sensor_type_name'], ['weather_sensor_type.name'], name=op.f('weather_sensor_weather_sensor_type_name_weather_sensor_type_fkey')),
    sa.PrimaryKeyConstraint('id', name=op.f('weather_sensor_pkey')),
    sa.UniqueConstraint('name', name=op.f('weather_sensor_name_key')),
    sa.UniqueConstraint('weather_sensor_type_name', 'latitude', 'longitude', name='weather_sensor_type_name_latitude_longitude_key')
    )
    op.create_table('asset',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('display_name', sa.String(length=80), nullable=False),
    sa.Column('asset_type_name', sa.String(length=80), nullable=False),
    sa.Column('capacity_in_mw', sa.Float(), nullable=False),
    sa.Column('min_soc_in_mwh', sa.Float(), nullable=True),
    sa.Column('max_soc_in_mwh', sa.Float(), nullable=True),
    sa.Column('soc_in_mwh', sa.Float(), nullable=True),
    sa.Column('soc_datetime', sa.DateTime(timezone=True), nullable=True),
    sa.Column('soc_udi_event_id', sa.Integer(), nullable=True),
    sa.Column('latitude', sa.Float(), nullable=False),
    sa.Column('longitude', sa.Float(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('market_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('capacity_in_mw >= 0', name=op.f('asset_capacity_in_mw_check')),
    sa.CheckConstraint('latitude >= -90 AND latitude <= 90', name=op.f('asset_latitude_check')),
    sa.CheckConstraint('longitude >= -180 AND longitude <= 180', name=op.f('asset_longitude_check')),
    sa.CheckConstraint('min_soc_in_mwh <= max_soc_in_mwh', name=op.f('asset_min_soc_below_max_soc_check')),
    sa.ForeignKeyConstraint(['asset_type_name'], ['asset_type.name'], name=op.f('asset_asset_type_name_asset_type_fkey')),
    sa.ForeignKeyConstraint(['id'], ['sensor.id'], name=op.f('asset_id_sensor_fkey'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['market_id'], ['market.id'], name=op.f('asset_market_id_market_fkey'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['owner_id'], ['fm_user.id'], name=op.f('asset_owner_id_fm_user_fkey'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('asset_pkey')),
    sa.UniqueConstraint('owner_id', 'name', name='asset_owner_id_name_key')
    )
    op.create_table('timed_belief',
    sa.Column('sensor_id', sa.Integer(), nullable=False),
    sa.Column('event_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=False),
    sa.Column('belief_horizon', sa.Interval(), nullable=False),
    sa.Column('cumulative_probability', sa.Float(), nullable=False),
    sa.Column('event_value', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['sensor_id'], ['sensor.id'], name=op.f('timed_belief_sensor_id_sensor_fkey'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['source_id'], ['data_source.id'], name=op.f('timed_belief_source_id_data_source_fkey'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('sensor_id', 'event_start', 'source_id', 'belief_horizon', 'cumulative_probability', name=op.f('timed_belief_pkey'))
    )
    with op.batch_alter_table('timed_belief', schema=None) as batch_op:
        batch_op.create_index('timed_belief_source_id_idx', ['source_id'], unique=False)



def downgrade():
    with op.batch_alter_table('timed_belief', schema=None) as batch_op:
        batch_op.drop_index('timed_belief_source_id_idx')

    op.drop_table('timed_belief')
    op.drop_table('asset')
    op.drop_table('weather_sensor')
    op.drop_table('roles_users')
    op.drop_table('market')
    op.drop_table('data_source')
    op.drop_table('weather_sensor_type')
    op.drop_table('sensor')
    op.drop_table('role')
    op.drop_table('market_type')
    op.drop_table('fm_user')
    op.drop_table('asset_type')
