"""Poll runs say how they ended (state, error) and who ran them (pid, host), so a killed run can be found.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("poll_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("state", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("error", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("pid", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("host", sa.String(length=255), nullable=True))
    # A finished run completed; an unfinished one is left running with no pid, and the next poll marks it
    # abandoned (with its own clock) like any run whose process is gone.
    op.execute("UPDATE poll_runs SET state = CASE WHEN finished_at IS NULL THEN 'running' ELSE 'completed' END")
    with op.batch_alter_table("poll_runs", schema=None) as batch_op:
        batch_op.alter_column("state", existing_type=sa.String(length=20), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("poll_runs", schema=None) as batch_op:
        batch_op.drop_column("host")
        batch_op.drop_column("pid")
        batch_op.drop_column("error")
        batch_op.drop_column("state")
