"""Evidence across feeds: match_sources lists every item behind a match; matches get a headline key.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("matches", schema=None) as batch_op:
        batch_op.add_column(sa.Column("story_title", sa.String(length=600), nullable=False, server_default=""))
        batch_op.create_index("ix_matches_story_title", ["milestone_id", "story_title"], unique=False)
    op.create_table(
        "match_sources",
        sa.Column("match_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["match_id"], ["matches.id"], name=op.f("fk_match_sources_match_id_matches"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], name=op.f("fk_match_sources_item_id_items"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("match_id", "item_id", name=op.f("pk_match_sources")),
    )
    op.create_index(op.f("ix_match_sources_item_id"), "match_sources", ["item_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_match_sources_item_id"), table_name="match_sources")
    op.drop_table("match_sources")
    with op.batch_alter_table("matches", schema=None) as batch_op:
        batch_op.drop_index("ix_matches_story_title")
        batch_op.drop_column("story_title")
