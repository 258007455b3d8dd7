"""History rows say what they are: a change, a correction of an earlier record, or an undo of an earlier change,
and a correction or an undo points at the row it corrects or reverts.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("status_history", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("refers_to", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_status_history_refers_to_status_history"), "status_history", ["refers_to"], ["id"]
        )
    # Every row recorded before this revision was an ordinary change.
    op.execute("UPDATE status_history SET kind = 'change'")
    with op.batch_alter_table("status_history", schema=None) as batch_op:
        batch_op.alter_column("kind", existing_type=sa.String(length=20), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("status_history", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_status_history_refers_to_status_history"), type_="foreignkey")
        batch_op.drop_column("refers_to")
        batch_op.drop_column("kind")
