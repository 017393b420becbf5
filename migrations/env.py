"""Alembic environment.

``survey db upgrade`` passes its engine in ``config.attributes["engine"]``;
the plain ``alembic`` command (for writing new revisions) builds one from
the platform's settings, so both use the same DATABASE_URL.
"""

from alembic import context

from survey.models import Base

config = context.config
target_metadata = Base.metadata


def _engine():
    engine = config.attributes.get("engine")
    if engine is None:
        from survey.config import load_settings
        from survey.database import make_engine

        engine = make_engine(load_settings()["DATABASE_URL"])
    return engine


def run_migrations_online() -> None:
    engine = _engine()
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER much
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported; run against a database")
run_migrations_online()
