"""Surge alarms and setting an office's open-link responses of given days
aside from scoring (issue 8): found, shown to inspectors only, audit-logged,
honoured by scoring, and undone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from support import PASSWORD, csrf_of, sign_in

import analysis
from survey.models import AuditEntry, Job, OpenLinkExclusion, Response, Unit
from survey.services import results, staff, surges

pytestmark = pytest.mark.security


GOOD = ("34", "43", "44", "33")
WORST = ("12", "21", "11", "22")   # at random among the two worst options, as an attacker


def _add(session, campaign, unit, day, n, *, answers=GOOD, channel="open"):
    instrument = campaign.instrument_version.instrument
    for i in range(n):
        pair = answers[i % len(answers)]
        given = {"EXT_A1": pair[0], "EXT_B1": pair[1]}
        session.add(Response(
            campaign_id=campaign.id, unit_id=unit.id, respondent_group="external",
            instrument_version_id=campaign.instrument_version_id, answers=given,
            cells=analysis.encode_answers(instrument, "external", given), duration_s=300,
            channel=channel, submitted_on=day))
    session.commit()


def _unit(session, code):
    return session.scalar(select(Unit).where(Unit.code == code))


@pytest.fixture
def surged(session, factory, small_instrument_text, today):
    """Offices A and B; A has invited employees' answers and a few open-link
    answers a day for a week. The small instrument has two questions per
    group, so identical answers are common: its coordinated-answers rule is
    switched off here, to see what the exclusion alone does."""
    a, b = factory.unit("A"), factory.unit("B")
    version = factory.version(small_instrument_text.replace(
        "straightline_min_items: 4}", "straightline_min_items: 4, coordinated_min_cluster: null}"))
    campaign = factory.campaign(unit=a, version=version, opens_on=today - timedelta(days=20))
    instrument = version.instrument
    for i in range(8):
        answers = {"INT_A1": str(1 + i % 4), "INT_A3": str(1 + (i + 1) % 4),
                   "INT_B1": str(1 + (i * 3) % 4), "INT_B2": str(1 + (i + 2) % 4), "INT_P1": "Y"}
        session.add(Response(
            campaign_id=campaign.id, unit_id=a.id, respondent_group="internal",
            instrument_version_id=version.id, answers=answers,
            cells=analysis.encode_answers(instrument, "internal", answers), duration_s=300,
            channel="invited", submitted_on=campaign.opens_on))
    session.commit()
    for k in range(1, 8):
        _add(session, campaign, a, today - timedelta(days=k), 2)
    _add(session, campaign, b, today - timedelta(days=1), 3)
    staff.create_user(session, email="inspektur@kota.example", name="Silvi", role="inspector",
                      password=PASSWORD)
    staff.create_user(session, email="kepala@kota.example", name="Kepala", role="unit_manager",
                      password=PASSWORD, unit_code="A")
    return campaign


def test_a_day_far_above_the_office_usual_level_is_flagged(surged, session, today):
    a = _unit(session, "A")
    assert surges.find(session, surged, factor=3, minimum=20) == []
    _add(session, surged, a, today, 19, answers=WORST)
    assert surges.find(session, surged, factor=3, minimum=20) == []   # below the minimum
    _add(session, surged, a, today, 21, answers=WORST)
    found, = surges.find(session, surged, factor=3, minimum=20)
    assert (found.unit_code, found.day, found.responses, found.usual) == ("A", today, 40, 1.0)
    assert not found.excluded
    # Invited responses never make an open-link surge.
    b = _unit(session, "B")
    _add(session, surged, b, today, 50, channel="invited")
    assert [s.unit_code for s in surges.find(session, surged, factor=3, minimum=20)] == ["A"]


def test_an_office_busy_every_day_is_not_flagged(surged, session, today):
    a = _unit(session, "A")
    for k in range(1, 15):
        _add(session, surged, a, today - timedelta(days=k), 20)
    _add(session, surged, a, today, 45)
    # Today's 45 is busy but not three times the usual 20 (the first busy
    # days, measured against the quiet week before them, are flagged).
    flagged = {s.day for s in surges.find(session, surged, factor=3, minimum=20)}
    assert today not in flagged and today - timedelta(days=14) in flagged


def _index(session, campaign, code="A"):
    results.refresh(session, campaign.id)
    return results.load(session, campaign.id).units[code].index


def test_excluding_the_surge_day_brings_the_index_back_and_undoing_it_restores(
        surged, session, today):
    inspector = _inspector(session)
    a = _unit(session, "A")
    before = _index(session, surged)
    _add(session, surged, a, today, 40, answers=WORST)
    stuffed = _index(session, surged)
    assert stuffed < before - 5

    surges.exclude(session, surged, a, [today], "Satu sumber, 40 jawaban terburuk",
                   actor=inspector)
    assert session.scalar(select(Job).where(Job.kind == results.JOB_KIND)) is not None
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "open_link.exclude"))
    assert entry.detail["days"] == [today.isoformat()] and "Satu sumber" in entry.detail["reason"]
    assert _index(session, surged) == pytest.approx(before, abs=1e-9)
    # The responses stay stored.
    assert session.scalar(select(Response).where(Response.submitted_on == today)) is not None

    exclusion = session.scalar(select(OpenLinkExclusion))
    surges.restore(session, exclusion, actor=inspector)
    assert _index(session, surged) == pytest.approx(stuffed, abs=1e-9)
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "open_link.restore"))


def test_exclusion_touches_open_link_responses_of_that_office_and_day_only(
        surged, session, today):
    inspector = _inspector(session)
    a, b = _unit(session, "A"), _unit(session, "B")
    _add(session, surged, b, today, 5, answers=WORST)        # B's open answers today
    _add(session, surged, a, today, 3, answers=WORST, channel="invited")
    _add(session, surged, a, today, 4, answers=WORST)        # A's open answers today
    results.refresh(session, surged.id)
    before = results.load(session, surged.id)
    surges.exclude(session, surged, a, [today], "uji", actor=inspector)
    results.refresh(session, surged.id)
    after = results.load(session, surged.id)
    assert after.units["B"].index == before.units["B"].index
    assert after.stored.get("B") == before.stored.get("B")
    # A's invited answers of today and its open answers of other days still count.
    assert after.stored["A"]["external"] == before.stored["A"]["external"] - 4


def _inspector(session):
    return session.scalar(select(staff.StaffUser).where(
        staff.StaffUser.email == "inspektur@kota.example"))


@pytest.mark.parametrize("field, form", [
    ("unit", {"unit": "", "first": "TODAY", "reason": "x"}),
    ("days", {"unit": "A", "first": "kemarin", "reason": "x"}),
    ("days", {"unit": "A", "first": "TODAY", "last": "EARLIER", "reason": "x"}),
    ("reason", {"unit": "A", "first": "TODAY", "reason": "  "}),
])
def test_bad_exclusions_say_what_is_wrong_and_save_nothing(surged, client, session, today,
                                                          field, form):
    sign_in(client, "inspektur@kota.example")
    page = client.get(f"/staff/campaigns/{surged.id}/surges").get_data(as_text=True)
    values = {k: v.replace("TODAY", today.isoformat())
              .replace("EARLIER", (today - timedelta(days=2)).isoformat()) for k, v in form.items()}
    if values.get("unit") == "A":
        values["unit"] = str(_unit(session, "A").id)
    response = client.post(f"/staff/campaigns/{surged.id}/surges/exclude",
                           data={**values, "csrf_token": csrf_of(page)})
    assert response.status_code == 400
    assert 'id="error-surge-' in response.get_data(as_text=True)
    assert session.scalar(select(OpenLinkExclusion)) is None


def test_inspector_sees_the_alarm_and_sets_the_day_aside(surged, client, session, today):
    a = _unit(session, "A")
    _add(session, surged, a, today, 40, answers=WORST)
    sign_in(client, "inspektur@kota.example")
    monitoring = client.get(f"/staff/campaigns/{surged.id}/monitoring").get_data(as_text=True)
    assert 'id="surge-title"' in monitoring and "Kantor A" in monitoring and ">40<" in monitoring
    # The alarm leads to the form, filled with the office and the day.
    link = f"/staff/campaigns/{surged.id}/surges?unit={a.id}&amp;first={today.isoformat()}"
    assert link in monitoring
    page = client.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert f'<option value="{a.id}" selected>' in page and f'value="{today.isoformat()}"' in page
    response = client.post(f"/staff/campaigns/{surged.id}/surges/exclude", data={
        "unit": a.id, "first": today.isoformat(), "reason": "Lonjakan QR",
        "csrf_token": csrf_of(page)})
    assert response.status_code == 303
    exclusion = session.scalar(select(OpenLinkExclusion))
    assert exclusion.day == today and exclusion.reason == "Lonjakan QR"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Lonjakan QR" in page
    restored = client.post(f"/staff/campaigns/{surged.id}/surges/restore", data={
        "exclusion": exclusion.id, "csrf_token": csrf_of(page)})
    assert restored.status_code == 303
    assert session.scalar(select(OpenLinkExclusion)) is None


def test_unit_managers_see_no_alarm_and_cannot_exclude(surged, client, session, today):
    _add(session, surged, _unit(session, "A"), today, 40, answers=WORST)
    sign_in(client, "kepala@kota.example")
    page = client.get(f"/staff/campaigns/{surged.id}/monitoring")
    assert page.status_code == 200 and 'id="surge-title"' not in page.get_data(as_text=True)
    assert client.get(f"/staff/campaigns/{surged.id}/surges").status_code == 403
    refused = client.post(f"/staff/campaigns/{surged.id}/surges/exclude", data={
        "unit": _unit(session, "A").id, "first": today.isoformat(), "reason": "x",
        "csrf_token": csrf_of(page.get_data(as_text=True))})
    assert refused.status_code == 403
    assert session.scalar(select(OpenLinkExclusion)) is None


def test_auditors_see_the_alarms_without_the_form(surged, client, session, today):
    _add(session, surged, _unit(session, "A"), today, 40, answers=WORST)
    staff.create_user(session, email="auditor@kota.example", name="Audi", role="auditor",
                      password=PASSWORD)
    sign_in(client, "auditor@kota.example")
    page = client.get(f"/staff/campaigns/{surged.id}/monitoring").get_data(as_text=True)
    assert 'id="surge-title"' in page and ">40<" in page
    page = client.get(f"/staff/campaigns/{surged.id}/surges").get_data(as_text=True)
    assert ">40<" in page and "surges/exclude" not in page
