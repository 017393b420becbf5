"""QR codes and counter posters (issue 8, item 3): the PDF names the office
and carries a QR code that a reader decodes to the office's open link."""

from __future__ import annotations

import io
import os

import pypdfium2
import pytest
import zxingcpp
from PIL import Image
from support import PASSWORD, sign_in

from survey.services import staff

BASE = "https://spi.example.go.id"
OFFICE = "Dinas Kependudukan & Pencatatan Sipil <Kota>"


@pytest.fixture
def counter(app, factory, session):
    """An office with an open link, and an inspector signed in."""
    app.config["PUBLIC_BASE_URL"] = BASE
    office = factory.unit("DISDUKCAPIL")
    office.name = OFFICE
    session.commit()
    campaign = factory.campaign(unit=office)
    link = factory.open_link(campaign, office)
    staff.create_user(session, email="inspektur@kota.example", name="Silvi", role="inspector",
                      password=PASSWORD)
    client = app.test_client()
    assert sign_in(client, "inspektur@kota.example").status_code == 303
    return client, campaign, office, link


def decode(image: Image.Image) -> list[str]:
    return [result.text for result in zxingcpp.read_barcodes(image)]


def test_the_poster_pdf_names_the_office_and_its_qr_decodes_to_the_open_link(counter):
    client, campaign, office, link = counter
    response = client.get(f"/staff/campaigns/{campaign.id}/units/{office.id}/poster.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    pdf = pypdfium2.PdfDocument(response.data)
    assert len(pdf) == 1, "the poster is one page"
    page = pdf[0]
    width_pt, height_pt = page.get_size()
    assert (round(width_pt / 72 * 25.4), round(height_pt / 72 * 25.4)) == (210, 297)  # A4
    textpage = page.get_textpage()
    text = textpage.get_text_range()
    assert OFFICE in " ".join(text.split())
    assert "spi.example.go.id/cek" in text
    bitmap = page.render(scale=3)
    image = bitmap.to_pil()
    assert decode(image) == [f"{BASE}/o/{link.code}"]
    if os.environ.get("POSTER_PNG"):  # to look at it: POSTER_PNG=/tmp/poster.png
        image.save(os.environ["POSTER_PNG"])
    for handle in (bitmap, textpage, page, pdf):
        handle.close()


def test_the_qr_codes_decode_to_the_open_link(counter):
    client, campaign, office, link = counter
    png = client.get(f"/staff/campaigns/{campaign.id}/units/{office.id}/qr.png")
    assert png.status_code == 200 and png.mimetype == "image/png"
    assert decode(Image.open(io.BytesIO(png.data))) == [f"{BASE}/o/{link.code}"]
    svg = client.get(f"/staff/campaigns/{campaign.id}/units/{office.id}/qr.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert svg.data.lstrip().startswith((b"<?xml", b"<svg")) and b"<path" in svg.data
    assert b"<script" not in svg.data


def test_the_print_page_names_the_office_escaped_and_how_to_check(counter):
    client, campaign, office, link = counter
    page = client.get(f"/staff/campaigns/{campaign.id}/units/{office.id}/poster")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Dinas Kependudukan &amp; Pencatatan Sipil &lt;Kota&gt;" in html
    assert f"spi.example.go.id/o/{link.code}" in html
    assert "spi.example.go.id/cek" in html
    assert 'src="data:image/svg+xml' in html


def test_the_campaign_lists_each_office_with_its_codes_and_posters(counter):
    client, campaign, office, _link = counter
    html = client.get(f"/staff/campaigns/{campaign.id}/posters").get_data(as_text=True)
    for suffix in ("qr.png", "qr.svg", "poster", "poster.pdf"):
        assert f"/staff/campaigns/{campaign.id}/units/{office.id}/{suffix}\"" in html


def test_an_office_without_an_open_link_has_no_poster(counter, factory):
    client, campaign, _office, _link = counter
    other = factory.unit("LAIN")
    for suffix in ("qr.png", "qr.svg", "poster", "poster.pdf"):
        assert client.get(
            f"/staff/campaigns/{campaign.id}/units/{other.id}/{suffix}").status_code == 404


def test_the_campaign_page_leads_to_the_posters(counter):
    client, campaign, _office, _link = counter
    html = client.get(f"/staff/campaigns/{campaign.id}").get_data(as_text=True)
    assert f'href="/staff/campaigns/{campaign.id}/posters"' in html


def test_a_head_of_office_gets_no_poster_pages(app, counter, session):
    _client, campaign, office, _link = counter
    staff.create_user(session, email="kepala@kota.example", name="Kepala", role="unit_manager",
                      password=PASSWORD, unit_code="DISDUKCAPIL")
    head = app.test_client()
    assert sign_in(head, "kepala@kota.example").status_code == 303
    assert head.get(f"/staff/campaigns/{campaign.id}/posters").status_code == 403
    assert head.get(
        f"/staff/campaigns/{campaign.id}/units/{office.id}/poster.pdf").status_code == 403
