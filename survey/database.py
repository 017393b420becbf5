"""Engines, connection checks and schema migrations.

SQLite is the embedded default and PostgreSQL (psycopg 3) the production
database; everything here hides their differences from the rest of the app.
"""

from __future__ import annotations

import weakref
from collections import namedtuple
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from sqlalchemy import Engine, Numeric, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.orm import Session

from .config import ROOT

MIGRATIONS = ROOT / "migrations"


class DatabaseUnavailable(Exception):
    """The configured database cannot be used; the message is one line and
    never contains the password."""


def normalise_url(url: str) -> str:
    """Accept the URL forms operators paste: ``postgres://`` and
    ``postgresql://`` mean psycopg 3, the driver we install."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def safe_url(url: str) -> str:
    """The URL with its password masked, for messages and logs: in the
    user-info part and in a ``password`` query parameter alike."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return "<unparseable URL>"
    if "password" in parsed.query:
        parsed = parsed.update_query_dict({"password": "REDACTED"})
    return parsed.render_as_string(hide_password=True)


def make_engine(url: str) -> Engine:
    """Create the engine for ``url``.

    Raises
    ------
    DatabaseUnavailable
        When the URL is malformed or names a driver that is not installed.
    """
    url = normalise_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseUnavailable(
            "DATABASE_URL is not a database URL (expected e.g. sqlite:///path/survey.db or "
            "postgresql://user@host/dbname)"
        ) from None
    # hide_parameters: no bound value (a token hash, an answer) in the text
    # of an exception, which may reach a log or a failed job's record.
    try:
        if parsed.get_backend_name() == "sqlite":
            database = parsed.database or ""
            if database and database != ":memory:" and not database.startswith("file:"):
                folder = Path(database).expanduser().resolve().parent
                if not folder.is_dir():
                    raise DatabaseUnavailable(
                        f"DATABASE_URL {safe_url(url)}: folder {folder} does not exist"
                    )
            engine = create_engine(parsed, connect_args={"timeout": 30}, hide_parameters=True)
            event.listen(engine, "connect", _sqlite_on_connect)
            event.listen(engine, "begin", _sqlite_on_begin)
        else:
            engine = create_engine(parsed, pool_pre_ping=True, pool_size=10, max_overflow=20,
                                   hide_parameters=True)
    except (NoSuchModuleError, ArgumentError, ImportError) as exc:
        raise DatabaseUnavailable(f"DATABASE_URL {safe_url(url)}: {_first_line(exc)}") from None
    return engine


def _sqlite_on_connect(dbapi_connection, _record) -> None:
    # Let SQLAlchemy, not pysqlite, decide when transactions begin, so that a
    # BEGIN IMMEDIATE below takes the write lock before the first read.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # WAL lets readers work while one writer commits; NORMAL sync is safe in
    # WAL mode (a power cut may lose the last commits, never corrupt the file).
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    # Deleted rows (responses leaving the mixing pool) are overwritten with
    # zeros instead of lingering in free pages of the file.
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


#: Execution option of a transaction that only reads (see :func:`read_only`).
READ_ONLY = "survey_read_only"
#: The isolation level of work without a transaction (:func:`statement_by_statement`).
AUTOCOMMIT = "AUTOCOMMIT"


def _sqlite_on_begin(connection) -> None:
    # A transaction that may write takes the write lock at once. Deferred
    # transactions that read and then write fail with "database is locked"
    # under concurrency instead of waiting; immediate ones queue on
    # busy_timeout. (SQLite serves one writer at a time anyway; PostgreSQL is
    # for scale.) A transaction declared read-only starts deferred: in WAL
    # mode it reads its snapshot while writers commit, so a long read (scoring
    # a big campaign) does not stop a single submission.
    options = connection.get_execution_options()
    if options.get("isolation_level") == AUTOCOMMIT:
        return
    connection.exec_driver_sql("BEGIN" if options.get(READ_ONLY) else "BEGIN IMMEDIATE")


def statement_by_statement(session: Session) -> None:
    """Let each statement the session runs from now on commit on its own,
    until its work ends (a commit, a rollback or closing returns the
    connection to the pool, which restores transactions).

    For requests whose reads are single queries and whose writes are
    single statements guarded by their row counts (the respondent's pages,
    survey/respond/views.py): they gain nothing from a transaction, and
    skipping it saves the BEGIN and the COMMIT or ROLLBACK, two of a page's
    four round trips to PostgreSQL. On SQLite such a read no longer takes
    the write lock (see :func:`_sqlite_on_begin`). Work that must be atomic
    runs in a transaction of its own after closing the session
    (:func:`in_autocommit` tells). Inside a transaction already begun,
    nothing changes."""
    if not session.in_transaction():
        session.connection(execution_options={"isolation_level": AUTOCOMMIT})


def in_autocommit(session: Session) -> bool:
    """Whether the session's statements are committing one by one
    (:func:`statement_by_statement`)."""
    return session.in_transaction() and (
        session.connection().get_execution_options().get("isolation_level") == AUTOCOMMIT)


