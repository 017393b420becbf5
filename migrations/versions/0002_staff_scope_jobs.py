"""Staff scoped to an institution, audit entries per institution, background
jobs; a unit with a head of office cannot be deleted from under them.

Revision ID: 0002_staff_scope_jobs
Revises: 0001
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002_staff_scope_jobs"
down_revision = "0001"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("staff_user") as batch:
        batch.add_column(sa.Column("institution_id", sa.Integer(), nullable=True))
        batch.create_index(op.f("ix_staff_user_institution_id"), ["institution_id"])
        batch.create_foreign_key(op.f("fk_staff_user_institution_id_institution"),
                                 "institution", ["institution_id"], ["id"], ondelete="CASCADE")
        batch.drop_constraint("fk_staff_user_unit_id_unit", type_="foreignkey")
        batch.create_foreign_key(op.f("fk_staff_user_unit_id_unit"), "unit", ["unit_id"], ["id"],
                                 ondelete="RESTRICT")
    # Existing accounts: a unit manager belongs to their unit's institution;
    # others to the only institution, if there is just one.
    op.execute("UPDATE staff_user SET institution_id = "
               "(SELECT unit.institution_id FROM unit WHERE unit.id = staff_user.unit_id) "
               "WHERE unit_id IS NOT NULL")
    op.execute("UPDATE staff_user SET institution_id = (SELECT min(id) FROM institution) "
               "WHERE institution_id IS NULL AND (SELECT count(*) FROM institution) = 1")
    with op.batch_alter_table("staff_user") as batch:
        batch.create_check_constraint(op.f("ck_staff_user_scoped_to_an_institution"),
                                      "role = 'admin' OR institution_id IS NOT NULL")

    with op.batch_alter_table("audit_entry") as batch:
        batch.add_column(sa.Column("institution_id", sa.Integer(), nullable=True))
        batch.create_index(op.f("ix_audit_entry_institution_id"), ["institution_id"])
        batch.create_foreign_key(op.f("fk_audit_entry_institution_id_institution"),
                                 "institution", ["institution_id"], ["id"], ondelete="CASCADE")

    op.create_table(
        "job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(80), nullable=False),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("unique_key", sa.String(120), nullable=True),
        sa.Column("status", sa.Enum("queued", "running", "done", "failed", name="job_status",
                                    native_enum=False, create_constraint=True, length=7),
                  nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("run_after", UTC_DATETIME, nullable=False),
        sa.Column("lease_until", UTC_DATETIME, nullable=True),
        sa.Column("progress", JSON, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("finished_at", UTC_DATETIME, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job")),
    )
    op.create_index("ix_job_status_run_after", "job", ["status", "run_after"])
    op.create_index(op.f("ix_job_unique_key"), "job", ["unique_key"])


def downgrade() -> None:
    op.drop_index(op.f("ix_job_unique_key"), table_name="job")
    op.drop_index("ix_job_status_run_after", table_name="job")
    op.drop_table("job")
    with op.batch_alter_table("audit_entry") as batch:
        batch.drop_constraint(op.f("fk_audit_entry_institution_id_institution"),
                              type_="foreignkey")
        batch.drop_index(op.f("ix_audit_entry_institution_id"))
        batch.drop_column("institution_id")
    with op.batch_alter_table("staff_user") as batch:
        batch.drop_constraint(op.f("ck_staff_user_scoped_to_an_institution"), type_="check")
        batch.drop_constraint(op.f("fk_staff_user_unit_id_unit"), type_="foreignkey")
        batch.create_foreign_key(op.f("fk_staff_user_unit_id_unit"), "unit", ["unit_id"], ["id"],
                                 ondelete="SET NULL")
        batch.drop_constraint(op.f("fk_staff_user_institution_id_institution"),
                              type_="foreignkey")
        batch.drop_index(op.f("ix_staff_user_institution_id"))
        batch.drop_column("institution_id")
