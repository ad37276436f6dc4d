"""Trading in blocks of quarter hours: an asset's longest sell order
(trading_setting.max_block_quarter_hours) and an order's baseline per quarter hour
(trading_order.baselines_w).

Revision ID: b6d8f0a2c4e7
Revises: e7b3c1a9d5f2
Create Date: 2026-12-03 16:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b6d8f0a2c4e7'
down_revision = 'e7b3c1a9d5f2'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('trading_setting', sa.Column('max_block_quarter_hours', sa.Integer(), nullable=True))
    op.add_column('trading_order', sa.Column('baselines_w', sa.JSON(), nullable=True))


def downgrade():
    op.drop_column('trading_order', 'baselines_w')
    op.drop_column('trading_setting', 'max_block_quarter_hours')
