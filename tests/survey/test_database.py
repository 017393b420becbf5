"""Schema migrations and the database layer, on SQLite and PostgreSQL."""

from __future__ import annotations

import secrets

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

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
from survey.models import Base, InstrumentVersion, Response
from survey.models.instrument import ImmutableInstrumentVersion


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
    version.format = "yaml"
    version.content += "\n# a comment\n"
    session.commit()


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
