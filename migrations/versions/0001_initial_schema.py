"""Initial schema: organisation, instruments, campaigns, invitations,
responses, citizen reports, staff and audit log.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
UTC_DATETIME = sa.DateTime(timezone=True)


def _enum(name, *values):
    return sa.Enum(
        *values, name=name, native_enum=False, create_constraint=True, length=max(map(len, values))
    )


def _response_table(name):
    """response and pending_response have the same columns."""
    op.create_table(
        name,
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("respondent_group", sa.String(40), nullable=False),
        sa.Column("instrument_version_id", sa.Integer(), nullable=False),
        sa.Column("answers", JSON, nullable=False),
        sa.Column("cells", sa.LargeBinary(), nullable=False),
        sa.Column("duration_s", sa.Integer(), nullable=True),
        sa.Column("channel", _enum("channel", "invited", "open"), nullable=False),
        sa.Column("submitted_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaign.id"],
            ondelete="CASCADE",
            name=op.f(f"fk_{name}_campaign_id_campaign"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["unit.id"], ondelete="CASCADE", name=op.f(f"fk_{name}_unit_id_unit")
        ),
        sa.ForeignKeyConstraint(
            ["instrument_version_id"],
            ["instrument_version.id"],
            name=op.f(f"fk_{name}_instrument_version_id_instrument_version"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
        # Rows are stored in the order of their random id, not of insertion.
        sqlite_with_rowid=False,
    )


def upgrade() -> None:
    op.create_table(
        "institution",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_institution")),
        sa.UniqueConstraint("code", name=op.f("uq_institution_code")),
    )
    op.create_table(
        "instrument_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instrument_key", sa.String(100), nullable=False),
        sa.Column("version", sa.String(40), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("format", sa.String(8), nullable=False),
        sa.Column("checksum", sa.String(64), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_instrument_version")),
        sa.UniqueConstraint("checksum", name=op.f("uq_instrument_version_checksum")),
    )
    op.create_table(
        "partial_answer",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_partial_answer")),
        sqlite_with_rowid=False,
    )
    op.create_index(op.f("ix_partial_answer_expires_on"), "partial_answer", ["expires_on"])
    op.create_table(
        "unit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institution.id"],
            ondelete="CASCADE",
            name=op.f("fk_unit_institution_id_institution"),
        ),
        sa.ForeignKeyConstraint(["parent_id"], ["unit.id"], name=op.f("fk_unit_parent_id_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unit")),
        sa.UniqueConstraint("institution_id", "code", name=op.f("uq_unit_institution_id")),
    )
    op.create_index(op.f("ix_unit_institution_id"), "unit", ["institution_id"])
    op.create_index(op.f("ix_unit_parent_id"), "unit", ["parent_id"])
    op.create_table(
        "unit_population",
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("respondent_group", sa.String(40), nullable=False),
        sa.Column("population", sa.Integer(), nullable=False),
        sa.CheckConstraint("population > 0", name=op.f("ck_unit_population_population_positive")),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["unit.id"],
            ondelete="CASCADE",
            name=op.f("fk_unit_population_unit_id_unit"),
        ),
        sa.PrimaryKeyConstraint("unit_id", "respondent_group", name=op.f("pk_unit_population")),
    )
    op.create_table(
        "campaign",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("period", sa.String(40), nullable=False),
        sa.Column("target", sa.Float(), nullable=False),
        sa.Column("opens_on", sa.Date(), nullable=False),
        sa.Column("closes_on", sa.Date(), nullable=False),
        sa.Column("status", _enum("campaign_status", "draft", "open", "closed"), nullable=False),
        sa.Column("instrument_version_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.CheckConstraint("closes_on >= opens_on", name=op.f("ck_campaign_dates_ordered")),
        sa.CheckConstraint("target >= 0 AND target <= 100", name=op.f("ck_campaign_target_range")),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institution.id"],
            ondelete="CASCADE",
            name=op.f("fk_campaign_institution_id_institution"),
        ),
        sa.ForeignKeyConstraint(
            ["instrument_version_id"],
            ["instrument_version.id"],
            name=op.f("fk_campaign_instrument_version_id_instrument_version"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign")),
    )
    op.create_index(op.f("ix_campaign_institution_id"), "campaign", ["institution_id"])
    op.create_index(
        op.f("ix_campaign_instrument_version_id"), "campaign", ["instrument_version_id"]
    )
    op.create_table(
        "open_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(24), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaign.id"],
            ondelete="CASCADE",
            name=op.f("fk_open_link_campaign_id_campaign"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["unit.id"], ondelete="CASCADE", name=op.f("fk_open_link_unit_id_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_open_link")),
        sa.UniqueConstraint("campaign_id", "unit_id", name=op.f("uq_open_link_campaign_id")),
        sa.UniqueConstraint("code", name=op.f("uq_open_link_code")),
    )
    op.create_index(op.f("ix_open_link_unit_id"), "open_link", ["unit_id"])
    op.create_table(
        "invitation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("respondent_group", sa.String(40), nullable=False),
        sa.Column("phone", sa.String(20), nullable=True),
        sa.Column("email", sa.String(254), nullable=True),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.Column("sent", sa.Boolean(), nullable=False),
        sa.Column("used", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "phone IS NOT NULL OR email IS NOT NULL", name=op.f("ck_invitation_has_contact")
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaign.id"],
            ondelete="CASCADE",
            name=op.f("fk_invitation_campaign_id_campaign"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["unit.id"], ondelete="CASCADE", name=op.f("fk_invitation_unit_id_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitation")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_invitation_token_hash")),
    )
    op.create_index(op.f("ix_invitation_campaign_id"), "invitation", ["campaign_id"])
    op.create_index(op.f("ix_invitation_unit_id"), "invitation", ["unit_id"])
    if op.get_bind().dialect.name == "postgresql":
        # Room in every page, so that marking an invitation used rewrites it in
        # place (a HOT update) instead of moving it to the end of the table,
        # where its position would tell when it was used.
        op.execute("ALTER TABLE invitation SET (fillfactor = 50)")

    _response_table("pending_response")
    op.create_index("ix_pending_response_campaign", "pending_response", ["campaign_id"])
    _response_table("response")
    op.create_index("ix_response_campaign_group", "response", ["campaign_id", "respondent_group"])

    op.create_table(
        "staff_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column(
            "role", _enum("role", "admin", "inspector", "unit_manager", "auditor"), nullable=False
        ),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("last_login_at", UTC_DATETIME, nullable=True),
        sa.CheckConstraint(
            "role <> 'unit_manager' OR unit_id IS NOT NULL",
            name=op.f("ck_staff_user_unit_manager_has_unit"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["unit.id"], ondelete="SET NULL", name=op.f("fk_staff_user_unit_id_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_user")),
        sa.UniqueConstraint("email", name=op.f("uq_staff_user_email")),
    )
    op.create_table(
        "citizen_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tracking_hash", sa.String(64), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column(
            "category", _enum("report_category", "bribe", "levy", "broker", "other"), nullable=False
        ),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=True),
        sa.Column("amount_requested", sa.Integer(), nullable=True),
        sa.Column("wants_contact", sa.Boolean(), nullable=False),
        sa.Column("contact", sa.String(200), nullable=True),
        sa.Column(
            "status",
            _enum("report_status", "received", "in_review", "forwarded", "closed"),
            nullable=False,
        ),
        sa.Column("status_note", sa.Text(), nullable=True),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.CheckConstraint(
            "amount_requested IS NULL OR amount_requested >= 0",
            name=op.f("ck_citizen_report_amount_non_negative"),
        ),
        sa.CheckConstraint(
            "wants_contact OR contact IS NULL",
            name=op.f("ck_citizen_report_contact_only_if_wanted"),
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaign.id"],
            ondelete="SET NULL",
            name=op.f("fk_citizen_report_campaign_id_campaign"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["unit.id"],
            ondelete="CASCADE",
            name=op.f("fk_citizen_report_unit_id_unit"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_citizen_report")),
        sa.UniqueConstraint("tracking_hash", name=op.f("uq_citizen_report_tracking_hash")),
    )
    op.create_index(op.f("ix_citizen_report_unit_id"), "citizen_report", ["unit_id"])
    op.create_table(
        "correction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("points", sa.Float(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.CheckConstraint(
            "points >= 0 AND points <= 100", name=op.f("ck_correction_points_range")
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaign.id"],
            ondelete="CASCADE",
            name=op.f("fk_correction_campaign_id_campaign"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["staff_user.id"],
            ondelete="SET NULL",
            name=op.f("fk_correction_created_by_id_staff_user"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["unit.id"], ondelete="CASCADE", name=op.f("fk_correction_unit_id_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_correction")),
    )
    op.create_index(op.f("ix_correction_campaign_id"), "correction", ["campaign_id"])
    op.create_table(
        "audit_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", UTC_DATETIME, nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(80), nullable=False),
        sa.Column("target", sa.String(200), nullable=True),
        sa.Column("detail", JSON, nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["staff_user.id"],
            ondelete="SET NULL",
            name=op.f("fk_audit_entry_actor_id_staff_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entry")),
    )
    op.create_index(op.f("ix_audit_entry_at"), "audit_entry", ["at"])


def downgrade() -> None:
    # Dropping a table drops its indexes and constraints; children go first.
    for table in (
        "audit_entry",
        "correction",
        "citizen_report",
        "staff_user",
        "response",
        "pending_response",
        "invitation",
        "open_link",
        "campaign",
        "unit_population",
        "unit",
        "partial_answer",
        "instrument_version",
        "institution",
    ):
        op.drop_table(table)
