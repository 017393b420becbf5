"""Rules the database keeps itself, whatever client writes: an instrument
version with responses cannot change (a trigger, not only the ORM), and only
a head of office has an office (staff_user.unit_id).

Revision ID: i11_integrity
Revises: i8_surges
Create Date: 2026-12-03

Note for later migrations: on SQLite, ``batch_alter_table("instrument_version")``
rebuilds the table and drops its trigger; create it again afterwards
(``create_instrument_trigger`` below).
"""

from alembic import op

revision = "i11_integrity"
down_revision = "i8_surges"
branch_labels = None
depends_on = None

#: Columns that define what a response's cells mean (survey/models/instrument.py).
DEFINING = ("instrument_key", "version", "content", "format", "checksum")
MESSAGE = "instrument version has responses and cannot change; register a new version"

_ANSWERED = ("EXISTS (SELECT 1 FROM response WHERE instrument_version_id = OLD.id) "
             "OR EXISTS (SELECT 1 FROM pending_response WHERE instrument_version_id = OLD.id)")


def create_instrument_trigger() -> None:
    if op.get_bind().dialect.name == "postgresql":
        changed = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in DEFINING)
        op.execute(f"""
            CREATE FUNCTION instrument_version_immutable() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                IF ({changed}) AND ({_ANSWERED}) THEN
                    RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
                END IF;
                RETURN NEW;
            END
            $$""")
        op.execute("CREATE TRIGGER instrument_version_immutable BEFORE UPDATE ON "
                   "instrument_version FOR EACH ROW EXECUTE FUNCTION "
                   "instrument_version_immutable()")
    else:
        changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in DEFINING)
        op.execute(f"""
            CREATE TRIGGER instrument_version_immutable
            BEFORE UPDATE OF {', '.join(DEFINING)} ON instrument_version
            FOR EACH ROW WHEN ({changed}) AND ({_ANSWERED})
            BEGIN
                SELECT RAISE(ABORT, '{MESSAGE}');
            END""")


def drop_instrument_trigger() -> None:
    op.execute("DROP TRIGGER IF EXISTS instrument_version_immutable"
               + (" ON instrument_version" if op.get_bind().dialect.name == "postgresql" else ""))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS instrument_version_immutable()")


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
