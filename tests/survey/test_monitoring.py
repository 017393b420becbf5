"""Monitoring a running campaign (issue 9, Build 6): per office and group
the response rate, the recommended size of the sample plan and the margin
of error reached so far, as the monitoring service computes them; a unit
manager sees their own offices only and a group with 1 to 4 answers as
"n < 5", with nothing that would give the number back."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select
from support import PASSWORD, sign_in

import analysis
from survey.models import Campaign, CampaignStatus, StaffUser, Unit
from survey.services import jobs, monitoring
from survey.services.demo import seed_demo


@pytest.fixture
def demo(session, today, app):
    seed_demo(session, today=today)
    with app.app_context():
        from survey.extensions import db

        jobs.run_pending(db.engine)
    return session.scalar(select(Campaign).where(Campaign.status == CampaignStatus.OPEN))


def _client(app, session, role):
    user = session.scalar(select(StaffUser).where(StaffUser.role == role))
    user.set_password(PASSWORD)
    session.commit()
    client = app.test_client()
    assert sign_in(client, user.email).status_code == 303
    client.set_cookie("lang", "en")
    return client, user


def _text(response) -> str:
    page = re.sub(r"<script.*?</script>", " ", response.get_data(as_text=True), flags=re.S)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


GROUPS = {"internal": "Employees", "external": "Service users", "expert": "Experts"}


def _row(text: str, office: str, group: str) -> str:
    """The cells of an office's group row, as text ('Experts 7 7 7 0 3 ...')."""
    start = text.index(office)
    found = re.search(re.escape(group) + r"((?: (?:\d+%?|–|± [\d.]+|n < 5))+)", text[start:])
    return group + found.group(1)


def test_monitoring_shows_rate_recommended_size_and_margin_per_office_and_group(
        app, session, demo):
    figures = monitoring.campaign_monitoring(session, demo)
    client, _ = _client(app, session, "inspector")
    page = client.get(f"/staff/campaigns/{demo.id}/monitoring")
    assert page.status_code == 200
    text = _text(page)
    assert "Responses per day" in text and "Response rate and sample size per office" in text
    checked = 0
    for row in figures.units:
        for key, cell in row.groups.items():
            if not cell.invited or cell.recommended is None:
                continue
            cells = _row(text, row.unit.name, GROUPS[key]).split(" ")
            rate = f"{round(cell.answered_invited / cell.invited * 100)}%"
            assert str(cell.answered) in cells and rate in cells, (row.unit.code, key, cells)
            assert str(cell.recommended) in cells
            assert cell.recommended == analysis.required_sample_size(
                cell.population or cell.listed, margin=figures.plan.margin, sd=figures.plan.sd)
            if cell.margin_reached is not None:
                assert f"± {round(cell.margin_reached, 1)}" in " ".join(cells)
            checked += 1
    assert checked >= 16
    total = figures.total("answered_invited")
    assert f"Answered: {total} of {figures.total('invited')} invited" in text


@pytest.mark.security
def test_a_unit_manager_sees_own_offices_and_no_group_under_five_in_monitoring(
        app, session, demo):
    client, manager = _client(app, session, "unit_manager")
    own = manager.unit
    figures = monitoring.campaign_monitoring(session, demo)
    mine = next(r for r in figures.units if r.unit.id == own.id)
    small = mine.groups["expert"]
    assert 0 < small.answered < 5  # the demo has 2-7 experts per office
    for url in (f"/staff/campaigns/{demo.id}/monitoring", f"/staff/?campaign={demo.id}"):
        text = _text(client.get(url))
        cells = _row(text, own.name, "Experts").split(" ", 1)[1]
        assert "n < 5" in cells
        # invited people show; the answers and all derived from them do not
        assert str(small.invited) in cells and f"{small.answered}" not in cells.replace(
            str(small.invited), "")
        assert "Answered:" not in text  # a total would give the small group back
        for other in session.scalars(select(Unit).where(Unit.id != own.id,
                                                        Unit.parent_id != own.id)):
            assert other.name not in text, other.name
    # The inspector sees the same group's number.
    inspector, _ = _client(app, session, "inspector")
    cells = _row(_text(inspector.get(f"/staff/campaigns/{demo.id}/monitoring")), own.name,
                 "Experts")
    assert "n < 5" not in cells and f" {small.answered} " in f"{cells} "


@pytest.mark.security
def test_hidden_monitoring_cells_carry_no_number():
    row = monitoring.GroupMonitoring("expert", invited=6, answered_invited=3, answered=3,
                                     recommended=20, margin_reached=9.5)
    figures = monitoring.CampaignMonitoring(
        None, monitoring.Plan(5, 15, 0.6), ("expert",),
        [monitoring.UnitMonitoring(None, {"expert": row})])
    monitoring.hide_small_cells(figures, 5)
    assert row.hidden and row.answered is None and row.answered_invited is None
    assert row.response_rate is None and row.progress is None and row.margin_reached is None
    assert figures.hidden and figures.response_rate is None
    assert figures.units[0].behind  # under 5 of 20 is behind, whatever the number


def test_monitoring_pages_offices_and_filters_those_behind(app, session, demo, monkeypatch):
    from survey.services import dashboard

    monkeypatch.setattr(dashboard, "PAGE_SIZE", 5)
    demo.plan_margin = 20.0  # a loose plan that some offices have reached
    session.commit()
    client, _ = _client(app, session, "inspector")
    figures = monitoring.campaign_monitoring(session, demo)
    first = _text(client.get(f"/staff/campaigns/{demo.id}/monitoring"))
    names = [r.unit.name for r in figures.units]
    assert all(n in first for n in names[:5]) and names[5] not in first
    second = _text(client.get(f"/staff/campaigns/{demo.id}/monitoring?page=2"))
    assert names[5] in second and names[0] not in second
    behind = [r.unit.name for r in figures.units if r.behind]
    fine = [r.unit.name for r in figures.units if not r.behind]
    assert fine, "the demo has offices on track"
    only = _text(client.get(f"/staff/campaigns/{demo.id}/monitoring?behind=1"))
    assert all(n not in only for n in fine)
    assert all(n in only for n in behind[:5])