@contextmanager
def read_only(session: Session) -> Iterator[None]:
    """Run the block in a transaction that only reads, ended (rolled back:
    it wrote nothing) afterwards. On SQLite it takes no write lock, so
    respondents keep submitting meanwhile; on PostgreSQL it is an ordinary
    transaction. Inside a transaction already begun, the block runs in it.

    Writing in the block is a mistake: on SQLite it may fail with "database
    is locked" when another connection wrote since the block began."""
    if session.in_transaction():
        yield
        return
    session.connection(execution_options={READ_ONLY: True})
    try:
        yield
    finally:
        session.rollback()


class Direct:
    """A Core statement run on the DBAPI cursor of the session's connection.

    For the respondent's hot path (survey/services/responding.py), where
    every page reads its link in one query and saves in one statement:
    SQLAlchemy compiles the statement (once per dialect) and its column
    types convert the parameters and the row, but no execution context and
    result object are built for each statement. That bookkeeping was half of
    a page query's CPU in the worker (benchmarks/load.py). A database error
    is raised as SQLAlchemy's own class, with the parameters hidden; a lost
    connection is invalidated (the other pooled ones are checked by
    ``pool_pre_ping`` when next used).

    Only for plain statements: every parameter a named ``bindparam`` without
    a value, no IN lists, and column types that convert without the
    driver's type code (not Numeric). Anything else is refused when first
    compiled. SQLAlchemy's ``handle_error`` hooks and ``echo`` logging do
    not see these statements. When anything listens to the statements sent
    (``before_cursor_execute`` or ``after_cursor_execute``: a test counting
    them, a tracer), the statement takes the ordinary path, so that every
    listener sees it; its row is then SQLAlchemy's ``Row``, which reads the
    same by name and by position."""

    def __init__(self, statement):
        self.statement = statement
        # One entry per engine's dialect, dropped with the engine.
        self._compiled: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        # A SELECT's columns; an UPDATE or DELETE has none.
        self._columns = tuple(getattr(statement, "selected_columns", ()))
        self._row = namedtuple("Row", [str(c.key) for c in self._columns], rename=True)

    def _for(self, dialect):
        """(SQL text, parameters as (name, name in the SQL, converter) in the
        SQL's order, whether they are passed by position, result converters)
        for ``dialect``."""
        found = self._compiled.get(dialect)
        if found is None:
            compiled = self.statement.compile(dialect=dialect)
            escaped = compiled.escaped_bind_names or {}
            binds = {}
            for bind, name in compiled.bind_names.items():
                if (bind.value is not None or bind.callable is not None or bind.expanding
                        or bind.literal_execute):
                    raise ValueError(f"Direct: parameter {name!r} is not a plain bindparam")
                binds[name] = (name, escaped.get(name, name),
                               bind.type.dialect_impl(dialect).bind_processor(dialect))
            order = compiled.positiontup if compiled.positional else binds
            parameters = tuple(binds[name] for name in order)
            results = []
            for column in self._columns:
                # Numbers with decimals convert by the type the driver reports
                # (on PostgreSQL); refused on every database alike.
                if isinstance(column.type, Numeric):
                    raise ValueError(f"Direct: column {column.key!r} needs the driver's "
                                     "type code to convert")
                results.append(column.type.dialect_impl(dialect).result_processor(dialect, None))
            found = self._compiled[dialect] = (compiled.string, parameters,
                                               compiled.positional, tuple(results))
        return found

    def _run(self, session: Session, params: dict, fetch: bool):
        connection = session.connection()
        listeners = connection.dispatch
        if listeners.before_cursor_execute or listeners.after_cursor_execute:
            result = connection.execute(self.statement, params)
            return result.first() if fetch else result.rowcount
        dialect = connection.dialect
        sql, parameters, positional, results = self._for(dialect)
        values = [(in_sql, convert(params[name]) if convert else params[name])
                  for name, in_sql, convert in parameters]
        arguments = tuple(value for _, value in values) if positional else dict(values)
        raw = connection.connection.dbapi_connection
        cursor = None
        try:
            cursor = raw.cursor()
            cursor.execute(sql, arguments)
            if not fetch:
                return cursor.rowcount
            row = cursor.fetchone()
        except dialect.loaded_dbapi.Error as error:
            lost = dialect.is_disconnect(error, raw, cursor)
            if lost:
                connection.invalidate(error)
            raise DBAPIError.instance(sql, None, error, dialect.loaded_dbapi.Error,
                                      hide_parameters=True, connection_invalidated=lost,
                                      dialect=dialect) from error
        except BaseException:
            # Interrupted halfway (a timeout, a signal): the connection's state
            # is unknown, so it does not go back to the pool.
            connection.invalidate()
            raise
        finally:
            if cursor is not None:
                with suppress(Exception):   # never hide the error above
                    cursor.close()
        if row is None:
            return None
        return self._row._make([convert(value) if convert else value
                                for convert, value in zip(results, row, strict=True)])

    def first(self, session: Session, params: dict):
        """The first row (columns by name and by position), or None."""
        return self._run(session, params, fetch=True)

    def rowcount(self, session: Session, params: dict) -> int:
        """Run an UPDATE or DELETE; how many rows it matched."""
        return self._run(session, params, fetch=False)


