"""Accounts (every existing user gets one of their own, named after their username), and
what API v3_0 keeps about sensors and assets: a plain sensor's asset (generic_asset_id),
sensor attributes, and an asset's default flex-context and flex-model (JSON text).

Revision ID: 3a1c0e7d9b42
Revises: 8e67f12b7738
Create Date: 2026-12-03 10:45:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3a1c0e7d9b42'
down_revision = '8e67f12b7738'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('account_pkey'))
    )
    with op.batch_alter_table('fm_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('account_id', sa.Integer(), nullable=True))
    _give_every_user_an_account()
    with op.batch_alter_table('fm_user', schema=None) as batch_op:
        batch_op.alter_column('account_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(
            batch_op.f('fm_user_account_id_account_fkey'), 'account', ['account_id'], ['id'],
            ondelete='CASCADE',
        )
    with op.batch_alter_table('sensor', schema=None) as batch_op:
        batch_op.add_column(sa.Column('generic_asset_id', sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column('attributes', sa.Text(), nullable=False, server_default='{}')
        )
        batch_op.create_foreign_key(
            batch_op.f('sensor_generic_asset_id_sensor_fkey'), 'sensor', ['generic_asset_id'],
            ['id'], ondelete='CASCADE',
        )
    with op.batch_alter_table('sensor', schema=None) as batch_op:
        batch_op.alter_column('attributes', existing_type=sa.Text(), server_default=None)
    with op.batch_alter_table('asset', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('flex_context', sa.Text(), nullable=False, server_default='{}')
        )
        batch_op.add_column(sa.Column('flex_model', sa.Text(), nullable=False, server_default='{}'))
    with op.batch_alter_table('asset', schema=None) as batch_op:
        batch_op.alter_column('flex_context', existing_type=sa.Text(), server_default=None)
        batch_op.alter_column('flex_model', existing_type=sa.Text(), server_default=None)


def _give_every_user_an_account():
    """One account per existing user (ids follow the users' ids), named after the user."""
    connection = op.get_bind()
    users = sa.table(
        'fm_user', sa.column('id', sa.Integer), sa.column('username', sa.String),
        sa.column('account_id', sa.Integer),
    )
    accounts = sa.table('account', sa.column('id', sa.Integer), sa.column('name', sa.String))
    rows = connection.execute(sa.select(users.c.id, users.c.username).order_by(users.c.id))
    for user_id, username in rows.all():
        connection.execute(accounts.insert().values(id=user_id, name=username))
        connection.execute(
            users.update().where(users.c.id == user_id).values(account_id=user_id)
        )
    if connection.dialect.name == 'postgresql':
        connection.execute(sa.text(
            "SELECT setval(pg_get_serial_sequence('account', 'id'), "
            "COALESCE((SELECT MAX(id) FROM account), 0) + 1, false)"
        ))


def downgrade():
    with op.batch_alter_table('asset', schema=None) as batch_op:
        batch_op.drop_column('flex_model')
        batch_op.drop_column('flex_context')
    with op.batch_alter_table('sensor', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('sensor_generic_asset_id_sensor_fkey'), type_='foreignkey'
        )
        batch_op.drop_column('attributes')
        batch_op.drop_column('generic_asset_id')
    with op.batch_alter_table('fm_user', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fm_user_account_id_account_fkey'), type_='foreignkey')
        batch_op.drop_column('account_id')
    op.drop_table('account')
