"""Partial indexes over the marketplace's open orders (pending, awaiting_baseline_data,
accepted, matching_active, partial_filled) by expiry time and by delivery start: every
submit asks whether any open order is due to expire, which then takes two index range
scans instead of reading every open order.

Revision ID: c3e5a7b9d1f4
Revises: b6d8f0a2c4e7
Create Date: 2026-12-03 20:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c3e5a7b9d1f4'
down_revision = 'b6d8f0a2c4e7'
branch_labels = None
depends_on = None

OPEN = sa.text(
    "status IN ('pending', 'awaiting_baseline_data', 'accepted', 'matching_active', "
    "'partial_filled')"
)


def upgrade():
    op.create_index('market_order_open_expiry_time_idx', 'market_order', ['expiry_time'], unique=False, postgresql_where=OPEN, sqlite_where=OPEN)
    op.create_index('market_order_open_delivery_start_idx', 'market_order', ['delivery_start'], unique=False, postgresql_where=OPEN, sqlite_where=OPEN)


def downgrade():
    op.drop_index('market_order_open_delivery_start_idx', table_name='market_order')
    op.drop_index('market_order_open_expiry_time_idx', table_name='market_order')
