"""The demo city is built from the platform's own use cases in one
transaction: a failure midway leaves nothing behind."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from survey.extensions import db
from survey.models import Institution, Invitation, ListEntry, StaffUser, Unit
from survey.services import demo, staff
from survey.services.tokens import LinkSeal


def test_a_failed_demo_leaves_nothing_and_a_second_run_builds_the_city(app, today, monkeypatch):
    calls = []
    real = staff.create_user

    def fails_on_the_third(*args, **kwargs):
        calls.append(kwargs["email"])
        if len(calls) == 3:
            raise RuntimeError("the disk is full")
        return real(*args, **kwargs)

    with app.app_context():
        engine = db.engine
    monkeypatch.setattr(staff, "create_user", fails_on_the_third)
    with Session(engine) as session, pytest.raises(RuntimeError, match="disk is full"):
        demo.seed_demo(session, today=today, seal=LinkSeal("k"))
    with Session(engine) as session:
        for model in (Institution, Unit, StaffUser, Invitation):
            assert session.scalar(select(func.count()).select_from(model)) == 0, model

    monkeypatch.setattr(staff, "create_user", real)
    with Session(engine) as session:
        result = demo.seed_demo(session, today=today, seal=LinkSeal("k"))
        assert result.created and len(result.logins) == 4
        assert session.scalar(select(func.count()).select_from(ListEntry)) > 100
        sealed = session.scalar(select(func.count()).select_from(Invitation)
                                .where(Invitation.token_sealed.is_not(None)))
        assert sealed > 100   # this year's links can be shown again
        assert not demo.seed_demo(session, today=today).created
