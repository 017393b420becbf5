"""Seal the content of responses waiting in the mixing pool (answers, cells,
duration, date) under a key derived from SECRET_KEY: a pending row shares
its transaction with the invitation it used, so in clear it tells a reader
of the database who answered what until its batch is mixed.

Rows waiting at the upgrade are sealed with the platform's SECRET_KEY (read
as the application reads it: the SECRET_KEY variable, else the instance
folder's secret_key file); run the upgrade with the same settings as the
application.

Revision ID: i11_sealed_pool
Revises: i11_integrity
Create Date: 2026-12-03
"""

import base64
from datetime import date

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "i11_sealed_pool"
down_revision = "i11_integrity"
branch_labels = None
depends_on = None

CONTENT = ("answers", "cells", "duration_s")   # sealed and dropped
# submitted_on stays for open-link rows (surge alarms); NULL for invited rows.
#: SQLite rebuilds the table in batch mode: keep it clustered by its random id.
_KEEP = {"sqlite_with_rowid": False}


def _seal():
    from survey.config import load_settings
    from survey.services.tokens import PendingSeal

    return PendingSeal(load_settings()["SECRET_KEY"])


def _context(row) -> str:
    from survey.models.response import pending_context

    return pending_context(row.campaign_id, row.unit_id, row.respondent_group,
                           row.instrument_version_id)


def _table(*columns):
    return sa.table("pending_response", sa.column("id"), sa.column("campaign_id"),
                    sa.column("unit_id"), sa.column("respondent_group"),
                    sa.column("instrument_version_id"), *columns)


def _rebuilding():
    """On SQLite, batch mode rebuilds pending_response, which the instrument
    trigger names: drop the trigger meanwhile (see i11_integrity)."""
    from contextlib import contextmanager

    from survey.database import instrument_trigger_drop_sql, instrument_trigger_sql

    @contextmanager
    def around():
        dialect = op.get_bind().dialect.name
        if dialect == "sqlite":
            for statement in instrument_trigger_drop_sql(dialect):
                op.execute(statement)
        yield
        if dialect == "sqlite":
            for statement in instrument_trigger_sql(dialect):
                op.execute(statement)

    return around()


def upgrade() -> None:
    with op.batch_alter_table("pending_response", table_kwargs=_KEEP) as batch:
        batch.add_column(sa.Column("sealed", sa.LargeBinary(), nullable=True))
    bind = op.get_bind()
    plain = _table(sa.column("answers", sa.JSON()), sa.column("cells", sa.LargeBinary()),
                   sa.column("duration_s"), sa.column("submitted_on", sa.Date()),
                   sa.column("sealed", sa.LargeBinary()))
    rows = bind.execute(sa.select(plain)).all()
    if rows:
        seal = _seal()
        for row in rows:
            content = {"answers": row.answers, "duration_s": row.duration_s,
                       "submitted_on": row.submitted_on.isoformat(),
                       "cells": base64.b64encode(row.cells).decode("ascii")}
            bind.execute(plain.update().where(plain.c.id == row.id)
                         .values(sealed=seal.seal(content, _context(row))))
    with _rebuilding(), op.batch_alter_table("pending_response", table_kwargs=_KEEP) as batch:
        for name in CONTENT:
            batch.drop_column(name)
        batch.alter_column("sealed", existing_type=sa.LargeBinary(), nullable=False)
        batch.alter_column("submitted_on", existing_type=sa.Date(), nullable=True)
    op.execute("UPDATE pending_response SET submitted_on = NULL WHERE channel <> 'open'")


def downgrade() -> None:
    json_type = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
    with op.batch_alter_table("pending_response", table_kwargs=_KEEP) as batch:
        batch.add_column(sa.Column("answers", json_type, nullable=True))
        batch.add_column(sa.Column("cells", sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column("duration_s", sa.Integer(), nullable=True))
    bind = op.get_bind()
    table = _table(sa.column("answers", json_type), sa.column("cells", sa.LargeBinary()),
                   sa.column("duration_s"), sa.column("submitted_on", sa.Date()),
                   sa.column("sealed", sa.LargeBinary()))
    rows = bind.execute(sa.select(table)).all()
    if rows:
        seal = _seal()
        for row in rows:
            content = seal.open(row.sealed, _context(row))
            bind.execute(table.update().where(table.c.id == row.id).values(
                answers=content["answers"], cells=base64.b64decode(content["cells"]),
                duration_s=content["duration_s"],
                submitted_on=date.fromisoformat(content["submitted_on"])))
    with _rebuilding(), op.batch_alter_table("pending_response", table_kwargs=_KEEP) as batch:
        for name in ("answers", "cells", "submitted_on"):
            batch.alter_column(name, nullable=False)
        batch.drop_column("sealed")


