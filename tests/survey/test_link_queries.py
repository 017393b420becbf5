"""Every respondent page resolves its link first; under load that is the hot
path (benchmarks/load.py). Resolving a link and reading what the page needs
(campaign, office, instrument, the answers saved so far) is one query, not
one per relation, and it reads neither the invitee's phone or e-mail
address nor the 60 KB instrument text (parsed instruments are cached by
checksum)."""

from __future__ import annotations

from sqlalchemy import event

from survey import clock
from survey.extensions import db
from survey.services import responding
from survey.services.responding import Progress


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
