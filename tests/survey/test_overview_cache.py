"""The overview's chart and tables are rendered once and served from
memory (survey/admin/results.py): what is served must still be what each
viewer, language and stored result calls for."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select
from support import sign_in

from survey.admin.present import two_decimals
from survey.models import Correction, Unit
from survey.services import results


def _client(app, email, language):
    client = app.test_client()
    assert sign_in(client, email).status_code == 303
    client.set_cookie("lang", language)
    return client


def _text(response) -> str:
    page = re.sub(r"<script.*?</script>", " ", response.get_data(as_text=True), flags=re.S)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def _offices_table(text: str) -> str:
    start = re.search(r"(Offices|Kantor) 1–\d+ (of|dari) \d+", text).start()
    return text[start:]


@pytest.fixture
def url(small_city):
    return f"/staff/campaigns/{small_city.id}/results"


def test_each_language_gets_its_own_tables(app, url):
    inspector = "inspektur@kota.example"
    english = _offices_table(_text(_client(app, inspector, "en").get(url)))
    indonesian = _offices_table(_text(_client(app, inspector, "id").get(url)))
    assert "Against the target" in english and "Against the target" not in indonesian
    assert "Mean of the offices shown" in english
    assert "Mean of the offices shown" not in indonesian


@pytest.mark.security
def test_a_head_of_office_never_gets_the_inspectors_tables(app, session, small_city, url):
    inspector = _text(_client(app, "inspektur@kota.example", "en").get(url))
    assert "Kantor B" in _offices_table(inspector)
    head = _text(_client(app, "kepala@kota.example", "en").get(url))
    assert "Kantor B" not in head
    a1 = results.load(session, small_city.id).units["A1"]
    shown = f"Kantor A1 {two_decimals(a1.index):,}"
    assert a1.n < 5 and shown in _offices_table(inspector)
    assert shown not in head and "Kantor A1 n < 5" in _offices_table(head)


def test_new_results_and_renamed_offices_show_at_once(app, session, small_city, url):
    client = _client(app, "inspektur@kota.example", "en")
    before = _offices_table(_text(client.get(url)))
    unit = session.scalar(select(Unit).where(Unit.code == "B"))
    old = results.load(session, small_city.id).units["B"].index
    assert f"{two_decimals(old):,}" in before
    session.add(Correction(campaign_id=small_city.id, unit_id=unit.id, points=3.0,
                           reason="Putusan pengadilan (uji)"))
    session.commit()
    results.refresh(session, small_city.id)
    new = results.load(session, small_city.id).units["B"].index
    after = _offices_table(_text(client.get(url)))
    assert f"{two_decimals(new):,}" in after and f"{two_decimals(old):,}" not in after
    unit.name = "Kantor B (baru)"
    session.commit()
    assert "Kantor B (baru)" in _offices_table(_text(client.get(url)))
