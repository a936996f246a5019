"""Initial schema: agencies, challenges, innovators, API keys, feedback, saved searches.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table("agencies", sa.Column("id", sa.String(128), primary_key=True),
                    sa.Column("name_th", sa.String(300), nullable=False), sa.Column("name_en", sa.String(300), nullable=False),
                    sa.Column("created_at", TS, nullable=False))
    op.create_table("challenges", sa.Column("id", sa.String(128), primary_key=True),
                    sa.Column("agency_id", sa.String(128), sa.ForeignKey("agencies.id"), nullable=True),
                    sa.Column("status", sa.String(16), nullable=False),
                    sa.Column("confidential", sa.Boolean(), nullable=False),
                    sa.Column("data", sa.JSON(), nullable=False),
                    sa.Column("created_at", TS, nullable=False), sa.Column("updated_at", TS, nullable=False))
    op.create_index("ix_challenges_agency_id", "challenges", ["agency_id"])
    op.create_index("ix_challenges_status", "challenges", ["status"])
    op.create_index("ix_challenges_confidential", "challenges", ["confidential"])
    op.create_index("ix_challenges_created_at", "challenges", ["created_at"])
    op.create_table("innovators", sa.Column("id", sa.String(128), primary_key=True),
                    sa.Column("data", sa.JSON(), nullable=False),
                    sa.Column("created_at", TS, nullable=False), sa.Column("updated_at", TS, nullable=False))
    op.create_table("api_keys", sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
                    sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
                    sa.Column("role", sa.String(16), nullable=False),
                    sa.Column("agency_id", sa.String(128), sa.ForeignKey("agencies.id"), nullable=True),
                    sa.Column("innovator_id", sa.String(128), nullable=True),
                    sa.Column("label", sa.String(200), nullable=False),
                    sa.Column("revoked", sa.Boolean(), nullable=False), sa.Column("created_at", TS, nullable=False))
    op.create_table("feedback", sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
                    sa.Column("challenge_id", sa.String(128), sa.ForeignKey("challenges.id", ondelete="CASCADE"), nullable=False),
                    sa.Column("innovator_id", sa.String(128), nullable=False),
                    sa.Column("decision", sa.String(16), nullable=False), sa.Column("note", sa.Text(), nullable=False),
                    sa.Column("actor", sa.String(200), nullable=False), sa.Column("created_at", TS, nullable=False))
    op.create_index("ix_feedback_challenge_id", "feedback", ["challenge_id"])
    op.create_index("ix_feedback_innovator_id", "feedback", ["innovator_id"])
    op.create_table("saved_searches", sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
                    sa.Column("innovator_id", sa.String(128), sa.ForeignKey("innovators.id", ondelete="CASCADE"), nullable=False),
                    sa.Column("text", sa.Text(), nullable=False), sa.Column("filters", sa.JSON(), nullable=False),
                    sa.Column("last_seen_at", TS, nullable=False), sa.Column("created_at", TS, nullable=False))
    op.create_index("ix_saved_searches_innovator_id", "saved_searches", ["innovator_id"])


def downgrade() -> None:
    for table in ("saved_searches", "feedback", "api_keys", "innovators", "challenges", "agencies"):
        op.drop_table(table)
