"""On SQLite a stored response folds the write-ahead log into the database
(survey/services/responding.py). That must never make a respondent's send
wait for a long read, such as a results refresh scoring 100,000 responses
(benchmarks/sqlite_contention.py)."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import text

from survey.extensions import db
from survey.services import responding


def test_folding_the_log_does_not_wait_for_a_reader(app, is_postgres):
    if is_postgres:
        pytest.skip("the write-ahead log checkpoint is SQLite's")
    with app.app_context():
        engine = db.engine
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO institution (code, name) VALUES ('A', 'A')"))
        reader = engine.raw_connection()
        try:
            # A long read holds a snapshot that includes the log...
            reader.execute("BEGIN")
            reader.execute("SELECT count(*) FROM institution").fetchall()
            with engine.begin() as connection:
                connection.execute(text("INSERT INTO institution (code, name) VALUES ('B', 'B')"))
            started = time.perf_counter()
            responding._forget_sqlite_history(db.session)
            # ...and the checkpoint gives up at once instead of waiting for it
            # (before: SQLite's busy timeout, 30 seconds).
            assert time.perf_counter() - started < 2
        finally:
            reader.execute("ROLLBACK")
            reader.close()
        # The connection it used waits for locks again as it should.
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
        responding._forget_sqlite_history(db.session)   # with no reader, it folds
        db.session.close()
