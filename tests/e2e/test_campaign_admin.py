"""An administrator runs a campaign in Chromium on a phone (390 x 844), from
an empty database: offices imported, campaign created and opened, the list
imported, links exported, one link answered, monitoring updated."""

from __future__ import annotations

import csv
import io
import os
import re
from datetime import timedelta

import pytest

if os.environ.get("CI") != "true":  # under CI a missing playwright must fail the run
    pytest.importorskip(
        "playwright.sync_api", reason="the playwright package is not installed; browser tests"
    )
from browsing import FILL, SHOW_ALL  # noqa: E402
from playwright.sync_api import Page, expect  # noqa: E402
from support import PASSWORD  # noqa: E402

from survey.services import staff  # noqa: E402

OFFICES = ("kode,nama,kode_induk,populasi_internal\n"
           "DINKES,Dinas Kesehatan,,40\n"
           "RSUD,RSUD Harapan Jaya,DINKES,120\n"
           "PUPR,Dinas Pekerjaan Umum dan Penataan Ruang,,60\n")
PEOPLE = ("unit,kelompok,nama,telepon,email\n"
          "DINKES,internal,,0812-1111-0001,\n"
          "DINKES,internal,,+62 812-1111-0002,\n"
          "RSUD,internal,,6281211110003,\n"
          "PUPR,internal,,(0812) 1111 0004,\n"
          "PUPR,expert,,,pakar@kampus.example\n")


def tap(page: Page, name: str) -> None:
    page.get_by_role("button", name=name).tap()


