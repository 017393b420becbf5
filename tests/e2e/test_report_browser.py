"""A citizen files a report on a phone and checks its status with the code
(issue 8, item 4), in Chromium at 390 x 844: real taps, a real photo
upload, the code typed back as a person would type it."""

from __future__ import annotations

import io
import os
import re
from datetime import timedelta

import pytest

if os.environ.get("CI") != "true":  # under CI a missing playwright must fail the run
    pytest.importorskip(
        "playwright.sync_api", reason="the playwright package is not installed; browser tests"
    )
from PIL import Image  # noqa: E402
from playwright.sync_api import expect  # noqa: E402
from sqlalchemy import select  # noqa: E402

from survey.models import CitizenReport, ReportPhoto  # noqa: E402
from survey.services import reports, staff  # noqa: E402

DESCRIPTION = ("Petugas di loket 3 meminta uang Rp150.000 agar KTP selesai hari ini, "
               "tanpa kuitansi.")


def phone_photo(path) -> None:
    """A photo as a phone writes it, with the place it was taken (GPS)."""
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "S", (6.0, 10.0, 30.0), "E", (106.0, 49.0, 12.0)
    Image.new("RGB", (800, 600), (180, 40, 40)).save(path, format="JPEG", exif=exif)


def test_a_citizen_files_a_report_and_checks_its_status_with_the_code(
        new_context, screenshot, factory, session, today, tmp_path):
    office = factory.unit("DISDUKCAPIL")
    photo_path = tmp_path / "IMG_0001.jpg"
    phone_photo(photo_path)

    page = new_context().new_page()
    page.goto("/lapor")
    expect(page.locator("h1")).to_have_text("Laporkan suap atau pungutan liar")
    screenshot(page, "report-form")
    page.locator("#report-unit").select_option(str(office.id))
    page.locator("label[for='category-levy']").tap()
    expect(page.locator("#category-levy")).to_be_checked()
    page.locator("#report-date").fill((today - timedelta(days=3)).isoformat())
    page.locator("#report-amount").fill("150.000")
    page.locator("#report-description").fill("uang")  # too short: the form says so
    page.locator("#report-photo").set_input_files(str(photo_path))
    page.locator("form[enctype] button[type=submit]").tap()
    expect(page.locator("#error-description")).to_be_visible()
    screenshot(page, "report-form-error")
    # What was typed is still there; the photo is chosen again (browsers
    # never refill a file field).
    expect(page.locator("#category-levy")).to_be_checked()
    page.locator("#report-description").fill(DESCRIPTION)
    page.locator("#report-photo").set_input_files(str(photo_path))
    page.locator("form[enctype] button[type=submit]").tap()

    expect(page).to_have_url(re.compile(r"/lapor/terkirim$"))
    code = page.locator("#tracking-code").inner_text().strip()
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}", code), code
    screenshot(page, "report-sent")

    report = session.scalars(select(CitizenReport)).one()
    assert report.description == DESCRIPTION and report.amount_requested == 150_000
    stored = session.scalars(select(ReportPhoto)).one()
    assert not Image.open(io.BytesIO(stored.data)).getexif()
    assert b"PhoneMaker" not in stored.data

    # Days later, on another browser: the code typed in small letters,
    # without dashes.
    inspector = staff.create_user(session, email="inspektur@kota.example", name="Silvi",
                                  role="inspector", password="correct horse battery")
    reports.change_status(session, report, "in_review", note="Dicek ke lokasi.",
                          public_reply="Laporan Anda sedang kami telaah.", actor=inspector)
    later = new_context().new_page()
    later.goto("/lapor")
    later.locator("#lookup-code").fill(code.lower().replace("-", ""))
    later.locator("#lookup-code").press("Enter")
    expect(later).to_have_url(re.compile(rf"/lapor/{code}$"))
    expect(later.locator("#report-status")).to_have_text("Sedang ditelaah")
    expect(later.locator("#public-reply")).to_have_text("Laporan Anda sedang kami telaah.")
    assert DESCRIPTION not in later.content() and "Dicek ke lokasi" not in later.content()
    screenshot(later, "report-status")
