"""Results: computed once from the stored responses, refreshed in the
background when responses or corrections change, and shown as the engine
computed them, to each person as their role allows."""

from __future__ import annotations

import csv
import html
import re
import time

import pytest
from sqlalchemy import func, select
from support import PASSWORD, sign_in

import analysis
from survey.admin.present import two_decimals
from survey.models import (
    Campaign,
    CampaignResult,
    CampaignStatus,
    Correction,
    Job,
    JobStatus,
    Response,
    StaffUser,
    Unit,
    UnitPopulation,
)
from survey.services import jobs, results, staff
from survey.services.demo import seed_demo
from survey.services.responding import mix_pending, sealed_pending
from survey.services.tokens import PendingSeal


@pytest.fixture
def demo(session, today, app):
    """The demo city with both campaigns' results computed."""
    seed_demo(session, today=today)
    with app.app_context():
        from survey.extensions import db

        assert jobs.run_pending(db.engine) == 2
    campaign = session.scalar(select(Campaign).where(Campaign.status == CampaignStatus.OPEN))
    return campaign


def _client(app, email, *, language="en"):
    client = app.test_client()
    assert sign_in(client, email).status_code == 303
    client.set_cookie("lang", language)
    return client


def _password_for(session, role):
    """Demo accounts have printed passwords; give each a known one."""
    user = session.scalar(select(StaffUser).where(StaffUser.role == role))
    user.set_password(PASSWORD)
    session.commit()
    return user.email


def _text(response) -> str:
    page = response.get_data(as_text=True)
    page = re.sub(r"<script.*?</script>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def _two(value: float) -> str:
    return f"{two_decimals(value):,}"


def _rescore(session, campaign, tmp_path) -> analysis.ScoreResult:
    """Score the stored answers again, independently of the platform's bulk
    reader: answers (JSON) -> the CSV of methodology v1 -> analysis.score."""
    instrument = campaign.instrument_version.instrument
    codes = dict(session.execute(select(Unit.id, Unit.code)).all())
    path = tmp_path / "responses.csv"
    ids = [q.id for q in instrument.questions]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["response_id", "unit", "group", "duration_s", *ids])
        for row in session.scalars(select(Response).where(Response.campaign_id == campaign.id)):
            writer.writerow([row.id, codes[row.unit_id], row.respondent_group,
                             "" if row.duration_s is None else row.duration_s,
                             *(row.answers.get(q, "") for q in ids)])
    populations = {(codes[p.unit_id], p.respondent_group): float(p.population)
                   for p in session.scalars(select(UnitPopulation))}
    corrections: dict[str, float] = {}
    for c in session.scalars(select(Correction).where(Correction.campaign_id == campaign.id)):
        corrections[codes[c.unit_id]] = corrections.get(codes[c.unit_id], 0) + c.points
    table = analysis.read_responses(path, instrument)
    populations = {k: v for k, v in populations.items() if k[0] in table.units}
    corrections = {k: v for k, v in corrections.items() if k in table.units}
    return analysis.score(table, instrument, populations=populations, corrections=corrections,
                          target=campaign.target)


VERDICT_WORDS = {"above": "above target", "below": "below target",
                 "uncertain": "cannot tell yet", "insufficient": "too few respondents"}


def test_the_dashboards_numbers_are_the_engines(app, session, demo, tmp_path):
    engine = _rescore(session, demo, tmp_path)
    client = _client(app, _password_for(session, "inspector"))
    overview = _text(client.get(f"/staff/campaigns/{demo.id}/results"))
    names = dict(session.execute(select(Unit.code, Unit.name)).all())
    ids = dict(session.execute(select(Unit.code, Unit.id)).all())
    checked = 0
    for unit in engine.units:
        assert unit.index is not None
        verdict = unit.status
        if verdict == "below" and unit.q_below >= 0.05:
            verdict = "uncertain"
        row = (f"{names[unit.unit]} {_two(unit.index)} {_two(unit.ci_low)}–{_two(unit.ci_high)} "
               f"")
        assert row in overview, f"{unit.unit}: {row!r} not on the overview"
        assert f"{VERDICT_WORDS[verdict]}" in overview
        office = _text(client.get(f"/staff/campaigns/{demo.id}/units/{ids[unit.unit]}"))
        assert f"{_two(unit.index)} 95% interval {_two(unit.ci_low)}–{_two(unit.ci_high)}" \
            in office
        assert VERDICT_WORDS[verdict] in office
        for group in unit.groups.values():
            if group.index is not None:
                assert _two(group.index) in office
            for dimension in group.dimensions.values():
                assert _two(dimension.score) in office
        checked += 1
    assert checked == 16
    mean = analysis.mean_index(engine)
    assert f"{_two(mean.index)} 95% interval {_two(mean.ci_low)}–{_two(mean.ci_high)}" \
        in overview
    # The verdict of each office sits in its row.
    for unit in engine.units:
        verdict = "uncertain" if unit.status == "below" and unit.q_below >= 0.05 else unit.status
        pattern = re.escape(f"{names[unit.unit]} {_two(unit.index)}") + r" [^A-Z]*? [A-Za-z]+ " \
            + re.escape(VERDICT_WORDS[verdict])
        assert re.search(pattern, overview), unit.unit


