"""A campaign run from an empty database through the staff pages: offices
imported, a campaign created and opened, the respondent list imported,
links exported, one link answered, monitoring updated."""

from __future__ import annotations

import csv
import io
import re

from sqlalchemy import func, select
from support import PAGE_ANSWERS, PASSWORD, Browser, csrf_of, sign_in

from survey.models import AuditEntry, Campaign, Delivery, Invitation, ListEntry, Unit
from survey.services import staff

OFFICES = (
    "code,name,parent_code,population_internal\n"
    "DINKES,Dinas Kesehatan,,40\n"
    "RSUD,RSUD Harapan Jaya,DINKES,120\n"
    "PUPR,Dinas Pekerjaan Umum,,60\n"
)
LIST = (
    "unit,kelompok,nama,telepon,email\n"
    "DINKES,internal,,0812-1111-0001,\n"
    "DINKES,internal,Budi,+62 812-1111-0002,\n"
    "RSUD,internal,,6281211110003,rsud3@kota.example\n"
    "PUPR,internal,,(0812) 1111 0004,\n"
)


def post_form(client, page_url: str, action: str, data: dict, **kwargs):
    """Open ``page_url``, then post ``data`` with its CSRF token to ``action``."""
    token = csrf_of(client.get(page_url).get_data(as_text=True))
    return client.post(action, data={**data, "csrf_token": token}, **kwargs)


def upload(content: str, name: str):
    return (io.BytesIO(content.encode("utf-8")), name)


def test_a_campaign_runs_end_to_end_through_the_staff_pages(app, client, session,
                                                             small_instrument_text, today):
    from survey.services.instruments import register_instrument

    app.config["PUBLIC_BASE_URL"] = "https://spi.example.go.id"
    register_instrument(session, small_instrument_text, source="small")
    staff.create_user(session, email="admin@inspektorat.example", name="Admin", role="admin",
                      password=PASSWORD)
    assert sign_in(client, "admin@inspektorat.example").status_code == 303

    created = post_form(client, "/staff/units", "/staff/institutions",
                        {"new-code": "KHJ", "new-name": "Kota Harapan Jaya"})
    assert created.status_code == 303
    institution_id = int(re.search(r"institution=(\d+)", created.headers["Location"]).group(1))
    imported = post_form(client, f"/staff/units?institution={institution_id}",
                         "/staff/units/import",
                         {"institution": institution_id, "file": upload(OFFICES, "kantor.csv")},
                         content_type="multipart/form-data")
    assert imported.status_code == 303, imported.get_data(as_text=True)
    page = client.get(imported.headers["Location"]).get_data(as_text=True)
    assert "3 kantor ditambahkan" in page and "RSUD Harapan Jaya" in page
    rsud = session.scalar(select(Unit).where(Unit.code == "RSUD"))
    assert rsud.parent.code == "DINKES" and rsud.population("internal") == 120

    form_page = client.get("/staff/campaigns/new").get_data(as_text=True)
    version_id = re.search(r'<option value="(\d+)"[^>]*>small 1</option>', form_page).group(1)
    made = post_form(client, "/staff/campaigns/new", "/staff/campaigns/new", {
        "institution": institution_id, "name": "SPI Kota Harapan Jaya", "period": "2026",
        "opens_on": today.isoformat(), "closes_on": today.replace(day=28).isoformat()
        if today.day < 28 else today.isoformat(), "target": "72", "version": version_id})
    assert made.status_code == 303, made.get_data(as_text=True)
    campaign = session.scalar(select(Campaign))
    base = f"/staff/campaigns/{campaign.id}"
    assert campaign.status == "draft"

    refused = post_form(client, base, f"{base}/open", {})
    assert "belum ada yang dapat menjawab" in client.get(refused.headers["Location"]).get_data(
        as_text=True)

    listed = post_form(client, f"{base}/list", f"{base}/list",
                       {"file": upload(LIST, "daftar.csv"), "invite": "y"},
                       content_type="multipart/form-data")
    assert listed.status_code == 303, listed.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(ListEntry)) == 4
    assert session.scalar(select(func.count()).select_from(Invitation)) == 4
    phones = set(session.scalars(select(ListEntry.phone)))
    assert phones == {"+6281211110001", "+6281211110002", "+6281211110003", "+6281211110004"}

    assert post_form(client, base, f"{base}/open", {}).status_code == 303
    session.refresh(campaign)
    assert campaign.status == "open"

    page = client.get(base).get_data(as_text=True)
    exported = post_form(client, base, f"{base}/export", {"unit": 0})
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(exported.get_data(as_text=True).lstrip("\ufeff"))))
    assert len(rows) == 4 and set(rows[0]) == {"unit", "group", "phone", "email", "link",
                                                "whatsapp_url", "message"}
    assert all(r["link"] in r["message"] for r in rows)
    assert all(r["whatsapp_url"].startswith("https://wa.me/62812111100") for r in rows)
    link = next(r["link"] for r in rows if r["unit"] == "DINKES")
    assert link.startswith("https://spi.example.go.id/r/")
    assert session.scalar(select(func.count()).select_from(Delivery)) == 4

    respondent = Browser(app.test_client(), link.removeprefix("https://spi.example.go.id"))
    assert respondent.answer_all(PAGE_ANSWERS).headers["Location"].endswith("/selesai")

    page = client.get(f"/staff/?campaign={campaign.id}").get_data(as_text=True)
    dinkes = page[page.index("Dinas Kesehatan"):page.index("Dinas Pekerjaan Umum")]
    cells = re.findall(r'<td class="num">([^<]*)</td>', dinkes)
    # listed, invited, sent, failed, answered, rate, recommended, progress, margin
    assert cells[:6] == ["2", "2", "2", "0", "1", "50%"]
    actions = set(session.scalars(select(AuditEntry.action)))
    assert {"institution.create", "units.import", "campaign.create", "list.import",
            "invitations.create", "campaign.open", "invitations.export"} <= actions
