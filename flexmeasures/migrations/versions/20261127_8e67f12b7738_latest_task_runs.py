"""Latest task runs: when each recurring task last ran and whether it succeeded, for
external monitors (checked with FLEXMEASURES_TASK_CHECK_AUTH_TOKEN).

Revision ID: 8e67f12b7738
Revises: 5c9bfc2005a5
Create Date: 2026-11-27 03:55:23.413448

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8e67f12b7738'
down_revision = '5c9bfc2005a5'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('latest_task_run',
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('datetime', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('latest_task_run_pkey'))
    )


def downgrade():
    op.drop_table('latest_task_run')
