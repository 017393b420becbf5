"""The office page counts the citizen reports about the office by category
(issue 9, Build 4), and the overview adds them up over the offices shown;
no report's text reaches these pages."""

from __future__ import annotations

import hashlib
import html
import re
from datetime import timedelta

from sqlalchemy import select
from support import sign_in

from survey.models import CitizenReport, ReportCategory, Unit

CATEGORY_WORDS = {"bribe": "Bribe (suap)", "levy": "Illegal levy (pungli)",
                  "broker": "Broker (calo)"}


def _text(client, url) -> str:
    page = client.get(url)
    assert page.status_code == 200, url
    body = re.sub(r"<script.*?</script>", " ", page.get_data(as_text=True), flags=re.S)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)))


def _client(app, email):
    client = app.test_client()
    assert sign_in(client, email).status_code == 303
    client.set_cookie("lang", "en")
    return client


def test_office_page_counts_reports_by_category(app, session, small_city):
    campaign = small_city
    units = {u.code: u for u in session.scalars(select(Unit))}
    first, second = list(ReportCategory)[:2]
    filed = [("A", first), ("A", first), ("A", second), ("B", first)]
    for i, (code, category) in enumerate(filed):
        session.add(CitizenReport(
            tracking_hash=hashlib.sha256(f"code-{i}".encode()).hexdigest(),
            unit_id=units[code].id, campaign_id=campaign.id, category=category,
            description=f"Rahasia pelapor {i}", received_on=campaign.opens_on))
    # and one received before the campaign opened, which is not counted
    session.add(CitizenReport(
        tracking_hash=hashlib.sha256(b"code-old").hexdigest(), unit_id=units["A"].id,
        category=first, description="Lama", received_on=campaign.opens_on - timedelta(days=1)))
    session.commit()
    one, two = CATEGORY_WORDS[first.value], CATEGORY_WORDS[second.value]
    for email in ("inspektur@kota.example", "kepala@kota.example"):
        page = _text(_client(app, email), f"/staff/campaigns/{campaign.id}/units/{units['A'].id}")
        reports = page[page.index("Citizen reports about this office"):]
        assert f"{one}: 2" in reports and f"{two}: 1" in reports, email
        assert "Rahasia pelapor" not in page
    inspector = _client(app, "inspektur@kota.example")
    b = _text(inspector, f"/staff/campaigns/{campaign.id}/units/{units['B'].id}")
    assert f"{one}: 1" in b and f"{two}:" not in b[b.index("Citizen reports about this office"):]
    overview = _text(inspector, f"/staff/campaigns/{campaign.id}/results")
    assert f"{one}: 3" in overview and f"{two}: 1" in overview
    head = _text(_client(app, "kepala@kota.example"), f"/staff/campaigns/{campaign.id}/results")
    assert f"{one}: 2" in head  # office A and A1 only, not B