def test_pages_say_when_computed_and_the_overview_compares_with_last_campaign(
        app, session, demo):
    stored = results.load(session, demo.id)
    assert stored.previous is not None and stored.comparison is not None
    client = _client(app, _password_for(session, "inspector"))
    unit = session.scalar(select(Unit).where(Unit.code == "PUPR"))
    row = session.get(CampaignResult, demo.id)
    overview = _text(client.get(f"/staff/campaigns/{demo.id}/results"))
    assert f"Compared with {stored.previous['name']}" in overview
    change = stored.changes["DISHUB"]
    assert f"{'−' if change.change < 0 else '+'}{_two(abs(change.change))}" in overview
    for page in (overview, _text(client.get(f"/staff/campaigns/{demo.id}/units/{unit.id}"))):
        assert f"from {row.responses:,} stored responses" in page
        assert "Computed " in page


def test_a_campaign_without_results_says_so_and_shows_nothing_made_up(app, session, factory):
    campaign = factory.campaign()
    staff.create_user(session, email="i@kota.example", name="I", role="inspector",
                      password=PASSWORD)
    client = _client(app, "i@kota.example")
    page = _text(client.get(f"/staff/campaigns/{campaign.id}/results"))
    assert "being computed" in page
    assert "95% interval" not in page
    job = session.scalar(select(Job).where(Job.unique_key == results.job_key(campaign.id)))
    assert job is not None and job.status == JobStatus.QUEUED


def test_mixing_a_batch_asks_for_a_refresh_in_the_same_transaction(session, factory):
    campaign = factory.campaign()
    unit = session.scalar(select(Unit))
    instrument = campaign.instrument_version.instrument
    for _ in range(3):
        answers = {"INT_A1": "3", "INT_A3": "2", "INT_B2": "4"}
        session.add(sealed_pending(
            PendingSeal("k"), campaign_id=campaign.id, unit_id=unit.id, group="internal",
            instrument_version_id=campaign.instrument_version_id, answers=answers,
            cells=analysis.encode_answers(instrument, "internal", answers), duration_s=200,
            channel="invited", submitted_on=campaign.opens_on))
    session.commit()
    assert mix_pending(session, campaign.id, minimum=5, secret_key="k") == 0
    assert session.scalar(select(func.count()).select_from(Job)) == 0
    assert mix_pending(session, campaign.id, minimum=3, secret_key="k") == 3
    job = session.scalar(select(Job))
    assert job.kind == results.JOB_KIND and job.payload == {"campaign_id": campaign.id}


def test_a_refresh_replaces_the_stored_results_and_readers_see_the_new_ones(
        session, small_city):
    campaign = small_city
    first = results.load(session, campaign.id)
    unit = session.scalar(select(Unit).where(Unit.code == "B"))
    session.add(Correction(campaign_id=campaign.id, unit_id=unit.id, points=3.0,
                           reason="Putusan pengadilan (uji)"))
    session.commit()
    assert results.load(session, campaign.id) is first  # the cache stands until a refresh
    results.refresh(session, campaign.id)
    second = results.load(session, campaign.id)
    assert second.computed_at >= first.computed_at
    assert second.units["B"].correction == 3.0
    assert second.units["B"].index == pytest.approx(max(0, first.units["B"].index - 3.0))
    assert second.corrections["B"] == [{"points": 3.0, "reason": "Putusan pengadilan (uji)"}]


