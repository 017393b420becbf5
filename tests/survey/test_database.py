"""Schema migrations and the database layer, on SQLite and PostgreSQL."""

from __future__ import annotations

import gc
import secrets

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, IntegrityError
from support import run_survey

from survey.database import (
    DatabaseUnavailable,
    current_revision,
    downgrade,
    head_revision,
    make_engine,
    normalise_url,
    table_names,
    upgrade,
)
from survey.models import Base, InstrumentVersion, Response, Role, StaffUser
from survey.models.instrument import ImmutableInstrumentVersion
from survey.services import staff


@pytest.fixture
def empty_database(database_url, tmp_path, is_postgres):
    """A database of its own for migration tests: a fresh SQLite file, or a
    fresh schema on the PostgreSQL server."""
    if not is_postgres:
        engine = make_engine(f"sqlite:///{tmp_path / 'migrations.db'}")
        yield engine
        engine.dispose()
        return
    schema = f"mig_{secrets.token_hex(4)}"
    admin = make_engine(database_url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(database_url).update_query_dict({"options": f"-csearch_path={schema}"})
    engine = make_engine(url.render_as_string(hide_password=False))
    yield engine
    engine.dispose()
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def _model_drift(engine) -> list:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)


def test_migrations_upgrade_from_empty_downgrade_to_base_and_upgrade_again(empty_database):
    engine = empty_database
    assert current_revision(engine) is None
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    assert set(Base.metadata.tables) <= set(table_names(engine))
    downgrade(engine, "base")
    assert current_revision(engine) is None
    assert set(table_names(engine)) <= {"alembic_version"}
    upgrade(engine)
    assert current_revision(engine) == head_revision()


def test_models_and_migrations_describe_the_same_schema(empty_database):
    upgrade(empty_database)
    assert _model_drift(empty_database) == []


def test_commands_close_their_connections_also_when_they_refuse(empty_database, tmp_path,
                                                                monkeypatch, capsys):
    """Commands run in the tests' process (tests/lib/support.run_survey): a
    pooled psycopg connection left to the garbage collector would fail
    whichever later test it is collected in, so it must fail this one."""
    monkeypatch.setenv("DATABASE_URL", empty_database.url.render_as_string(hide_password=False))
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    code, _, err = run_survey(capsys, "serve")
    assert code == 2 and "run `survey db upgrade` first" in err
    assert run_survey(capsys, "db", "current")[1].startswith("base (empty)")
    gc.collect()


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'wal.db'}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


@pytest.mark.parametrize("url", ["postgres://u@h/db", "postgresql://u@h/db"])
def test_postgres_urls_use_psycopg_3(url):
    assert normalise_url(url) == "postgresql+psycopg://u@h/db"


@pytest.mark.parametrize(("url", "says"), [
    ("not a database url", "not a database URL"),
    ("nosuchdb://user@host/db", "DATABASE_URL nosuchdb://user@host/db"),
    ("sqlite:////no/such/folder/survey.db", "folder /no/such/folder does not exist"),
])
def test_unusable_urls_are_refused_with_one_line(url, says):
    with pytest.raises(DatabaseUnavailable) as raised:
        make_engine(url)
    assert says in str(raised.value) and "\n" not in str(raised.value)


def test_instrument_version_can_change_until_it_has_responses(session, factory):
    version = factory.version()
    version.content += "\n# a comment\n"
    session.commit()
    stored = session.execute(text("SELECT content FROM instrument_version WHERE id = :id"),
                             {"id": version.id}).scalar_one()
    assert stored.endswith("\n# a comment\n")


def test_instrument_version_refuses_change_once_answered(session, factory):
    campaign = factory.campaign()
    version = campaign.instrument_version
    session.add(Response(campaign_id=campaign.id, unit_id=factory._first_unit(campaign).id,
                         respondent_group="internal", instrument_version_id=version.id,
                         answers={}, cells=b"", channel="open",
                         submitted_on=campaign.opens_on))
    session.commit()
    version.content += "\n# changed\n"
    with pytest.raises(ImmutableInstrumentVersion):
        session.commit()
    session.rollback()
    assert "# changed" not in session.scalar(select(InstrumentVersion.content))


def _answer_with(session, campaign) -> None:
    session.add(Response(campaign_id=campaign.id, unit_id=campaign.institution.units[0].id,
                         respondent_group="internal",
                         instrument_version_id=campaign.instrument_version_id,
                         answers={}, cells=b"", channel="open", submitted_on=campaign.opens_on))
    session.commit()


@pytest.mark.parametrize("column", ["content", "checksum", "version", "instrument_key"])
def test_the_database_itself_refuses_changing_an_answered_instrument(session, factory, column):
    """Not only the ORM: plain SQL (another client, a console) is refused too."""
    campaign = factory.campaign()
    version_id = campaign.instrument_version_id
    update = text(f"UPDATE instrument_version SET {column} = :value WHERE id = :id")
    session.execute(update, {"id": version_id, "value": "a" * 40})   # no responses yet: allowed
    _answer_with(session, campaign)
    with pytest.raises(DBAPIError, match="cannot change"):
        session.execute(update, {"id": version_id, "value": "b" * 40})
    session.rollback()
    session.execute(text("UPDATE instrument_version SET created_at = created_at WHERE id = :id"),
                    {"id": version_id})   # what responses do not depend on may change


def test_only_a_head_of_office_has_an_office(session, factory):
    unit = factory.unit("K1")
    session.add(StaffUser(email="i@kota.example", name="I", role=Role.INSPECTOR,
                          password_hash="!", institution_id=unit.institution_id,
                          unit_id=unit.id))
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()
    # An office picked for another role only chooses the institution.
    inspector = staff.create_user(session, email="j@kota.example", name="J", role="inspector",
                                  password="long enough password", unit_code="K1")
    assert inspector.unit_id is None and inspector.institution_id == unit.institution_id
