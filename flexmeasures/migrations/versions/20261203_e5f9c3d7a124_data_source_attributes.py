"""Data source attributes: a JSON object per data source, e.g. the forecaster's model
choice per sensor and horizon with its backtest scores (see
flexmeasures.forecasting.selection_store).

Revision ID: e5f9c3d7a124
Revises: d4a8b2c6e913
Create Date: 2026-12-03 13:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e5f9c3d7a124'
down_revision = 'd4a8b2c6e913'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('data_source', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attributes', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('data_source', schema=None) as batch_op:
        batch_op.drop_column('attributes')