def test_respondents_keep_submitting_while_results_are_computed(app, factory, today,
                                                                 database_url, monkeypatch):
    """SQLite (issue 11, proof 5): scoring a campaign reads without taking the
    write lock, so a submission in the middle of it goes through at once,
    not after the scoring (nor after busy_timeout, "database is locked")."""
    if not database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL readers never block writers")
    from sqlalchemy.orm import Session

    from survey.extensions import db
    from survey.services import responding
    from survey.services.responding import Progress

    campaign = factory.campaign()
    _, token = factory.invitation(campaign)
    with app.app_context():
        engine = db.engine
    compute, waited = results.compute, []

    def scoring_meanwhile(read_session, scored):
        outcome = compute(read_session, scored)   # the refresh's read transaction is open
        started = time.monotonic()
        with Session(engine, expire_on_commit=False) as respondent:
            link = responding.resolve_invitation(respondent, token, today=today)
            progress = Progress({"INT_A1": "3"}, {1, 2, 3, 4}, started=None)
            responding.save_progress(respondent, link, token, progress, today=today,
                                     keep_days=30)
            assert responding.submit(respondent, link, token, progress, today=today,
                                     secret_key="k").stored
        waited.append(time.monotonic() - started)
        return outcome

    monkeypatch.setattr(results, "compute", scoring_meanwhile)
    with Session(engine, expire_on_commit=False) as worker:
        assert results.refresh(worker, campaign.id) is not None
    assert waited and waited[0] < 5


def test_the_stored_document_reads_back_as_it_was(session, small_city):
    stored = results.load(session, small_city.id)
    again = results.decode(results.encode(stored))
    assert again.to_payload() == stored.to_payload()


def test_an_unreadable_stored_document_is_computed_again_not_shown(session, small_city):
    row = session.get(CampaignResult, small_city.id)
    row.payload = b"not zlib"
    session.commit()
    results._CACHE.clear()
    assert results.load(session, small_city.id) is None
    assert results.status(session, small_city.id).refreshing


def test_the_brief_verdict_needs_the_false_discovery_correction():
    unit = analysis.UnitScore(
        unit="U", index=60.0, raw_index=60.0, correction=0.0, se=5.0, df=30, ci_low=49.8,
        ci_high=70.2, band="rentan", gap=-12.0, status="below", p_below=0.01, q_below=0.2,
        n=31, excluded=analysis.Exclusions(), groups={}, dimensions={})
    assert results.verdict(unit) == "uncertain"
    from dataclasses import replace

    assert results.verdict(replace(unit, q_below=0.01)) == "below"
    assert results.verdict(replace(unit, status="above")) == "above"


# -- who sees what ----------------------------------------------------------------


@pytest.mark.security
def test_a_unit_manager_never_sees_a_figure_resting_on_fewer_than_five(app, session, demo):
    stored = results.load(session, demo.id)
    manager = session.scalar(select(StaffUser).where(StaffUser.role == "unit_manager"))
    own = manager.unit
    assert stored.units[own.code].groups["expert"].n < 5  # the demo has 2-7 experts per office
    small = stored.units[own.code].groups["expert"]
    client = _client(app, _password_for(session, "unit_manager"))
    office = client.get(f"/staff/campaigns/{demo.id}/units/{own.id}")
    text = _text(office)
    assert "n < 5" in text
    expert_row = re.search(r"Experts (.*?) yes", text).group(1)
    assert "n < 5" in expert_row and _two(small.index) not in expert_row
    for dimension in small.dimensions.values():
        if dimension.n < 5:
            assert f"({_two(dimension.score)}" not in text
    # nor in the charts' data
    for block in re.findall(r'<script type="application/json"[^>]*>(.*?)</script>',
                            office.get_data(as_text=True), flags=re.S):
        assert "Experts" not in block
    # the other offices' figures are nowhere on the overview
    overview = _text(client.get(f"/staff/campaigns/{demo.id}/results"))
    for unit in stored.score.units:
        if unit.unit != own.code and unit.index is not None:
            name = session.scalar(select(Unit.name).where(Unit.code == unit.unit))
            assert name not in overview
    assert "Integrity index of the institution" not in overview


