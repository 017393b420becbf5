"""/cek and `survey check`: a genuine link of this platform told from a fake
or mistyped one, read-only, silent about whether a link was used, rate
limited; the respondent pages point to it."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import text
from support import Browser, csrf_of

from survey.models import Base, CampaignStatus
from survey.services import verification

HOST = "spi.example.go.id"
BASE = f"https://{HOST}"


@pytest.fixture
def links(app, factory):
    app.config["PUBLIC_BASE_URL"] = BASE
    campaign = factory.campaign(unit=factory.unit("DINKES"), name="SPI Kota Uji 2026")
    _, unused = factory.invitation(campaign)
    _, used = factory.invitation(campaign, used=True)
    closed = factory.campaign(status=CampaignStatus.CLOSED, name="SPI Lama",
                              unit=factory.unit("PUPR"))
    _, old = factory.invitation(closed)
    return {"unused": unused, "used": used, "closed": old,
            "open": factory.open_link(campaign).code}


def check(session, pasted, today):
    return verification.check(session, pasted, official_host=HOST, today=today)


MESSAGE = ("Yth. Bapak/Ibu di Kantor DINKES,\n\nInspektorat Kota Uji mengundang Anda mengisi "
           "SPI Kota Uji 2026. Tautan pribadi Anda:\n{link}\n\nRagu? Periksa di "
           f"{BASE}/cek")


@pytest.mark.parametrize(("pasted", "verdict"), [
    ("{base}/r/{unused}", "genuine"),
    ("{base}/r/{used}", "genuine"),                       # used or not: the same answer
    ("spi.example.go.id/r/{unused}", "genuine"),          # without the scheme
    ("SPI.Example.go.id/r/{unused}.", "genuine"),         # capitals, a full stop after it
    ("{base}/o/{open}", "genuine"),
    ("{base}/r/{closed}", "genuine_not_open"),
    ("{base}/r/{unused}xyz", "ours_unknown"),             # mistyped or cut token
    ("{base}/r/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "ours_unknown"),
    ("https://spi.examp1e.go.id/r/{unused}", "lookalike"),   # a 1 for an l
    ("https://spi-example.go.id/r/{unused}", "lookalike"),
    ("https://spi.example.go.id.survei-kpk.info/r/{unused}", "lookalike"),
    ("http://spi.exarnple.go.id/r/{unused}", "lookalike"),  # rn for m
    ("https://bit.ly/3xYz", "foreign"),
    ("https://survei-integritas.com/isi?id=12", "foreign"),
    ("tidak ada tautan di sini", "no_link"),
])
def test_genuine_links_are_told_from_fake_and_mistyped_ones(session, links, today, pasted,
                                                            verdict):
    pasted = pasted.format(base=BASE, **links)
    assert check(session, pasted, today).verdict == verdict


def test_a_whole_whatsapp_message_is_understood(session, links, today):
    result = check(session, MESSAGE.format(link=f"{BASE}/r/{links['unused']}"), today)
    assert result.genuine
    finding = next(f for f in result.findings if f.kind == "personal")
    assert (finding.campaign, finding.office) == ("SPI Kota Uji 2026", "Kantor DINKES")
    assert links["unused"] not in finding.text   # the token is not echoed whole


def test_a_message_with_a_genuine_and_a_fake_link_is_not_trusted(session, links, today):
    pasted = f"{BASE}/r/{links['unused']} atau isi di https://spi-example.go.id/login"
    assert check(session, pasted, today).verdict == "lookalike"


def _snapshot(session):
    rows = {}
    for table in Base.metadata.sorted_tables:
        rows[table.name] = sorted(map(repr, session.execute(
            text(f'SELECT * FROM "{table.name}"')).all()))
    return rows


def test_the_page_answers_in_indonesian_and_changes_nothing(client, session, links):
    before = _snapshot(session)
    page = client.get("/cek").get_data(as_text=True)
    assert "Apakah pesan ini asli?" in page
    answers = {}
    for name in ("unused", "used"):
        response = client.post("/cek", data={"csrf_token": csrf_of(page),
                                             "text": MESSAGE.format(link=f"{BASE}/r/{links[name]}")})
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        # The form's fresh CSRF token carries a timestamp; it differs between any two pages.
        answers[name] = re.sub(r'name="csrf_token"[^>]*>', "", html.replace(links[name][:4], ""))
        assert "Ini tautan asli dari platform ini" in html and "Kantor DINKES" in html
        assert "+62 812-0000-1111" in html and "spi@inspektorat.example.go.id" in html
        assert links[name] not in html
    assert answers["used"] == answers["unused"]   # nothing tells a used link from an unused one
    fake = client.post("/cek", data={"csrf_token": csrf_of(page),
                                     "text": f"https://spi.examp1e.go.id/r/{links['unused']}"})
    assert "Hati-hati: alamat ini meniru alamat platform ini" in fake.get_data(as_text=True)
    assert _snapshot(session) == before


def test_the_page_is_rate_limited(app, client, links):
    from survey.respond.check import CHECK_LIMIT

    per_minute = int(CHECK_LIMIT.split()[0])
    page = client.get("/cek").get_data(as_text=True)
    codes = [client.post("/cek", data={"csrf_token": csrf_of(page), "text": "halo"}).status_code
             for _ in range(per_minute + 1)]
    assert codes[:per_minute] == [200] * per_minute and codes[-1] == 429


def test_an_empty_check_says_what_to_do(client, links):
    page = client.get("/cek").get_data(as_text=True)
    response = client.post("/cek", data={"csrf_token": csrf_of(page), "text": ""})
    assert response.status_code == 422
    assert "Tempelkan pesan atau tautannya." in response.get_data(as_text=True)


def test_the_intro_names_the_inspectorate_its_contact_spi_and_the_check_page(client, links):
    page = Browser(client, f"/r/{links['unused']}").get().get_data(as_text=True)
    assert "Inspektorat Kota Uji" in page and "0812-0000-1111 (WhatsApp Inspektorat)" in page
    assert "Survei Penilaian Integritas" in page and "KPK" in page
    assert 'href="/cek"' in page


@pytest.mark.parametrize("path", ["/", "/selesai", "/r/unknownlink123"])
def test_every_respondent_page_links_the_check_page(client, links, path):
    assert 'href="/cek"' in client.get(path).get_data(as_text=True)


def test_a_revoked_link_says_it_was_replaced(session, factory, links, client):
    from sqlalchemy import select

    from survey.models import Invitation
    from survey.services import invitations

    old = session.scalar(select(Invitation).where(Invitation.used.is_(False)))
    invitations.reissue(session, old, seal=factory.seal, actor=None)
    response = client.get(f"/r/{links['unused']}")
    assert response.status_code == 410 and "Tautan ini sudah diganti" in response.get_data(
        as_text=True)
    assert check(session, f"{BASE}/r/{links['unused']}", factory.today).verdict == "replaced"
