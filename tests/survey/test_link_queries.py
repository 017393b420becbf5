"""Every respondent page resolves its link first; under load that is the hot
path (benchmarks/load.py). Resolving a link and reading what the page needs
(campaign, office, instrument) is one query, not one per relation."""

from __future__ import annotations

from sqlalchemy import event

from survey import clock
from survey.extensions import db
from survey.services import responding


def _queries(app, work) -> int:
    with app.app_context():
        seen = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            link = work(db.session, clock.today(app.config["TIMEZONE"]))
            assert link.campaign.name and link.unit.code and link.pages
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
            db.session.close()
    # SQLite opens its transactions with an explicit BEGIN; that is no query.
    return len([s for s in seen if not s.startswith("BEGIN")])


def test_a_personal_link_resolves_in_one_query(app, factory):
    _, token = factory.invitation(factory.campaign())
    assert _queries(app, lambda s, today: responding.resolve_invitation(s, token,
                                                                        today=today)) == 1


def test_an_open_link_resolves_in_one_query(app, factory):
    link = factory.open_link(factory.campaign())
    assert _queries(app, lambda s, today: responding.resolve_open_link(s, link.code,
                                                                       today=today)) == 1