@pytest.mark.security
def test_a_unit_manager_sees_own_and_sub_offices_only(app, session, small_city):
    campaign = small_city
    units = {u.code: u for u in session.scalars(select(Unit))}
    client = _client(app, "kepala@kota.example")
    assert client.get(f"/staff/campaigns/{campaign.id}/units/{units['B'].id}").status_code \
        == 404
    assert client.get(f"/staff/campaigns/{campaign.id}/results?parent={units['B'].id}"
                      ).status_code == 404
    overview = _text(client.get(f"/staff/campaigns/{campaign.id}/results"))
    assert "Kantor A1" in overview and "Kantor B" not in overview
    sub = _text(client.get(f"/staff/campaigns/{campaign.id}/units/{units['A1'].id}"))
    stored = results.load(session, campaign.id).units["A1"]
    assert stored.n == 4 and stored.index is not None
    assert "Integrity index n < 5" in sub and _two(stored.index) not in sub
    inspector = _text(_client(app, "inspektur@kota.example").get(
        f"/staff/campaigns/{campaign.id}/units/{units['A1'].id}"))
    assert _two(stored.index) in inspector


@pytest.mark.security
def test_small_counts_are_hidden_from_unit_managers_too(app, session, demo):
    manager = session.scalar(select(StaffUser).where(StaffUser.role == "unit_manager"))
    stored = results.load(session, demo.id)
    excluded = stored.units[manager.unit.code].excluded.to_dict()
    assert any(0 < n < 5 for n in excluded.values())
    client = _client(app, _password_for(session, "unit_manager"))
    text = _text(client.get(f"/staff/campaigns/{demo.id}/units/{manager.unit.id}"))
    for rule, n in excluded.items():
        words = {"incomplete": "too few answers", "speeder": "answered too fast",
                 "straightline": "same answer throughout",
                 "coordinated": "identical to several others (steered)"}[rule]
        assert f"{words} {'n < 5' if 0 < n < 5 else n}" in text


@pytest.mark.security
def test_free_text_is_for_inspectors_only_and_never_for_a_group_under_five(
        app, session, demo):
    unit = session.scalar(select(Unit).where(Unit.code == "DISDUKCAPIL"))
    texts = [t for a in session.scalars(select(Response.answers).where(
        Response.campaign_id == demo.id, Response.unit_id == unit.id,
        Response.respondent_group == "internal")) for k, t in a.items() if k == "INT_COMMENT"]
    expert_texts = [t for a in session.scalars(select(Response.answers).where(
        Response.campaign_id == demo.id, Response.unit_id == unit.id,
        Response.respondent_group == "expert")) for k, t in a.items() if k == "EXP_COMMENT"]
    assert texts
    url = f"/staff/campaigns/{demo.id}/units/{unit.id}"
    inspector = _text(_client(app, _password_for(session, "inspector")).get(url))
    assert "Suggestions from respondents" in inspector and texts[0] in inspector
    assert "Experts Fewer than 5 responses: not shown." in inspector
    for text in set(expert_texts) - set(texts):
        assert text not in inspector
    for role in ("auditor", "unit_manager"):
        page = _text(_client(app, _password_for(session, role)).get(url))
        assert "Suggestions from respondents" not in page
        for text in texts:
            assert text not in page


def test_charts_and_tables_are_both_on_the_page_and_scripts_come_from_us(app, small_city):
    client = _client(app, "inspektur@kota.example")
    page = client.get(f"/staff/campaigns/{small_city.id}/results").get_data(as_text=True)
    assert 'data-chart="offices-chart-data"' in page and "<table" in page
    assert re.search(r'<script src="/static/vendor/plotly-basic\.min\.[0-9a-f]{10}\.js" defer>', page)
    assert "cdn" not in page.lower()
    assert not re.search(r"<script>(?!</script>)", page)  # no inline script
    with client.get("/static/vendor/plotly-basic.min.js") as script:
        assert script.status_code == 200


@pytest.mark.security
def test_monitoring_counts_days_and_hides_small_days_from_unit_managers(app, session,
                                                                        small_city):
    from datetime import timedelta

    campaign = small_city
    office = session.scalar(select(Unit).where(Unit.code == "A"))
    later = campaign.opens_on + timedelta(days=2)
    for response in session.scalars(select(Response).where(
            Response.campaign_id == campaign.id, Response.unit_id == office.id).limit(3)):
        response.submitted_on = later
    session.commit()
    url = f"/staff/campaigns/{campaign.id}/monitoring"
    inspector = _client(app, "inspektur@kota.example").get(url)
    assert "Responses per day" in _text(inspector)
    assert later.isoformat() in inspector.get_data(as_text=True)  # the chart's day with 3
    head = _client(app, "kepala@kota.example").get(url)
    text = _text(head)
    assert "n < 5" in text
    for block in re.findall(r'<script type="application/json"[^>]*>(.*?)</script>',
                            head.get_data(as_text=True), flags=re.S):
        assert later.isoformat() not in block