def test_an_admin_runs_a_campaign_from_an_empty_database(
        app, session, new_context, live_server, screenshot, tmp_path, today):
    app.config["PUBLIC_BASE_URL"] = live_server
    staff.create_user(session, email="admin@inspektorat.example", name="Admin Inspektorat",
                      role="admin", password=PASSWORD)
    offices, people = tmp_path / "kantor.csv", tmp_path / "daftar.csv"
    offices.write_text(OFFICES, encoding="utf-8")
    people.write_text(PEOPLE, encoding="utf-8")
    wrong = tmp_path / "daftar-salah.csv"
    wrong.write_text(PEOPLE + "DINKES,internal,,12345,\nNOPE,internal,,0812-1111-0009,\n",
                     encoding="utf-8")

    admin = new_context().new_page()
    admin.goto("/staff/login")
    admin.get_by_label("Email").fill("admin@inspektorat.example")
    admin.get_by_label("Kata sandi").fill(PASSWORD)
    tap(admin, "Masuk")
    expect(admin.locator("h1")).to_have_text("Kemajuan survei")

    admin.get_by_role("link", name="Kantor", exact=True).tap()
    admin.locator("#new-code").fill("KHJ")
    admin.locator("#new-name").fill("Pemerintah Kota Harapan Jaya")
    tap(admin, "Tambahkan instansi")
    expect(admin.locator(".notice")).to_contain_text("Instansi Pemerintah Kota Harapan Jaya siap")
    admin.locator("#file").set_input_files(str(offices))
    tap(admin, "Periksa dan impor")
    expect(admin.locator(".notice")).to_contain_text("3 kantor ditambahkan")
    expect(admin.get_by_role("rowheader", name="— RSUD Harapan Jaya")).to_be_visible()
    screenshot(admin, "offices-imported")

    admin.get_by_role("link", name="Survei", exact=True).tap()
    admin.get_by_role("link", name="Survei baru").tap()
    admin.get_by_label("Nama").fill("SPI Kota Harapan Jaya")
    admin.get_by_label("Dibuka pada").fill(today.isoformat())
    admin.get_by_label("Ditutup pada").fill((today + timedelta(days=30)).isoformat())
    screenshot(admin, "campaign-form")
    tap(admin, "Buat survei")
    expect(admin.locator(".notice")).to_contain_text("Survei dibuat sebagai draf")
    campaign_url = admin.url

    admin.get_by_role("link", name="Impor daftar responden").tap()
    expect(admin.get_by_text("Platform tidak pernah memerlukan nama")).to_be_visible()
    admin.locator("#file").set_input_files(str(wrong))
    tap(admin, "Periksa dan impor")
    problems = admin.locator(".problems li")
    expect(problems).to_have_text(["Baris 7 (telepon): 12345 bukan nomor telepon",
                                   "Baris 8 (unit): tidak ada kantor aktif dengan kode NOPE"])
    expect(admin.locator(".notice")).to_contain_text("Tidak ada yang disimpan")
    screenshot(admin, "list-refused")
    admin.locator("#file").set_input_files(str(people))
    tap(admin, "Periksa dan impor")
    expect(admin.locator(".notice")).to_contain_text("5 orang diimpor; undangan dibuat: 5")
    tap(admin, "Buka survei")
    expect(admin.locator(".notice")).to_contain_text("Survei dibuka")
    screenshot(admin, "campaign-open")

    with admin.expect_download() as download:
        tap(admin, "Unduh tautan (CSV)")
    exported = download.value.path().read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert len(rows) == 5 and all(r["link"].startswith(f"{live_server}/r/") for r in rows)
    link = next(r["link"] for r in rows if r["unit"] == "DINKES")

    respondent = new_context().new_page()
    respondent.goto(link)
    expect(respondent.get_by_text("Survei ini diselenggarakan oleh")).to_be_visible()
    screenshot(respondent, "respondent-intro")
    tap(respondent, "Mulai")
    expect(respondent).to_have_url(re.compile(r"/r/[^/]+/1$"))
    respondent.wait_for_load_state("load")
    while not respondent.url.endswith("/selesai"):
        respondent.evaluate(FILL, SHOW_ALL)
        current = respondent.url
        send = respondent.locator("button[value=submit]")
        (send if send.count() else respondent.locator("button[value=next]")).tap()
        expect(respondent).not_to_have_url(current)
        respondent.wait_for_load_state("load")
    expect(respondent.locator("h1")).to_have_text("Terima kasih, jawaban Anda sudah kami terima")

    admin.goto(campaign_url)
    expect(admin.locator("h1")).to_contain_text("SPI Kota Harapan Jaya")
    admin.get_by_role("link", name="Kemajuan", exact=True).tap()
    expect(admin.get_by_text("Menjawab: 1 dari 5 yang diundang (20%).")).to_be_visible()
    row = admin.locator("tr", has=admin.get_by_role("rowheader", name="Dinas Kesehatan"))
    cells = row.locator("td.num").all_inner_texts()
    assert cells[:6] == ["2", "2", "2", "0", "1", "50%"], cells
    assert re.fullmatch(r"± \d+(\.\d)?", cells[8]) or cells[8] == "–"
    screenshot(admin, "monitoring-updated")


def test_anyone_checks_a_message_on_the_check_page(app, factory, browser_page, live_server,
                                                   screenshot):
    app.config["PUBLIC_BASE_URL"] = live_server
    campaign = factory.campaign(unit=factory.unit("DISDUKCAPIL"), name="SPI Kota Uji 2026")
    _, token = factory.invitation(campaign)
    page = browser_page
    page.goto("/cek")
    page.get_by_label("Pesan atau tautannya").fill(
        f"Yth. Bapak/Ibu, Inspektorat mengundang Anda mengisi SPI Kota Uji 2026: "
        f"{live_server}/r/{token} Ragu? Periksa di {live_server}/cek")
    page.get_by_role("button", name="Periksa", exact=True).tap()
    expect(page.locator(".verdict h2")).to_have_text("Asli")
    expect(page.locator(".verdict")).to_contain_text("Kantor DISDUKCAPIL")
    screenshot(page, "check-genuine")
    host = live_server.split("//")[1].split(":")[0]
    page.get_by_label("Pesan atau tautannya").fill(
        f"https://{host.replace('127.0.0.1', '127.0.0.1.survei-kpk.info')}/r/{token}")
    page.get_by_role("button", name="Periksa", exact=True).tap()
    expect(page.locator(".verdict h2")).to_have_text("Hati-hati")
    expect(page.locator(".verdict")).to_contain_text("meniru alamat platform ini")
    screenshot(page, "check-lookalike")
