"""Citizen reports at /lapor: filing, photos without metadata, tracking codes,
rate limit and honeypot (issue 8, item 4)."""

from __future__ import annotations

import io
import struct
import zlib
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select
from support import csrf_of
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from survey.models import CitizenReport, PendingResponse, ReportPhoto, Response
from survey.services import photos, reports

# -- images --------------------------------------------------------------------


def gps_jpeg(size=(640, 480)) -> bytes:
    """A JPEG as a phone writes it: EXIF with GPS position, camera make and
    model, owner's name, a comment, and an orientation tag (rotate 90)."""
    image = Image.new("RGB", size, (200, 30, 30))
    image.paste((20, 20, 220), (0, 0, size[0] // 2, size[1] // 4))  # a mark to check rotation
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Model X"  # Model
    exif[0x013B] = "Budi Santoso"  # Artist
    exif[0x0112] = 6  # Orientation: rotate 90 CW to display
    gps = exif.get_ifd(0x8825)
    gps[1] = "S"
    gps[2] = (6.0, 10.0, 30.0)  # 6°10'30" S: Jakarta
    gps[3] = "E"
    gps[4] = (106.0, 49.0, 12.0)
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif, comment=b"taken at Jl. Merdeka 1")
    return out.getvalue()


def png_with_text() -> bytes:
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Author", "Budi Santoso")
    info.add_text("GPS", "-6.175,106.8272")
    out = io.BytesIO()
    Image.new("RGBA", (300, 200), (10, 120, 10, 128)).save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def png_bomb(side: int = 40_000) -> bytes:
    """A PNG of side x side one-bit pixels, all zero: 1.6 gigapixels
    (200 MB decoded) in a file of about 200 kB."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" * (1 + side // 8)
    packer = zlib.compressobj(9)
    idat = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat)
            + chunk(b"IEND", b""))


def fake_jpegs() -> dict[str, bytes]:
    real = gps_jpeg()
    return {
        "script named .jpg": b"<script>alert(1)</script>",
        "JPEG header, then garbage": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x13\x37" * 2000,
        "truncated JPEG": real[: len(real) // 3],
        "GIF": _gif(),
    }


def _gif() -> bytes:
    out = io.BytesIO()
    Image.new("P", (10, 10)).save(out, format="GIF")
    return out.getvalue()


def stored_photo(session) -> ReportPhoto:
    return session.scalars(select(ReportPhoto)).one()


def assert_no_metadata(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    assert not image.getexif(), "EXIF survived"
    assert "exif" not in image.info and "icc_profile" not in image.info
    assert "comment" not in image.info and "xmp" not in image.info
    assert not getattr(image, "text", {}), "PNG text chunks survived"
    for needle in (b"Exif", b"PhoneMaker", b"Budi", b"Merdeka", b"GPS", b"106.8272"):
        assert needle not in data, needle
    return image


# -- the form ------------------------------------------------------------------


@pytest.fixture
def office(factory):
    return factory.unit("DISDUK")


def form_data(client, office, today, **overrides):
    token = csrf_of(client.get("/lapor").get_data(as_text=True))
    data = {
        "csrf_token": token, "unit": str(office.id), "category": "levy",
        "occurred_on": (today - timedelta(days=2)).isoformat(), "amount": "Rp 200.000",
        "description": "Petugas loket meminta uang Rp200.000 agar berkas diproses hari ini.",
    }
    data.update(overrides)
    return data


def file(client, office, today, **overrides):
    """POST the form as a browser does (multipart). The body is encoded in
    memory: the test client would spool a large one to a temporary file
    that it never closes."""
    values = {}
    for name, value in form_data(client, office, today, **overrides).items():
        if isinstance(value, tuple):
            stream, filename, *kind = value
            value = FileStorage(stream, filename=filename,
                                content_type=kind[0] if kind else "application/octet-stream")
        values[name] = value
    boundary, body = encode_multipart(values)
    return client.post("/lapor", data=body,
                       content_type=f"multipart/form-data; boundary={boundary}")


def test_a_citizen_files_a_report_and_reads_its_status_with_the_code(
        client, session, office, today):
    response = file(client, office, today)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/lapor/terkirim")
    page = client.get("/lapor/terkirim").get_data(as_text=True)
    code = page.split('id="tracking-code">')[1].split("<")[0]
    assert reports.normalise_code(code) == code
    # Shown once: a reload sends the person back to the form.
    assert client.get("/lapor/terkirim").status_code == 303

    report = session.scalars(select(CitizenReport)).one()
    assert (report.unit_id, report.category.value, report.amount_requested) == (
        office.id, "levy", 200_000)
    assert report.tracking_hash != code and code not in report.tracking_hash
    assert report.contact is None and not report.wants_contact

    status = client.get(f"/lapor/{code}")
    assert status.status_code == 200
    assert "Kantor DISDUK" in status.get_data(as_text=True)
    # Typed as people type it: small letters, no dashes, O for 0, I for 1.
    typed = code.lower().replace("-", "").replace("0", "o").replace("1", "i")
    lookup = client.post("/lapor/lacak", data={
        "code": typed, "csrf_token": csrf_of(status.get_data(as_text=True))})
    assert lookup.status_code == 303 and lookup.headers["Location"].endswith(f"/lapor/{code}")


def test_reports_never_touch_survey_responses(client, session, office, today):
    assert file(client, office, today).status_code == 303
    assert session.scalar(select(func.count()).select_from(Response)) == 0
    assert session.scalar(select(func.count()).select_from(PendingResponse)) == 0


def test_an_unknown_code_says_so(client):
    response = client.get("/lapor/AAAA-BBBB-CCCC-DDDD")
    assert response.status_code == 404
    assert "No report has this code" in response.get_data(as_text=True) or \
        "kode ini" in response.get_data(as_text=True)


def test_contact_details_are_kept_only_when_the_box_is_ticked(client, session, office, today):
    file(client, office, today, contact="0812 3456 7890")
    file(client, office, today, contact="0812 3456 7890", wants_contact="yes")
    kept = session.scalars(select(CitizenReport.contact).order_by(CitizenReport.id)).all()
    assert kept == [None, "0812 3456 7890"]


@pytest.mark.parametrize(("field", "value"), [
    ("unit", ""), ("category", "bogus"), ("occurred_on", ""), ("amount", "dua ratus ribu"),
    ("description", "uang"), ("wants_contact", "yes"),
])
def test_a_wrong_field_is_named_and_nothing_is_stored(client, session, office, today, field,
                                                       value):
    response = file(client, office, today, **{field: value})
    assert response.status_code == 422
    field_id = {"wants_contact": "contact"}.get(field, field)
    assert f'id="error-{field_id}"' in response.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(CitizenReport)) == 0


def test_a_date_in_the_future_is_refused(client, session, office, today):
    response = file(client, office, today,
                    occurred_on=(today + timedelta(days=1)).isoformat())
    assert response.status_code == 422 and 'id="error-occurred_on"' in response.get_data(
        as_text=True)


def test_the_form_without_csrf_token_is_refused(client, session, office, today):
    response = file(client, office, today, csrf_token="")
    assert response.status_code == 400
    assert session.scalar(select(func.count()).select_from(CitizenReport)) == 0


def test_the_honeypot_thanks_and_stores_nothing(client, session, office, today):
    response = file(client, office, today, website="http://spam.example")
    assert response.status_code == 303
    assert client.get("/lapor/terkirim").status_code == 200
    assert session.scalar(select(func.count()).select_from(CitizenReport)) == 0


def test_filing_is_rate_limited_per_client(app, client, session, office, today):
    app.config["RATELIMIT_ENABLED"] = True
    statuses = [file(client, office, today).status_code for _ in range(6)]
    assert statuses[:5] == [303] * 5 and statuses[5] == 429
    assert session.scalar(select(func.count()).select_from(CitizenReport)) == 5


def test_the_office_is_preselected_from_an_open_link(client, factory, office):
    campaign = factory.campaign(unit=office)
    link = factory.open_link(campaign, office)
    page = client.get(f"/lapor?o={link.code}").get_data(as_text=True)
    assert f'<option value="{office.id}" selected>' in page
    assert f'name="campaign" value="{campaign.id}"' in page


# -- photos -------------------------------------------------------------------


def test_a_photo_with_gps_exif_is_stored_without_any_metadata(client, session, office, today):
    original = gps_jpeg()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825), "test photo has GPS"
    response = file(client, office, today,
                    photo=(io.BytesIO(original), "IMG_20261201.jpg", "image/jpeg"))
    assert response.status_code == 303
    photo = stored_photo(session)
    image = assert_no_metadata(photo.data)
    assert image.format == "JPEG" and photo.media_type == "image/jpeg"
    # Turned upright as the orientation tag said, before the tag was dropped.
    assert image.size == (480, 640) == (photo.width, photo.height)


def test_a_png_keeps_its_pixels_and_loses_its_text_chunks(client, session, office, today):
    response = file(client, office, today, photo=(io.BytesIO(png_with_text()), "chat.png"))
    assert response.status_code == 303
    image = assert_no_metadata(stored_photo(session).data)
    assert image.format == "PNG" and image.mode == "RGBA"
    assert image.getpixel((5, 5)) == (10, 120, 10, 128)


def test_a_decompression_bomb_is_refused_unread(client, session, office, today):
    bomb = png_bomb()
    assert len(bomb) < 1_000_000
    response = file(client, office, today, photo=(io.BytesIO(bomb), "photo.png", "image/png"))
    assert response.status_code == 422
    assert 'id="error-photo"' in response.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(CitizenReport)) == 0
    assert session.scalar(select(func.count()).select_from(ReportPhoto)) == 0


@pytest.mark.parametrize("name", list(fake_jpegs()))
def test_a_fake_jpeg_is_refused(client, session, office, today, name):
    data = fake_jpegs()[name]
    response = file(client, office, today, photo=(io.BytesIO(data), "photo.jpg", "image/jpeg"))
    assert response.status_code == 422, name
    assert 'id="error-photo"' in response.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(ReportPhoto)) == 0


def test_a_truncated_photo_is_refused_even_after_weasyprint_loosened_pillow(
        client, session, office, today, monkeypatch):
    # Importing WeasyPrint (PDF posters, PDF reports) sets this for the process.
    from PIL import ImageFile

    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    data = fake_jpegs()["truncated JPEG"]
    response = file(client, office, today, photo=(io.BytesIO(data), "photo.jpg", "image/jpeg"))
    assert response.status_code == 422
    assert session.scalar(select(func.count()).select_from(ReportPhoto)) == 0
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True  # left as it was found


def test_a_photo_over_5_mb_is_refused_with_a_message(client, session, office, today):
    big = b"\xff\xd8" + b"\x00" * (photos.MAX_BYTES + 1024)
    response = file(client, office, today, photo=(io.BytesIO(big), "big.jpg", "image/jpeg"))
    assert response.status_code in (413, 422)
    assert "5 MB" in response.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(CitizenReport)) == 0


def test_a_photo_between_2_and_5_mb_is_accepted(client, session, office, today):
    size = 1400 * 1000 * 3
    noisy = Image.frombytes("RGB", (1400, 1000), (bytes(range(251)) * (size // 251 + 1))[:size])
    out = io.BytesIO()
    noisy.save(out, format="PNG", compress_level=0)
    assert 2 * 1024 * 1024 < len(out.getvalue()) < photos.MAX_BYTES
    response = file(client, office, today, photo=(io.BytesIO(out.getvalue()), "big.png"))
    assert response.status_code == 303
    assert stored_photo(session).width == 1400


# -- codes --------------------------------------------------------------------


def test_tracking_codes_are_80_random_bits_in_readable_groups():
    codes = {reports.new_tracking_code() for _ in range(2000)}
    assert len(codes) == 2000
    for code in list(codes)[:50]:
        groups = code.split("-")
        assert [len(g) for g in groups] == [4, 4, 4, 4]
        assert not set(code) & set("ILOU")
        assert reports.normalise_code(code.lower().replace("-", " ")) == code
    assert reports.normalise_code("7KQ4-M9XD-2HPT-W8R") is None
    assert reports.normalise_code("7KQ4-M9XD-2HPT-W8R!") is None


def test_tracking_codes_never_reach_the_access_log():
    import logging

    from survey.logs import LogGuard as RedactTokens

    code = reports.new_tracking_code()
    record = logging.LogRecord("werkzeug", logging.INFO, __file__, 1, '%s - - "%s" %s',
                               ("127.0.0.1", f"GET /lapor/{code} HTTP/1.1", "200"), None)
    RedactTokens().filter(record)
    assert code not in record.getMessage() and "/lapor/<token>" in record.getMessage()
    for page in ("/lapor/terkirim", "/lapor/lacak"):
        record = logging.LogRecord("werkzeug", logging.INFO, __file__, 1, "GET %s", (page,), None)
        RedactTokens().filter(record)
        assert record.getMessage() == f"GET {page}"


def test_the_home_page_leads_to_the_report_form(client):
    html = client.get("/").get_data(as_text=True)
    assert 'href="/lapor"' in html
