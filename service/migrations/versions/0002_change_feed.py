"""Change feed: stored vectors per record, the ordered change log, leases, record versions.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
SEQUENCE = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table("record_vectors", sa.Column("side", sa.String(16), primary_key=True),
                    sa.Column("record_id", sa.String(128), primary_key=True),
                    sa.Column("encoder", sa.String(160), primary_key=True),
                    sa.Column("mode", sa.String(1), primary_key=True),
                    sa.Column("vector", sa.LargeBinary(), nullable=False))
    op.create_table("changes", sa.Column("seq", SEQUENCE, primary_key=True, autoincrement=True),
                    sa.Column("side", sa.String(16), nullable=False),
                    sa.Column("record_id", sa.String(128), nullable=False),
                    sa.Column("op", sa.String(8), nullable=False),
                    sa.Column("created_at", TS, nullable=False))
    op.create_table("leases", sa.Column("name", sa.String(100), primary_key=True),
                    sa.Column("holder", sa.String(200), nullable=False),
                    sa.Column("expires_at", TS, nullable=False))
    with op.batch_alter_table("challenges") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
    with op.batch_alter_table("innovators") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
    # Records that existed before the change feed enter it once, so every follower indexes them.
    op.execute("INSERT INTO changes (side, record_id, op, created_at) "
               "SELECT 'challenges', id, 'upsert', created_at FROM challenges")
    op.execute("INSERT INTO changes (side, record_id, op, created_at) "
               "SELECT 'innovators', id, 'upsert', created_at FROM innovators")


def downgrade() -> None:
    with op.batch_alter_table("innovators") as batch:
        batch.drop_column("version")
    with op.batch_alter_table("challenges") as batch:
        batch.drop_column("version")
    for table in ("leases", "changes", "record_vectors"):
        op.drop_table(table)
