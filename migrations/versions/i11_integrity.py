"""Rules the database keeps itself, whatever client writes: an instrument
version with responses cannot change (a trigger, not only the ORM), and only
a head of office has an office (staff_user.unit_id).

Revision ID: i11_integrity
Revises: i8_surges
Create Date: 2026-12-03

Note for later migrations: on SQLite, ``batch_alter_table`` of
instrument_version, response or pending_response rebuilds the table, which
the trigger names: drop the trigger first and create it again afterwards
(``survey.database.instrument_trigger_sql``), as ``i11_sealed_pool`` does.
"""

from alembic import op

from survey.database import instrument_trigger_drop_sql, instrument_trigger_sql

revision = "i11_integrity"
down_revision = "i8_surges"
branch_labels = None
depends_on = None

def create_instrument_trigger() -> None:
    for statement in instrument_trigger_sql(op.get_bind().dialect.name):
        op.execute(statement)


def drop_instrument_trigger() -> None:
    for statement in instrument_trigger_drop_sql(op.get_bind().dialect.name):
        op.execute(statement)


def upgrade() -> None:
    # Accounts other than heads of office kept the office picked in the form
    # (it only chose their institution); it meant nothing and now may not be.
    op.execute("UPDATE staff_user SET unit_id = NULL WHERE role <> 'unit_manager'")
    with op.batch_alter_table("staff_user") as batch:
        batch.create_check_constraint(op.f("ck_staff_user_only_unit_managers_have_a_unit"),
                                      "role = 'unit_manager' OR unit_id IS NULL")
    create_instrument_trigger()


def downgrade() -> None:
    drop_instrument_trigger()
    with op.batch_alter_table("staff_user") as batch:
        batch.drop_constraint(op.f("ck_staff_user_only_unit_managers_have_a_unit"),
                              type_="check")
