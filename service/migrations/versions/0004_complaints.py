"""Citizen complaints (evidence of demand for draft challenges and the coverage-gap map).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table("complaints", sa.Column("id", sa.String(128), primary_key=True),
                    sa.Column("text", sa.Text(), nullable=False),
                    sa.Column("district", sa.String(64), nullable=True, index=True),
                    sa.Column("district_raw", sa.String(200), nullable=True),
                    sa.Column("categories", sa.JSON(), nullable=False),
                    sa.Column("created_at", TS, nullable=True, index=True),
                    sa.Column("state", sa.String(100), nullable=True),
                    sa.Column("source", sa.String(200), nullable=False, server_default=""),
                    sa.Column("imported_at", TS, nullable=False))


def downgrade() -> None:
    op.drop_table("complaints")
