"""Power commitments of assets (a DSO dispatch, a filled order), which their schedules
must keep, and National Grid DSO meterable units (the assets a dispatch addresses).

Revision ID: f1a3b5c7d9e2
Revises: 3f6a2c9e1d47
Create Date: 2026-12-03 13:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f1a3b5c7d9e2'
down_revision = '3f6a2c9e1d47'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('power_commitment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('asset_id', sa.Integer(), nullable=False),
    sa.Column('start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('end', sa.DateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('power_in_mw', sa.Float(), nullable=False),
    sa.Column('source', sa.String(length=80), nullable=False),
    sa.Column('external_id', sa.String(length=120), nullable=True),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('"end" > start', name=op.f('power_commitment_window_check')),
    sa.CheckConstraint(
        "kind IN ('at most', 'at least', 'exactly')", name=op.f('power_commitment_kind_check')
    ),
    sa.ForeignKeyConstraint(['asset_id'], ['asset.id'], name=op.f('power_commitment_asset_id_asset_fkey'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('power_commitment_pkey')),
    sa.UniqueConstraint('source', 'external_id', 'asset_id', name='power_commitment_source_reference_key')
    )
    op.create_index('power_commitment_asset_window_idx', 'power_commitment', ['asset_id', 'start', 'end'], unique=False)
    op.create_table('meterable_unit_asset',
    sa.Column('asset_id', sa.Integer(), nullable=False),
    sa.Column('meterable_unit_id', sa.String(length=120), nullable=False),
    sa.ForeignKeyConstraint(['asset_id'], ['asset.id'], name=op.f('meterable_unit_asset_asset_id_asset_fkey'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('asset_id', name=op.f('meterable_unit_asset_pkey'))
    )
    op.create_index(op.f('meterable_unit_asset_meterable_unit_id_idx'), 'meterable_unit_asset', ['meterable_unit_id'], unique=False)


def downgrade():
    op.drop_index(op.f('meterable_unit_asset_meterable_unit_id_idx'), table_name='meterable_unit_asset')
    op.drop_table('meterable_unit_asset')
    op.drop_index('power_commitment_asset_window_idx', table_name='power_commitment')
    op.drop_table('power_commitment')
