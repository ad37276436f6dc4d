"""The flexibility marketplace: orders, trades, contracts, verifications, settlements and
the outbox of its streams (messages with per-channel sequence counters).

Revision ID: c9d2e5f31a08
Revises: 3f6a2c9e1d47
Create Date: 2026-12-03 13:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c9d2e5f31a08'
down_revision = '3f6a2c9e1d47'
branch_labels = None
depends_on = None


def upgrade():
    _create_orders()
    _create_trades_and_contracts()
    _create_results()
    _create_outbox()


def _create_orders():
    op.create_table('market_order',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('side', sa.String(length=4), nullable=False),
    sa.Column('power_w', sa.Float(), nullable=False),
    sa.Column('remaining_w', sa.JSON(), nullable=False),
    sa.Column('price_eur_per_kwh', sa.Float(), nullable=False),
    sa.Column('delivery_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('delivery_end', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expiry_time', sa.DateTime(timezone=True), nullable=False),
    sa.Column('country_code', sa.String(length=2), nullable=True),
    sa.Column('location_ids', sa.JSON(), nullable=True),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('idempotency_key', sa.String(length=255), nullable=True),
    sa.Column('baseline', sa.JSON(), nullable=True),
    sa.Column('metering', sa.JSON(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['fm_user.id'], name=op.f('market_order_user_id_fm_user_fkey'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('market_order_pkey')),
    sa.UniqueConstraint('user_id', 'idempotency_key', name=op.f('market_order_user_id_key'))
    )
    op.create_index('market_order_status_idx', 'market_order', ['status'], unique=False)
    op.create_index('market_order_user_id_status_idx', 'market_order', ['user_id', 'status'], unique=False)


def _create_trades_and_contracts():
    op.create_table('market_trade',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('buy_order_id', sa.Integer(), nullable=False),
    sa.Column('sell_order_id', sa.Integer(), nullable=False),
    sa.Column('power_w', sa.Float(), nullable=False),
    sa.Column('price_eur_per_kwh', sa.Float(), nullable=False),
    sa.Column('energy_kwh', sa.Float(), nullable=False),
    sa.Column('delivery_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('delivery_end', sa.DateTime(timezone=True), nullable=False),
    sa.Column('aggressor_side', sa.String(length=4), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['buy_order_id'], ['market_order.id'], name=op.f('market_trade_buy_order_id_market_order_fkey'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sell_order_id'], ['market_order.id'], name=op.f('market_trade_sell_order_id_market_order_fkey'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('market_trade_pkey'))
    )
    op.create_table('market_contract',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trade_id', sa.Integer(), nullable=False),
    sa.Column('buyer_id', sa.Integer(), nullable=False),
    sa.Column('seller_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=48), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['buyer_id'], ['fm_user.id'], name=op.f('market_contract_buyer_id_fm_user_fkey'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['seller_id'], ['fm_user.id'], name=op.f('market_contract_seller_id_fm_user_fkey'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['trade_id'], ['market_trade.id'], name=op.f('market_contract_trade_id_market_trade_fkey'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('market_contract_pkey')),
    sa.UniqueConstraint('trade_id', name=op.f('market_contract_trade_id_key'))
    )


def _create_results():
    for name in ('market_verification', 'market_settlement'):
        extra = [sa.Column('net_amount_eur', sa.Float(), nullable=False)] if name == 'market_settlement' else []
        op.create_table(name,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('contract_id', sa.Integer(), nullable=False),
        sa.Column('success', sa.Boolean(), nullable=False),
        *extra,
        sa.Column('result', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['contract_id'], ['market_contract.id'], name=op.f(f'{name}_contract_id_market_contract_fkey'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f(f'{name}_pkey')),
        sa.UniqueConstraint('contract_id', name=op.f(f'{name}_contract_id_key'))
        )


def _create_outbox():
    op.create_table('market_stream_counter',
    sa.Column('channel', sa.String(length=64), nullable=False),
    sa.Column('last_sequence', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('channel', name=op.f('market_stream_counter_pkey'))
    )
    op.create_table('market_stream_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('stream', sa.String(length=16), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('channel', sa.String(length=64), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('message', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['fm_user.id'], name=op.f('market_stream_message_user_id_fm_user_fkey'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('market_stream_message_pkey')),
    sa.UniqueConstraint('channel', 'sequence', name=op.f('market_stream_message_channel_key'))
    )
    op.create_index('market_stream_message_stream_user_id_sequence_idx', 'market_stream_message', ['stream', 'user_id', 'sequence'], unique=False)


def downgrade():
    op.drop_index('market_stream_message_stream_user_id_sequence_idx', table_name='market_stream_message')
    op.drop_table('market_stream_message')
    op.drop_table('market_stream_counter')
    op.drop_table('market_settlement')
    op.drop_table('market_verification')
    op.drop_table('market_contract')
    op.drop_table('market_trade')
    op.drop_index('market_order_user_id_status_idx', table_name='market_order')
    op.drop_index('market_order_status_idx', table_name='market_order')
    op.drop_table('market_order')