def check_connection(engine: Engine) -> None:
    """Open and close one connection.

    Raises
    ------
    DatabaseUnavailable
        With a one-line reason (unreachable host, unknown database, refused
        authentication, unwritable file...).
    """
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except (DBAPIError, SQLAlchemyError, OSError) as exc:
        raise DatabaseUnavailable(
            f"cannot connect to DATABASE_URL {safe_url(engine.url.render_as_string(False))}: "
            f"{_first_line(getattr(exc, 'orig', None) or exc)}"
        ) from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


# -- migrations -------------------------------------------------------------

#: Columns that define what a response's cells mean (models/instrument.py).
_INSTRUMENT_DEFINING = ("instrument_key", "version", "content", "format", "checksum")
_INSTRUMENT_MESSAGE = ("instrument version has responses and cannot change; "
                       "register a new version")
_ANSWERED = ("EXISTS (SELECT 1 FROM response WHERE instrument_version_id = OLD.id) "
             "OR EXISTS (SELECT 1 FROM pending_response WHERE instrument_version_id = OLD.id)")


def instrument_trigger_sql(dialect: str) -> list[str]:
    """The statements creating the trigger that refuses changing an answered
    instrument version, for the migrations (``i11_integrity``).

    On SQLite the trigger names ``response`` and ``pending_response``: a
    migration that rebuilds one of those tables or ``instrument_version``
    (``batch_alter_table``) drops it first (:func:`instrument_trigger_drop_sql`)
    and creates it again after."""
    if dialect == "postgresql":
        changed = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in _INSTRUMENT_DEFINING)
        return [f"""
            CREATE FUNCTION instrument_version_immutable() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                IF ({changed}) AND ({_ANSWERED}) THEN
                    RAISE EXCEPTION '{_INSTRUMENT_MESSAGE}'
                        USING ERRCODE = 'integrity_constraint_violation';
                END IF;
                RETURN NEW;
            END
            $$""",
                "CREATE TRIGGER instrument_version_immutable BEFORE UPDATE ON "
                "instrument_version FOR EACH ROW EXECUTE FUNCTION "
                "instrument_version_immutable()"]
    changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in _INSTRUMENT_DEFINING)
    return [f"""
        CREATE TRIGGER instrument_version_immutable
        BEFORE UPDATE OF {', '.join(_INSTRUMENT_DEFINING)} ON instrument_version
        FOR EACH ROW WHEN ({changed}) AND ({_ANSWERED})
        BEGIN
            SELECT RAISE(ABORT, '{_INSTRUMENT_MESSAGE}');
        END"""]


def instrument_trigger_drop_sql(dialect: str) -> list[str]:
    if dialect == "postgresql":
        return ["DROP TRIGGER IF EXISTS instrument_version_immutable ON instrument_version",
                "DROP FUNCTION IF EXISTS instrument_version_immutable()"]
    return ["DROP TRIGGER IF EXISTS instrument_version_immutable"]



def _alembic_config(engine: Engine):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema up to ``revision`` (default: the newest)."""
    from alembic import command

    command.upgrade(_alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str = "base") -> None:
    """Take the schema down to ``revision`` (default: empty)."""
    from alembic import command

    command.downgrade(_alembic_config(engine), revision)


def current_revision(engine: Engine) -> str | None:
    """The schema revision the database is at, or None when it has none."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str:
    """The newest revision among the migration scripts."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config(None)).get_current_head()


def backup_sqlite(engine: Engine, target: Path) -> int:
    """Copy the SQLite database to ``target`` with SQLite's online backup:
    a consistent snapshot while the platform keeps answering. Returns the
    size of the copy in bytes.

    Raises
    ------
    DatabaseUnavailable
        When the database is not SQLite (PostgreSQL is backed up with
        pg_dump), or ``target`` exists or cannot be written.
    """
    import sqlite3

    if engine.dialect.name != "sqlite":
        raise DatabaseUnavailable(
            "survey db backup copies SQLite databases; back PostgreSQL up with "
            "pg_dump -Fc (docs/operations.md, Backups)")
    target = Path(target)
    if target.exists():
        raise DatabaseUnavailable(f"{target} exists; choose a new file name")
    try:
        copy = sqlite3.connect(target)
    except sqlite3.Error as exc:
        raise DatabaseUnavailable(f"cannot write {target}: {exc}") from None
    try:
        with engine.connect() as connection:
            connection.connection.driver_connection.backup(copy)
        # The copy is one self-contained file, not a WAL database.
        copy.execute("PRAGMA journal_mode=DELETE")
    except sqlite3.Error as exc:
        copy.close()
        target.unlink(missing_ok=True)
        raise DatabaseUnavailable(f"cannot write {target}: {exc}") from None
    copy.close()
    return target.stat().st_size


def table_names(engine: Engine) -> list[str]:
    return inspect(engine).get_table_names()
