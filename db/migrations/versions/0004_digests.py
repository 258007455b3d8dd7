"""Digests: subscribers get a milestone filter, an active flag, an unsubscribe token and the time they unsubscribed;
deliveries are claimed (when, by which process), count their attempts, always carry their Message-ID, and are
unique per (subscriber, window start).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("subscribers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("milestones", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("active", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("token", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("unsubscribed_at", sa.DateTime(timezone=True), nullable=True))
    conn = op.get_bind()
    subscribers = sa.table(
        "subscribers",
        sa.column("id", sa.Integer()),
        sa.column("milestones", sa.JSON()),
        sa.column("active", sa.Boolean()),
        sa.column("token", sa.String()),
    )
    for (sid,) in conn.execute(sa.select(subscribers.c.id)).all():  # every subscriber gets its own token
        conn.execute(
            subscribers.update()
            .where(subscribers.c.id == sid)
            .values(milestones=[], active=True, token=secrets.token_urlsafe(24))
        )
    with op.batch_alter_table("subscribers", schema=None) as batch_op:
        batch_op.alter_column("milestones", existing_type=sa.JSON(), nullable=False)
        batch_op.alter_column("active", existing_type=sa.Boolean(), nullable=False)
        batch_op.alter_column("token", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_subscribers_token"), ["token"])

    with op.batch_alter_table("digest_deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attempts", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("claimed_pid", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("claimed_host", sa.String(length=255), nullable=True))
    deliveries = sa.table(
        "digest_deliveries",
        sa.column("id", sa.Integer()),
        sa.column("state", sa.String()),
        sa.column("message_id", sa.Text()),
        sa.column("attempts", sa.Integer()),
        sa.column("error", sa.Text()),
    )
    # Nothing wrote deliveries before this revision; should a row exist, an unsent one is retried like a failure.
    conn.execute(deliveries.update().values(attempts=0))
    conn.execute(
        deliveries.update()
        .where(deliveries.c.state != "sent")
        .values(state="failed", error=sa.func.coalesce(deliveries.c.error, "recorded before deliveries were tracked"))
    )
    for (did,) in conn.execute(sa.select(deliveries.c.id).where(deliveries.c.message_id.is_(None))).all():
        conn.execute(
            deliveries.update()
            .where(deliveries.c.id == did)
            .values(message_id=f"<{secrets.token_hex(12)}.{did}@monitor.invalid>")
        )
    with op.batch_alter_table("digest_deliveries", schema=None) as batch_op:
        batch_op.alter_column("attempts", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("message_id", existing_type=sa.Text(), nullable=False)
        batch_op.create_unique_constraint(
            batch_op.f("uq_digest_deliveries_subscriber_id"), ["subscriber_id", "window_start"]
        )


def downgrade() -> None:
    with op.batch_alter_table("digest_deliveries", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_digest_deliveries_subscriber_id"), type_="unique")
        batch_op.alter_column("message_id", existing_type=sa.Text(), nullable=True)
        batch_op.drop_column("claimed_host")
        batch_op.drop_column("claimed_pid")
        batch_op.drop_column("claimed_at")
        batch_op.drop_column("attempts")
    with op.batch_alter_table("subscribers", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_subscribers_token"), type_="unique")
        batch_op.drop_column("unsubscribed_at")
        batch_op.drop_column("token")
        batch_op.drop_column("active")
        batch_op.drop_column("milestones")
