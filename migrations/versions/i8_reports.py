"""Citizen reports: the issue's seven categories, a "verified" status, the
body a report was forwarded to, triage steps and a re-encoded photo.

Revision ID: i8_reports
Revises: i10_api
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "i8_reports"
down_revision = "i10_api"
branch_labels = None
depends_on = None

UTC_DATETIME = sa.DateTime(timezone=True)

CATEGORIES = ("bribe", "levy", "broker", "gratuity", "abuse", "service", "other")
OLD_CATEGORIES = ("bribe", "levy", "broker", "other")
STATUSES = ("received", "in_review", "forwarded", "verified", "closed")
OLD_STATUSES = ("received", "in_review", "forwarded", "closed")


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True,
                   length=max(len(v) for v in values))


def _categories(values, statuses, *, length: int) -> None:
    with op.batch_alter_table("citizen_report") as batch:
        batch.drop_constraint(op.f("ck_citizen_report_report_category"), type_="check")
        batch.drop_constraint(op.f("ck_citizen_report_report_status"), type_="check")
        batch.alter_column("category", type_=sa.String(length), existing_nullable=False)
    with op.batch_alter_table("citizen_report") as batch:
        batch.create_check_constraint(op.f("ck_citizen_report_report_category"),
                                      _in("category", values))
        batch.create_check_constraint(op.f("ck_citizen_report_report_status"),
                                      _in("status", statuses))


def upgrade() -> None:
    _categories(CATEGORIES, STATUSES, length=max(map(len, CATEGORIES)))
    with op.batch_alter_table("citizen_report") as batch:
        batch.add_column(sa.Column("forwarded_to", sa.String(200), nullable=True))
    op.create_table(
        "citizen_report_photo",
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("media_type", sa.String(20), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["report_id"], ["citizen_report.id"], ondelete="CASCADE",
                                name=op.f("fk_citizen_report_photo_report_id_citizen_report")),
        sa.PrimaryKeyConstraint("report_id", name=op.f("pk_citizen_report_photo")),
    )
    op.create_table(
        "citizen_report_step",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("at", UTC_DATETIME, nullable=False),
        sa.Column("from_status", _enum("report_step_from", *STATUSES), nullable=False),
        sa.Column("to_status", _enum("report_step_to", *STATUSES), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("public_reply", sa.Text(), nullable=True),
        sa.Column("forwarded_to", sa.String(200), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["report_id"], ["citizen_report.id"], ondelete="CASCADE",
                                name=op.f("fk_citizen_report_step_report_id_citizen_report")),
        sa.ForeignKeyConstraint(["actor_id"], ["staff_user.id"], ondelete="SET NULL",
                                name=op.f("fk_citizen_report_step_actor_id_staff_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_citizen_report_step")),
    )
    op.create_index(op.f("ix_citizen_report_step_report_id"), "citizen_report_step",
                    ["report_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_citizen_report_step_report_id"), table_name="citizen_report_step")
    op.drop_table("citizen_report_step")
    op.drop_table("citizen_report_photo")
    # The old schema knows fewer categories and no "verified": keep the
    # reports, under the nearest old value.
    op.execute("UPDATE citizen_report SET category = 'other' "
               "WHERE category IN ('gratuity', 'abuse', 'service')")
    op.execute("UPDATE citizen_report SET status = 'in_review' WHERE status = 'verified'")
    with op.batch_alter_table("citizen_report") as batch:
        batch.drop_column("forwarded_to")
    _categories(OLD_CATEGORIES, OLD_STATUSES, length=max(map(len, OLD_CATEGORIES)))
