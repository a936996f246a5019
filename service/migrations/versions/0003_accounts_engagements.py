"""Accounts (users, login sessions, failed-login log, staff invitations) and engagement events
(invitations, interests and agency decisions on one challenge-innovator pair, undoable).

The old `feedback` table's decisions become engagement events (shortlist -> shortlisted,
accept -> accepted, reject -> declined), so the decision history is kept.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table("users", sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
                    sa.Column("login", sa.String(254), nullable=False, unique=True),
                    sa.Column("display_name", sa.String(200), nullable=False),
                    sa.Column("password_hash", sa.String(200), nullable=False),
                    sa.Column("role", sa.String(16), nullable=False),
                    sa.Column("agency_id", sa.String(128), sa.ForeignKey("agencies.id"), nullable=True),
                    sa.Column("innovator_id", sa.String(128), nullable=True, index=True),
                    sa.Column("disabled", sa.Boolean(), nullable=False, server_default=sa.false()),
                    sa.Column("created_at", TS, nullable=False))
    op.create_table("web_sessions", sa.Column("token_hash", sa.String(64), primary_key=True),
                    sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False,
                              index=True),
                    sa.Column("created_at", TS, nullable=False),
                    sa.Column("expires_at", TS, nullable=False))
    op.create_table("login_failures", sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
                    sa.Column("login", sa.String(254), nullable=False, index=True),
                    sa.Column("client", sa.String(64), nullable=False, index=True),
                    sa.Column("created_at", TS, nullable=False, index=True))
    op.create_table("staff_invitations", sa.Column("token_hash", sa.String(64), primary_key=True),
                    sa.Column("agency_id", sa.String(128), sa.ForeignKey("agencies.id"), nullable=True),
                    sa.Column("role", sa.String(16), nullable=False),
                    sa.Column("login", sa.String(254), nullable=False),
                    sa.Column("created_by", sa.String(300), nullable=False),
                    sa.Column("created_at", TS, nullable=False),
                    sa.Column("expires_at", TS, nullable=False),
                    sa.Column("used_at", TS, nullable=True))
    op.create_table("engagement_events", sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
                    sa.Column("challenge_id", sa.String(128), sa.ForeignKey("challenges.id", ondelete="CASCADE"),
                              nullable=False, index=True),
                    sa.Column("innovator_id", sa.String(128), nullable=False, index=True),
                    sa.Column("state", sa.String(16), nullable=False),
                    sa.Column("note", sa.Text(), nullable=False, server_default=""),
                    sa.Column("actor_role", sa.String(16), nullable=False),
                    sa.Column("actor_name", sa.String(300), nullable=False),
                    sa.Column("created_at", TS, nullable=False),
                    sa.Column("undone_at", TS, nullable=True))
    op.execute("INSERT INTO engagement_events (challenge_id, innovator_id, state, note, actor_role, actor_name, created_at) "
               "SELECT challenge_id, innovator_id, CASE decision WHEN 'shortlist' THEN 'shortlisted' "
               "WHEN 'accept' THEN 'accepted' ELSE 'declined' END, note, 'agency', actor, created_at FROM feedback")
    op.drop_table("feedback")


def downgrade() -> None:
    op.create_table("feedback", sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
                    sa.Column("challenge_id", sa.String(128), sa.ForeignKey("challenges.id", ondelete="CASCADE"),
                              index=True),
                    sa.Column("innovator_id", sa.String(128), index=True),
                    sa.Column("decision", sa.String(16)),
                    sa.Column("note", sa.Text()),
                    sa.Column("actor", sa.String(200)),
                    sa.Column("created_at", TS))
    op.execute("INSERT INTO feedback (challenge_id, innovator_id, decision, note, actor, created_at) "
               "SELECT challenge_id, innovator_id, CASE state WHEN 'shortlisted' THEN 'shortlist' "
               "WHEN 'accepted' THEN 'accept' ELSE 'reject' END, note, actor_name, created_at FROM engagement_events "
               "WHERE actor_role IN ('agency', 'admin') AND state IN ('shortlisted', 'accepted', 'declined') "
               "AND undone_at IS NULL")
    for table in ("engagement_events", "staff_invitations", "login_failures", "web_sessions", "users"):
        op.drop_table(table)
