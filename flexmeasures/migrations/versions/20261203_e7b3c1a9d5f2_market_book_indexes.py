"""Partial indexes over the marketplace's order book (orders in matching_active or
partial_filled): by side and price (the best price levels of an orderbook_update) and by side
and delivery start (the resting orders an incoming order can match).

Revision ID: e7b3c1a9d5f2
Revises: e5f9c3d7a124
Create Date: 2026-12-03 14:45:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e7b3c1a9d5f2'
down_revision = 'e5f9c3d7a124'
branch_labels = None
depends_on = None

IN_BOOK = sa.text("status IN ('matching_active', 'partial_filled')")


def upgrade():
    op.create_index('market_order_book_side_price_idx', 'market_order', ['side', 'price_eur_per_kwh'], unique=False, postgresql_where=IN_BOOK, sqlite_where=IN_BOOK)
    op.create_index('market_order_book_side_delivery_start_idx', 'market_order', ['side', 'delivery_start'], unique=False, postgresql_where=IN_BOOK, sqlite_where=IN_BOOK)


def downgrade():
    op.drop_index('market_order_book_side_delivery_start_idx', table_name='market_order')
    op.drop_index('market_order_book_side_price_idx', table_name='market_order')
