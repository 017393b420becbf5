"""Running a campaign: respondent lists, sealed invitation links, revoked
invitations, the fate of each message, message texts and sample planning
per campaign.

Revision ID: i7_campaigns
Revises: 0002_staff_scope_jobs
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "i7_campaigns"
down_revision = "0002_staff_scope_jobs"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
UTC_DATETIME = sa.DateTime(timezone=True)


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True,
                   length=max(len(v) for v in values))


def upgrade() -> None:
    with op.batch_alter_table("campaign") as batch:
        batch.add_column(sa.Column("messages", JSON, nullable=True))
        batch.add_column(sa.Column("plan_margin", sa.Float(), nullable=True))
        batch.add_column(sa.Column("plan_sd", sa.Float(), nullable=True))
        batch.add_column(sa.Column("plan_response_rate", sa.Float(), nullable=True))
        batch.add_column(sa.Column("sample_seed", sa.Integer(), nullable=True))

    with op.batch_alter_table("invitation") as batch:
        batch.add_column(sa.Column("token_sealed", sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column("revoked", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
    with op.batch_alter_table("invitation") as batch:
        batch.alter_column("revoked", server_default=None)

    op.create_table(
        "list_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("respondent_group", sa.String(40), nullable=False),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("phone", sa.String(20), nullable=True),
        sa.Column("email", sa.String(254), nullable=True),
        sa.Column("in_sample", sa.Boolean(), nullable=False),
        sa.Column("invitation_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("phone IS NOT NULL OR email IS NOT NULL",
                           name=op.f("ck_list_entry_has_contact")),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"], ondelete="CASCADE",
                                name=op.f("fk_list_entry_campaign_id_campaign")),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"], ondelete="CASCADE",
                                name=op.f("fk_list_entry_unit_id_unit")),
        sa.ForeignKeyConstraint(["invitation_id"], ["invitation.id"], ondelete="SET NULL",
                                name=op.f("fk_list_entry_invitation_id_invitation")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_list_entry")),
        sa.UniqueConstraint("campaign_id", "phone", name="uq_list_entry_campaign_phone"),
        sa.UniqueConstraint("campaign_id", "email", name="uq_list_entry_campaign_email"),
    )
    op.create_index("ix_list_entry_campaign_unit", "list_entry", ["campaign_id", "unit_id"])
    op.create_index(op.f("ix_list_entry_invitation_id"), "list_entry", ["invitation_id"])

    op.create_table(
        "delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invitation_id", sa.Integer(), nullable=False),
        sa.Column("channel", _enum("delivery_channel", "whatsapp_cloud", "email",
                                   "whatsapp_link", "csv"), nullable=False),
        sa.Column("kind", _enum("delivery_kind", "invitation", "reminder"), nullable=False),
        sa.Column("status", _enum("delivery_status", "queued", "sending", "sent", "failed",
                                  "unknown"), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.String(200), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(["invitation_id"], ["invitation.id"], ondelete="CASCADE",
                                name=op.f("fk_delivery_invitation_id_invitation")),
        sa.ForeignKeyConstraint(["job_id"], ["job.id"], ondelete="SET NULL",
                                name=op.f("fk_delivery_job_id_job")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery")),
    )
    op.create_index(op.f("ix_delivery_invitation_id"), "delivery", ["invitation_id"])
    op.create_index("ix_delivery_job_status", "delivery", ["job_id", "status"])


def downgrade() -> None:
    op.drop_index("ix_delivery_job_status", table_name="delivery")
    op.drop_index(op.f("ix_delivery_invitation_id"), table_name="delivery")
    op.drop_table("delivery")
    op.drop_index(op.f("ix_list_entry_invitation_id"), table_name="list_entry")
    op.drop_index("ix_list_entry_campaign_unit", table_name="list_entry")
    op.drop_table("list_entry")
    with op.batch_alter_table("invitation") as batch:
        batch.drop_column("revoked")
        batch.drop_column("token_sealed")
    with op.batch_alter_table("campaign") as batch:
        batch.drop_column("sample_seed")
        batch.drop_column("plan_response_rate")
        batch.drop_column("plan_sd")
        batch.drop_column("plan_margin")
        batch.drop_column("messages")
