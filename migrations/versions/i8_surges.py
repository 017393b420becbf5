"""Surges of open-link responses: days of one office's open-link responses
that an inspector has set aside from scoring, with the reason.

Revision ID: i8_surges
Revises: i8_open_links
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "i8_surges"
down_revision = "i8_open_links"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "open_link_exclusion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"], ondelete="CASCADE",
                                name=op.f("fk_open_link_exclusion_campaign_id_campaign")),
        sa.ForeignKeyConstraint(["created_by_id"], ["staff_user.id"], ondelete="SET NULL",
                                name=op.f("fk_open_link_exclusion_created_by_id_staff_user")),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"], ondelete="CASCADE",
                                name=op.f("fk_open_link_exclusion_unit_id_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_open_link_exclusion")),
        sa.UniqueConstraint("campaign_id", "unit_id", "day",
                            name=op.f("uq_open_link_exclusion_campaign_id")),
    )
    op.create_index(op.f("ix_open_link_exclusion_campaign_id"), "open_link_exclusion",
                    ["campaign_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_open_link_exclusion_campaign_id"), table_name="open_link_exclusion")
    op.drop_table("open_link_exclusion")
