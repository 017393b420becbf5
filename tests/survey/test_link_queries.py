"""Every respondent page resolves its link first; under load that is the hot
path (benchmarks/load.py). Resolving a link and reading what the page needs
(campaign, office, instrument, the answers saved so far) is one query, not
one per relation, and it reads neither the invitee's phone or e-mail
address nor the 60 KB instrument text (parsed instruments are cached by
checksum)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Numeric, bindparam, cast, event, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from survey import clock
from survey.database import Direct, statement_by_statement
from survey.extensions import db
from survey.models import CampaignStatus, Invitation
from survey.services import responding
from survey.services.responding import Progress
from survey.services.tokens import SealedKey, token_hash


def _statements(app, work) -> list[str]:
    """The SQL a link's resolution and a page's use of it send (the link is
    resolved once before, as any earlier page of the campaign would have, so
    the instrument is parsed already)."""
    with app.app_context():
        today = clock.today(app.config["TIMEZONE"])
        assert work(db.session, today).pages
        db.session.close()
        seen = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            link = work(db.session, today)
            assert link.campaign.name and link.unit.code and link.pages
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
            db.session.close()
    # SQLite opens its transactions with an explicit BEGIN; that is no query.
    return [s for s in seen if not s.startswith("BEGIN")]


def test_a_personal_link_resolves_in_one_query(app, factory):
    _, token = factory.invitation(factory.campaign())
    statements = _statements(
        app, lambda s, today: responding.resolve_invitation(s, token, today=today))
    assert len(statements) == 1
    assert "invitation.phone" not in statements[0] and "invitation.email" not in statements[0]
    assert ".content" not in statements[0]


def test_an_open_link_resolves_in_one_query(app, factory):
    link = factory.open_link(factory.campaign())
    statements = _statements(
        app, lambda s, today: responding.resolve_open_link(s, link.code, today=today))
    assert len(statements) == 1 and ".content" not in statements[0]


def _save(app, resolve, secret: str, answers: dict) -> None:
    with app.app_context():
        today = clock.today(app.config["TIMEZONE"])
        link = resolve(db.session, today)
        assert responding.save_progress(db.session, link, secret, Progress(answers, {1}),
                                        today=today, keep_days=7)
        db.session.close()


def test_a_personal_link_brings_its_saved_answers_in_the_same_query(app, factory):
    _, token = factory.invitation(factory.campaign())
    resolve = lambda s, today: responding.resolve_invitation(s, token, today=today)  # noqa: E731
    _save(app, resolve, token, {"INT_A1": "4"})
    found = []
    statements = _statements(app, lambda s, today: found.append(resolve(s, today)) or found[-1])
    assert len(statements) == 1
    assert found[-1].progress.answers == {"INT_A1": "4"} and found[-1].progress.done == {1}


def test_an_open_link_brings_this_browsers_saved_answers_in_the_same_query(app, factory):
    code = factory.open_link(factory.campaign()).code
    mine = "browser-secret"  # noqa: S105 - an open link's per-browser secret, made up

    def resolve(s, today, secret=mine):
        return responding.resolve_open_link(s, code, today=today, secret=secret)

    _save(app, resolve, mine, {"EXT_A1": "3"})
    found = []
    statements = _statements(app, lambda s, today: found.append(resolve(s, today)) or found[-1])
    assert len(statements) == 1 and found[-1].progress.answers == {"EXT_A1": "3"}
    # Another browser's secret, or none, sees nothing.
    with app.app_context():
        today = clock.today(app.config["TIMEZONE"])
        assert resolve(db.session, today, secret="another-browser").progress is None
        assert resolve(db.session, today, secret=None).progress is None


def test_resolving_a_link_builds_no_mapped_object(app, factory):
    """A page reads plain columns: no ORM object (and its loader state) is
    built per request; that was a third of a page's CPU."""
    campaign = factory.campaign()
    _, token = factory.invitation(campaign)
    code = factory.open_link(campaign).code
    with app.app_context():
        today = clock.today(app.config["TIMEZONE"])
        personal = responding.resolve_invitation(db.session, token, today=today)
        public = responding.resolve_open_link(db.session, code, today=today)
        assert len(db.session.identity_map) == 0
        assert personal.campaign.institution.name and public.unit.name
        db.session.close()


def test_an_instrument_not_parsed_yet_is_read_once(app, factory, monkeypatch):
    """A process that has not parsed the campaign's instrument reads its
    text once (a second query), then never again."""
    from survey.models import instrument

    _, token = factory.invitation(factory.campaign())
    monkeypatch.setattr(instrument, "_PARSED", {})
    with app.app_context():
        today = clock.today(app.config["TIMEZONE"])
        seen = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            first = responding.resolve_invitation(db.session, token, today=today)
            second = responding.resolve_invitation(db.session, token, today=today)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
            db.session.close()
    statements = [s for s in seen if not s.startswith("BEGIN")]
    assert len(statements) == 3 and ".content" in statements[1]
    assert first.pages == second.pages and first.instrument is second.instrument


def _ordinary_and_direct(app, statement, params):
    """``statement`` run the ordinary way and through :class:`Direct`."""
    with app.app_context():
        statement_by_statement(db.session)
        ordinary = db.session.execute(statement.statement, params).first()
        direct = statement.first(db.session, params)
        db.session.close()
    return ordinary, direct


