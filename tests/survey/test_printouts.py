"""PDF reports: made on the server from the print view's template, with
the numbers the office's page shows, and charts as vector graphics."""

from __future__ import annotations

import html
import re
import shutil
import subprocess

import pytest
from sqlalchemy import select
from support import sign_in

from survey.admin.present import two_decimals
from survey.models import Unit
from survey.services import results

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None,
                                reason="poppler-utils (pdftotext) is not installed")


def _client(app, email, language="en"):
    client = app.test_client()
    assert sign_in(client, email).status_code == 303
    client.set_cookie("lang", language)
    return client


def _pdf_text(response, tmp_path) -> str:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")
    path = tmp_path / "report.pdf"
    path.write_bytes(response.data)
    done = subprocess.run(["pdftotext", "-layout", str(path), "-"],  # noqa: S607
                          capture_output=True, text=True, check=True)
    return re.sub(r"\s+", " ", done.stdout)


def _page_text(response) -> str:
    page = response.get_data(as_text=True)
    page = re.sub(r"<script.*?</script>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def _two(value, mark="."):
    return f"{two_decimals(value):,}".replace(".", mark)


@pytest.mark.parametrize(("language", "mark", "verdicts"), [
    ("en", ".", {"above": "above target", "below": "below target",
                       "uncertain": "cannot tell yet"}),
    ("id", ",", {"above": "di atas target", "below": "di bawah target",
                       "uncertain": "belum dapat dipastikan"}),
])
def test_the_office_pdf_shows_the_pages_numbers(app, session, small_city, tmp_path, language,
                                                mark, verdicts):
    client = _client(app, "inspektur@kota.example", language)
    stored = results.load(session, small_city.id)
    unit = session.scalar(select(Unit).where(Unit.code == "A"))
    score = stored.units["A"]
    text = _pdf_text(client.get(f"/staff/campaigns/{small_city.id}/units/{unit.id}/report.pdf"),
                     tmp_path)
    page = _page_text(client.get(f"/staff/campaigns/{small_city.id}/units/{unit.id}"))
    index = _two(score.index, mark)
    interval = f"{_two(score.ci_low, mark)}–{_two(score.ci_high, mark)}"
    verdict = results.verdict(score)
    for needle in (unit.name, index, interval, verdicts[verdict]):
        assert needle in page, needle
        assert needle in text, needle
    (band,) = [b for b in small_city.instrument_version.instrument.bands
               if b.key == score.band]
    band_text = band.label.get(language) or band.key.capitalize()   # as the page names it
    assert band_text in page and band_text in text
    assert stored.computed_at.strftime("%Y-%m-%d %H:%M") in text


def test_the_office_pdf_page_one_renders(app, session, small_city, tmp_path):
    client = _client(app, "inspektur@kota.example")
    unit = session.scalar(select(Unit).where(Unit.code == "A"))
    response = client.get(f"/staff/campaigns/{small_city.id}/units/{unit.id}/report.pdf")
    path = tmp_path / "office.pdf"
    path.write_bytes(response.data)
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1",  # noqa: S607
                    str(path), str(tmp_path / "page")], check=True)
    (png,) = tmp_path.glob("page*.png")
    assert png.stat().st_size > 5000
    # charts are vector graphics: the PDF holds no raster image
    assert b"/Subtype /Image" not in response.data and b"/Subtype/Image" not in response.data


def test_the_institution_pdf_lists_every_office_sorted(app, session, small_city, tmp_path):
    client = _client(app, "inspektur@kota.example")
    stored = results.load(session, small_city.id)
    text = _pdf_text(client.get(f"/staff/campaigns/{small_city.id}/results/report.pdf"),
                     tmp_path)
    names = dict(session.execute(select(Unit.code, Unit.name)).all())
    ordered = sorted((u for u in stored.units.values() if u.index is not None),
                     key=lambda u: -u.index)
    positions = []
    table = text[text.index("All offices"):]
    for unit in ordered:
        row = f"{names[unit.unit]} {_two(unit.index)} {_two(unit.ci_low)}–{_two(unit.ci_high)}"
        assert row in table, row
        positions.append(table.index(row))
    assert positions == sorted(positions)
    mean = stored.institution
    assert f"{_two(mean.index)} 95% interval {_two(mean.ci_low)}–{_two(mean.ci_high)}" in text


def test_a_head_of_office_gets_their_offices_only_with_small_cells_hidden(
        app, session, small_city, tmp_path):
    client = _client(app, "kepala@kota.example")
    stored = results.load(session, small_city.id)
    text = _pdf_text(client.get(f"/staff/campaigns/{small_city.id}/results/report.pdf"),
                     tmp_path)
    names = dict(session.execute(select(Unit.code, Unit.name)).all())
    assert names["A"] in text and names["B"] not in text
    assert "n < 5" in text
    assert _two(stored.units["A1"].ci_low) not in text
    b = session.scalar(select(Unit).where(Unit.code == "B"))
    assert client.get(f"/staff/campaigns/{small_city.id}/units/{b.id}/report.pdf"
                      ).status_code == 404


def test_the_print_view_is_the_same_template(app, session, small_city):
    client = _client(app, "inspektur@kota.example")
    unit = session.scalar(select(Unit).where(Unit.code == "A"))
    page = client.get(f"/staff/campaigns/{small_city.id}/units/{unit.id}/report")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert re.search(r'href="[^"]*/css/report[^"]*\.css', body) and "<svg" in body
    assert f"units/{unit.id}/report.pdf" in body
