"""Tombstones: a deleted challenge or innovator leaves its id behind, so the id is never reused and
no history (engagements, labels) can attach to a newcomer.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("tombstones", sa.Column("side", sa.String(16), primary_key=True),
                    sa.Column("record_id", sa.String(128), primary_key=True),
                    sa.Column("owner", sa.String(128), nullable=True),
                    sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=False))


def downgrade() -> None:
    op.drop_table("tombstones")
