"""Corrections per office: the effect is shown before saving, every change
is audit-logged and refreshes the results."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select
from support import csrf_of, sign_in

from survey.models import AuditEntry, Correction, Job, Unit
from survey.services import jobs, results

from .test_results import _text


def _inspector(app):
    client = app.test_client()
    assert sign_in(client, "inspektur@kota.example").status_code == 303
    client.set_cookie("lang", "en")
    return client


def test_the_effect_is_shown_before_anything_is_saved(app, session, small_city):
    campaign = small_city
    unit = session.scalar(select(Unit).where(Unit.code == "B"))
    stored = results.load(session, campaign.id).units["B"]
    client = _inspector(app)
    url = f"/staff/campaigns/{campaign.id}/corrections"
    token = csrf_of(client.get(url).get_data(as_text=True))
    page = client.post(url, data={"csrf_token": token, "unit": unit.id, "points": "2,5",
                                  "reason": "Putusan pengadilan"})
    assert page.status_code == 200
    text = _text(page)
    after = max(0.0, stored.raw_index - 2.5)
    assert f"Now {stored.index:.2f}" in text and f"With this correction {after:.2f}" in text
    assert session.scalar(select(func.count()).select_from(Correction)) == 0
    # confirming saves it, logs it and asks for the results again
    token = csrf_of(page.get_data(as_text=True))
    saved = client.post(url, data={"csrf_token": token, "unit": unit.id, "points": "2.5",
                                   "reason": "Putusan pengadilan", "confirm": "yes"})
    assert saved.status_code == 303
    correction = session.scalar(select(Correction))
    assert (correction.points, correction.reason) == (2.5, "Putusan pengadilan")
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "correction.add"))
    assert entry.detail["points"] == 2.5 and "office B" in entry.target
    assert session.scalar(select(Job).where(Job.unique_key == results.job_key(campaign.id)))
    jobs.run_pending(session.get_bind())
    assert results.load(session, campaign.id).units["B"].index == pytest.approx(after)
    # and removing it too
    listing = client.get(url).get_data(as_text=True)
    action = re.search(r'action="([^"]+/delete)"', listing).group(1)
    assert client.post(action, data={"csrf_token": csrf_of(listing)}).status_code == 303
    assert session.scalar(select(func.count()).select_from(Correction)) == 0
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "correction.remove"))


@pytest.mark.parametrize(("points", "reason", "message"), [
    ("0", "x", "Points must be more than 0"),
    ("101", "x", "Points must be more than 0"),
    ("banyak", "x", "Points must be more than 0"),
    ("2", "   ", "Say why"),
])
def test_bad_input_says_what_is_wrong_and_saves_nothing(app, session, small_city, points,
                                                          reason, message):
    unit = session.scalar(select(Unit).where(Unit.code == "B"))
    client = _inspector(app)
    url = f"/staff/campaigns/{small_city.id}/corrections"
    token = csrf_of(client.get(url).get_data(as_text=True))
    page = client.post(url, data={"csrf_token": token, "unit": unit.id, "points": points,
                                  "reason": reason, "confirm": "yes"})
    assert page.status_code == 400 and message in _text(page)
    assert session.scalar(select(func.count()).select_from(Correction)) == 0


@pytest.mark.security
def test_a_correction_of_another_institutions_office_is_refused(app, session, small_city,
                                                                factory):
    from survey.models import Institution

    foreign = factory.unit("X", institution=Institution(code="LAIN", name="Kota Lain"))
    client = _inspector(app)
    url = f"/staff/campaigns/{small_city.id}/corrections"
    token = csrf_of(client.get(url).get_data(as_text=True))
    page = client.post(url, data={"csrf_token": token, "unit": foreign.id, "points": "1",
                                  "reason": "x", "confirm": "yes"})
    assert page.status_code == 400
    assert session.scalar(select(func.count()).select_from(Correction)) == 0
