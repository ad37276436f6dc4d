"""The platform's trading on a marketplace, from the client side: per-asset trading settings,
our orders and contracts (with verification results and settlements), every status they went
through, and where the trade stream left off.

Revision ID: a8c4e6f2b1d3
Revises: c9d2e5f31a08
Create Date: 2026-12-03 14:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a8c4e6f2b1d3'
down_revision = 'c9d2e5f31a08'
branch_labels = None
depends_on = None


def upgrade():
    _create_settings()
    _create_orders()
    _create_contracts()
    _create_status_changes_and_cursor()


def _create_settings():
    op.create_table('trading_setting',
    sa.Column('asset_id', sa.Integer(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('battery_wear_eur_per_mwh', sa.Float(), nullable=False),
    sa.Column('margin_eur_per_kwh', sa.Float(), nullable=True),
    sa.Column('lead_time_minutes', sa.Integer(), nullable=True),
    sa.Column('min_power_w', sa.Float(), nullable=False),
    sa.Column('country_code', sa.String(length=2), nullable=True),
    sa.Column('location_id', sa.String(length=120), nullable=True),
    sa.ForeignKeyConstraint(['asset_id'], ['asset.id'], name=op.f('trading_setting_asset_id_asset_fkey'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('asset_id', name=op.f('trading_setting_pkey'))
    )


def _create_orders():
    op.create_table('trading_order',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('asset_id', sa.Integer(), nullable=False),
    sa.Column('market_url', sa.String(length=255), nullable=False),
    sa.Column('market_order_id', sa.Integer(), nullable=True),
    sa.Column('idempotency_key', sa.String(length=255), nullable=False),
    sa.Column('run_id', sa.String(length=64), nullable=False),
    sa.Column('side', sa.String(length=4), nullable=False),
    sa.Column('power_w', sa.Float(), nullable=False),
    sa.Column('price_eur_per_kwh', sa.Float(), nullable=False),
    sa.Column('baseline_w', sa.Float(), nullable=False),
    sa.Column('delivery_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('delivery_end', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expiry_time', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=48), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('metering_submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['asset_id'], ['asset.id'], name=op.f('trading_order_asset_id_asset_fkey'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('trading_order_pkey')),
    sa.UniqueConstraint('idempotency_key', name=op.f('trading_order_idempotency_key_key')),
    sa.UniqueConstraint('market_url', 'market_order_id', name='trading_order_market_order_key')
    )
    op.create_index(op.f('trading_order_asset_id_idx'), 'trading_order', ['asset_id'], unique=False)


def _create_contracts():
    op.create_table('trading_contract',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('market_contract_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=48), nullable=False),
    sa.Column('power_w', sa.Float(), nullable=False),
    sa.Column('price_eur_per_kwh', sa.Float(), nullable=False),
    sa.Column('energy_kwh', sa.Float(), nullable=False),
    sa.Column('delivery_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('delivery_end', sa.DateTime(timezone=True), nullable=False),
    sa.Column('verification', sa.JSON(), nullable=True),
    sa.Column('settlement', sa.JSON(), nullable=True),
    sa.Column('net_amount_eur', sa.Float(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['trading_order.id'], name=op.f('trading_contract_order_id_trading_order_fkey'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('trading_contract_pkey')),
    sa.UniqueConstraint('order_id', 'market_contract_id', name='trading_contract_order_key')
    )


def _create_status_changes_and_cursor():
    op.create_table('trading_status_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=48), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=True),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['trading_order.id'], name=op.f('trading_status_change_order_id_trading_order_fkey'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('trading_status_change_pkey')),
    sa.UniqueConstraint('order_id', 'subject', 'status', name='trading_status_change_key')
    )
    op.create_table('trading_stream_cursor',
    sa.Column('market_url', sa.String(length=255), nullable=False),
    sa.Column('account', sa.String(length=120), nullable=False),
    sa.Column('last_sequence', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('market_url', 'account', name=op.f('trading_stream_cursor_pkey'))
    )


def downgrade():
    op.drop_table('trading_stream_cursor')
    op.drop_table('trading_status_change')
    op.drop_table('trading_contract')
    op.drop_index(op.f('trading_order_asset_id_idx'), table_name='trading_order')
    op.drop_table('trading_order')
    op.drop_table('trading_setting')
