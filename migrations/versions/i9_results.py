"""Stored campaign results, improvement actions per institution and
dimension, one-time password reset links, a session generation per staff
account (ending all its sessions).

Revision ID: i9_results
Revises: i7_campaigns
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "i9_results"
down_revision = "i7_campaigns"
branch_labels = None
depends_on = None

UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("staff_user") as batch:
        batch.add_column(sa.Column("session_generation", sa.Integer(), nullable=False,
                                   server_default="0"))
    op.create_table(
        "campaign_result",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("instrument_version_id", sa.Integer(), nullable=False),
        sa.Column("computed_at", UTC_DATETIME, nullable=False),
        sa.Column("responses", sa.Integer(), nullable=False),
        sa.Column("correction_points", sa.Float(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"], ondelete="CASCADE",
                                name=op.f("fk_campaign_result_campaign_id_campaign")),
        sa.ForeignKeyConstraint(
            ["instrument_version_id"], ["instrument_version.id"],
            name=op.f("fk_campaign_result_instrument_version_id_instrument_version")),
        sa.PrimaryKeyConstraint("campaign_id", name=op.f("pk_campaign_result")),
    )
    op.create_table(
        "improvement_action",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("dimension", sa.String(80), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["institution_id"], ["institution.id"], ondelete="CASCADE",
                                name=op.f("fk_improvement_action_institution_id_institution")),
        sa.ForeignKeyConstraint(["updated_by_id"], ["staff_user.id"], ondelete="SET NULL",
                                name=op.f("fk_improvement_action_updated_by_id_staff_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_improvement_action")),
        sa.UniqueConstraint("institution_id", "dimension",
                            name=op.f("uq_improvement_action_institution_id")),
    )
    op.create_index(op.f("ix_improvement_action_institution_id"), "improvement_action",
                    ["institution_id"])
    op.create_table(
        "password_reset",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("expires_at", UTC_DATETIME, nullable=False),
        sa.Column("used_at", UTC_DATETIME, nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["staff_user.id"], ondelete="CASCADE",
                                name=op.f("fk_password_reset_user_id_staff_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_reset")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_password_reset_token_hash")),
    )
    op.create_index(op.f("ix_password_reset_user_id"), "password_reset", ["user_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_password_reset_user_id"), table_name="password_reset")
    op.drop_table("password_reset")
    op.drop_index(op.f("ix_improvement_action_institution_id"), table_name="improvement_action")
    op.drop_table("improvement_action")
    op.drop_table("campaign_result")
    with op.batch_alter_table("staff_user") as batch:
        batch.drop_column("session_generation")