def test_the_hot_path_reads_the_same_values_as_an_ordinary_query(app, factory):
    """Direct statements convert every column with SQLAlchemy's own types:
    the campaign's status is the enum, dates are dates, the saved answers
    bytes, on SQLite as on PostgreSQL."""
    campaign = factory.campaign()
    _, token = factory.invitation(campaign)
    code = factory.open_link(campaign).code
    _save(app, lambda s, today: responding.resolve_invitation(s, token, today=today),
          token, {"INT_A1": "4"})
    key = SealedKey(token).key_id
    ordinary, direct = _ordinary_and_direct(
        app, responding._INVITATION_BY_HASH, {"digest": token_hash(token), "key": key})
    assert direct == tuple(ordinary) and direct._fields == tuple(ordinary._fields)
    assert direct.status is CampaignStatus.OPEN and isinstance(direct.closes_on, date)
    assert isinstance(direct.saved, bytes) and direct.used is False
    ordinary, direct = _ordinary_and_direct(
        app, responding._OPEN_LINK_BY_CODE, {"code": code, "key": None})
    assert direct == tuple(ordinary) and direct.active is True and direct.saved is None
    assert _ordinary_and_direct(app, responding._OPEN_LINK_BY_CODE,
                                {"code": "nothing-here", "key": None}) == (None, None)


def test_a_page_reads_and_saves_without_sqlalchemy_building_a_result(app, factory,
                                                                     monkeypatch):
    """Without event listeners, resolving and saving go straight to the
    DBAPI cursor: an ordinary execution here would fail the test."""
    _, token = factory.invitation(factory.campaign())
    _save(app, lambda s, today: responding.resolve_invitation(s, token, today=today),
          token, {"INT_A1": "4"})

    def refused(*_args, **_kwargs):
        raise AssertionError("the ordinary execution path was taken")

    monkeypatch.setattr(Connection, "execute", refused)
    with app.app_context():
        today = clock.today(app.config["TIMEZONE"])
        statement_by_statement(db.session)
        link = responding.resolve_invitation(db.session, token, today=today)
        link.progress.answers["INT_A1"] = "2"
        assert responding.save_progress(db.session, link, link.sealed, link.progress,
                                        today=today, keep_days=7)
        db.session.close()
    monkeypatch.undo()
    with app.app_context():
        today = clock.today(app.config["TIMEZONE"])
        saved = responding.resolve_invitation(db.session, token, today=today).progress
        db.session.close()
    assert saved.answers == {"INT_A1": "2"}


def test_a_direct_statement_fails_as_sqlalchemy_would_and_hides_its_parameters(app):
    """A database error is SQLAlchemy's (so the error pages, retries and
    log redaction treat it as any other), with no bound value in its text."""
    broken = Direct(select(text("x")).select_from(text("no_such_table"))
                    .where(text("y = :secret")))
    with app.app_context():
        statement_by_statement(db.session)
        with pytest.raises(DBAPIError) as caught:
            broken.first(db.session, {"secret": "token-hash-never-shown"})
        db.session.close()
    assert "no_such_table" in str(caught.value)
    assert "token-hash-never-shown" not in str(caught.value)


def test_a_lost_connection_is_dropped_from_the_pool(app, factory):
    """When the server has gone (restarted, connections cut), the connection
    is invalidated, so the next request gets a new one."""
    _, token = factory.invitation(factory.campaign())
    with app.app_context():
        statement_by_statement(db.session)
        connection = db.session.connection()
        connection.connection.dbapi_connection.close()
        with pytest.raises(DBAPIError) as caught:
            responding._INVITATION_BY_HASH.first(
                db.session, {"digest": token_hash(token), "key": None})
        assert caught.value.connection_invalidated and connection.invalidated
        db.session.close()
        today = clock.today(app.config["TIMEZONE"])
        assert responding.resolve_invitation(db.session, token, today=today).pages
        db.session.close()


def test_a_direct_statement_passes_parameters_by_name_whatever_the_driver(app, factory):
    """A parameter whose name the SQL must spell otherwise (a dot in it) is
    still found, passed by position on SQLite and by name on PostgreSQL."""
    token = factory.invitation(factory.campaign())[1]
    invitation = Invitation.__table__
    statement = Direct(select(invitation.c.used)
                       .where(invitation.c.token_hash == bindparam("token.hash")))
    with app.app_context():
        statement_by_statement(db.session)
        assert statement.first(db.session, {"token.hash": token_hash(token)}) == (False,)
        assert statement.first(db.session, {"token.hash": "unknown"}) is None
        db.session.close()


@pytest.mark.parametrize("statement", [
    pytest.param(lambda t: select(t.c.used).where(t.c.id == 5), id="a value in the statement"),
    pytest.param(lambda t: select(t.c.used).where(t.c.id.in_(bindparam("ids", expanding=True))),
                 id="an IN list"),
    pytest.param(lambda t: select(cast(t.c.id, Numeric)).where(t.c.id == bindparam("id")),
                 id="a Numeric column"),
])
def test_a_statement_direct_cannot_run_as_written_is_refused(app, statement):
    """What Direct would pass or convert otherwise than SQLAlchemy does is
    refused with a message, never run."""
    direct = Direct(statement(Invitation.__table__))
    with app.app_context():
        with pytest.raises(ValueError, match="Direct: "):
            direct.first(db.session, {"ids": [1], "id": 1})
        db.session.close()
