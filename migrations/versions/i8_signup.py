"""Counter sign-up: open links that also take sign-ups, and the candidates
(a keyed hash of the number; the number only while the candidate waits).

Revision ID: i8_signup
Revises: i11_sealed_pool
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "i8_signup"
down_revision = "i11_sealed_pool"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("open_link") as batch:
        batch.add_column(sa.Column("signup", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
    op.create_table(
        "candidate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("phone_key", sa.String(length=64), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("status", sa.Enum("waiting", "invited", "not_drawn", name="candidate_status",
                                    native_enum=False, create_constraint=True, length=9),
                  nullable=False),
        sa.Column("signed_up_on", sa.Date(), nullable=False),
        sa.CheckConstraint("status = 'waiting' OR phone IS NULL",
                           name=op.f("ck_candidate_phone_only_while_waiting")),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"], ondelete="CASCADE",
                                name=op.f("fk_candidate_campaign_id_campaign")),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"], ondelete="CASCADE",
                                name=op.f("fk_candidate_unit_id_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_candidate")),
        sa.UniqueConstraint("campaign_id", "phone_key", name=op.f("uq_candidate_campaign_id")),
    )
    op.create_index(op.f("ix_candidate_campaign_id"), "candidate", ["campaign_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_candidate_campaign_id"), table_name="candidate")
    op.drop_table("candidate")
    with op.batch_alter_table("open_link") as batch:
        batch.drop_column("signup")
