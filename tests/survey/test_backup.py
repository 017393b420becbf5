"""Backup and restore (docs/operations.md, Backups): after restoring, the
platform shows the same scores, on SQLite (`survey db backup`) and on
PostgreSQL (pg_dump and pg_restore)."""

from __future__ import annotations

import re
import secrets
import shutil
import subprocess

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from support import sign_in

from survey import cli, create_app
from survey.database import make_engine, normalise_url
from survey.extensions import db
from survey.models import Invitation, Response
from survey.services import results

pytestmark = pytest.mark.slow

CSRF_VALUE = re.compile(r'(?<=name="csrf_token" type="hidden" value=")[^"]+|'
                        r'(?<=name="csrf_token" value=")[^"]+')


def _scores(session, campaign_id: int) -> dict:
    """What the results pages show of each office and of the institution."""
    shown = results.load(session, campaign_id)
    return {
        "responses": shown.responses,
        "institution": (shown.institution.index, shown.institution.n),
        "units": {u.unit: (u.index, u.ci_low, u.ci_high, u.band, u.n) for u in shown.score.units},
    }


def _overview(app, campaign_id: int) -> str:
    """The results overview as an inspector sees it, without the form tokens
    (which differ per session)."""
    client = app.test_client()
    assert sign_in(client, "inspektur@kota.example").status_code == 303
    page = client.get(f"/staff/campaigns/{campaign_id}/results")
    assert page.status_code == 200
    return CSRF_VALUE.sub("", page.get_data(as_text=True))


def _shown(app, campaign_id: int) -> tuple[dict, tuple[int, int]]:
    """The scores shown, and the number of responses and invitations."""
    with app.app_context():
        try:
            return _scores(db.session, campaign_id), (
                db.session.scalar(select(func.count()).select_from(Response)),
                db.session.scalar(select(func.count()).select_from(Invitation)))
        finally:
            db.session.close()


def _check_restored(app, restored_url: str, campaign_id: int, before, tmp_path) -> None:
    """``before``: the scores and counts (:func:`_shown`) and the overview page
    of the platform at the moment of the backup."""
    before, page_before = before[:2], before[2]
    restored = create_app({"SECRET_KEY": app.config["SECRET_KEY"], "JOB_RUNNER": "external",
                           "TESTING": True, "DATABASE_URL": restored_url,
                           "INSTANCE_PATH": str(tmp_path / "restored")})
    try:
        # The stored results and the rows come back as they were...
        assert _shown(restored, campaign_id) == before
        # ...the restored platform shows them: sign-in works, the overview
        # is the page it was...
        assert _overview(restored, campaign_id) == page_before
        # ...and scoring the restored responses again gives the same numbers.
        with restored.app_context():
            results.refresh(db.session, campaign_id)
            db.session.close()
        assert _shown(restored, campaign_id) == before
    finally:
        with restored.app_context():
            db.engine.dispose()


def test_sqlite_backup_restores_the_same_scores(app, small_city, is_postgres, tmp_path,
                                                monkeypatch, capsys):
    if is_postgres:
        pytest.skip("the SQLite backup command; PostgreSQL is backed up with pg_dump")
    before = (*_shown(app, small_city.id), _overview(app, small_city.id))
    copy = tmp_path / "backup.db"
    monkeypatch.setenv("DATABASE_URL", app.config["DATABASE_URL"])
    monkeypatch.setenv("SECRET_KEY", app.config["SECRET_KEY"])
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "cli"))
    monkeypatch.setenv("JOB_RUNNER", "external")
    cli.main(["db", "backup", str(copy)])
    assert "Backed up to" in capsys.readouterr().out
    with pytest.raises(SystemExit) as refused:
        cli.main(["db", "backup", str(copy)])   # never overwrites a file
    assert refused.value.code == 2
    assert "exists" in capsys.readouterr().err
    # The live database changes after the backup; the copy keeps the moment.
    with app.app_context():
        db.session.execute(text("DELETE FROM response"))
        db.session.commit()
        db.session.close()
    # Restoring: with the platform stopped, the copy takes the database's place.
    restored = tmp_path / "restored.db"
    shutil.copy(copy, restored)
    _check_restored(app, f"sqlite:///{restored}", small_city.id, before, tmp_path)


def test_postgresql_dump_restores_the_same_scores(app, small_city, is_postgres, database_url,
                                                  tmp_path):
    if not is_postgres:
        pytest.skip("pg_dump and pg_restore need PostgreSQL")
    if not shutil.which("pg_dump") or not shutil.which("pg_restore"):
        pytest.skip("pg_dump and pg_restore are not installed")
    url = make_url(normalise_url(database_url))
    schema = url.query["options"].split("search_path=")[1]
    libpq = url.set(drivername="postgresql").difference_update_query(["options"])
    before = (*_shown(app, small_city.id), _overview(app, small_city.id))
    dump = tmp_path / "survey.dump"
    # What docs/operations.md says, limited to this test's schema.
    subprocess.run(["pg_dump", "-Fc", "-n", schema, "-f", str(dump),  # noqa: S607
                    libpq.render_as_string(hide_password=False)], check=True)
    name = f"restore_{secrets.token_hex(4)}"
    admin = make_engine(database_url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        target = libpq.set(database=name).render_as_string(hide_password=False)
        subprocess.run(["pg_restore", "--no-owner", "-d", target, str(dump)],  # noqa: S607
                       check=True)
        restored_url = url.set(database=name).render_as_string(hide_password=False)
        _check_restored(app, restored_url, small_city.id, before, tmp_path)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()
