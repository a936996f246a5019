"""Notifications: the in-app inbox (one row per recipient and event), the e-mail outbox (one row
per notification and address, written in the same transaction as the event) and the alert marks
that remember what the alert scan has already seen (so nothing is announced twice).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table("notifications", sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
                    sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
                    sa.Column("kind", sa.String(32), nullable=False),
                    sa.Column("item_key", sa.String(300), nullable=False),
                    sa.Column("challenge_id", sa.String(128), nullable=True),
                    sa.Column("innovator_id", sa.String(128), nullable=True),
                    sa.Column("params", sa.JSON(), nullable=False),
                    sa.Column("created_at", TS, nullable=False),
                    sa.Column("read_at", TS, nullable=True),
                    sa.UniqueConstraint("user_id", "item_key", name="uq_notifications_user_item"))
    op.create_index("ix_notifications_user_read", "notifications", ["user_id", "read_at"])
    op.create_table("outbox", sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
                    sa.Column("notification_id", sa.Integer(), sa.ForeignKey("notifications.id", ondelete="CASCADE"),
                              nullable=False, index=True),
                    sa.Column("address", sa.String(254), nullable=False),
                    sa.Column("message_id", sa.String(200), nullable=False, unique=True),
                    sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
                    sa.Column("next_attempt_at", TS, nullable=False, index=True),
                    sa.Column("claimed_until", TS, nullable=True),
                    sa.Column("last_error", sa.Text(), nullable=False, server_default=""),
                    sa.Column("sent_at", TS, nullable=True, index=True),
                    sa.Column("failed_at", TS, nullable=True),
                    sa.Column("created_at", TS, nullable=False),
                    sa.UniqueConstraint("notification_id", "address", name="uq_outbox_notification_address"))
    op.create_table("alert_marks", sa.Column("topic", sa.String(200), primary_key=True),
                    sa.Column("item", sa.String(128), primary_key=True),
                    sa.Column("seen_at", TS, nullable=False))


def downgrade() -> None:
    op.drop_table("alert_marks")
    op.drop_table("outbox")
    op.drop_index("ix_notifications_user_read", table_name="notifications")
    op.drop_table("notifications")
