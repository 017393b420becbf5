"""Open links that hold: first-view stamps that have been used (a start
time cannot be replayed).

Revision ID: i8_open_links
Revises: i8_reports
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "i8_open_links"
down_revision = "i8_reports"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "used_start",
        sa.Column("nonce_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("nonce_hash", name=op.f("pk_used_start")),
        sqlite_with_rowid=False,
    )
    op.create_index(op.f("ix_used_start_expires_on"), "used_start", ["expires_on"])


def downgrade() -> None:
    op.drop_index(op.f("ix_used_start_expires_on"), table_name="used_start")
    op.drop_table("used_start")
