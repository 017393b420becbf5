"""A fictional city government with two survey campaigns, for trying the
platform: ``survey demo``.

Kota Harapan Jaya and its offices do not exist. Answers are drawn from a
simple latent model: each office has an integrity level and a profile over
the seven dimensions (procurement weak at public works, HR weak at the
personnel agency, brokers at the licensing office...), each respondent
varies around it. A few careless respondents (speeders, straight-liners,
nearly blank forms) and one steered cluster of identical answers are mixed
in, so that screening has something to find.
"""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

import analysis
from survey.models import (
    CampaignStatus,
    Channel,
    CitizenReport,
    Correction,
    Institution,
    Invitation,
    ListEntry,
    ReportCategory,
    ReportStatus,
    Response,
    Role,
    Unit,
)
from survey.models.base import random_id
from survey.questionnaire import is_shown

from . import campaigns, invitations, respondents, results, staff
from . import units as unit_service
from .instruments import default_instrument_text, register_instrument
from .tokens import LinkSeal, new_code, token_hash

INSTITUTION_CODE = "KHJ"
SEED = 20261127


@dataclass(frozen=True)
class DemoUnit:
    code: str
    name: str
    level: float  # latent integrity, 0-100
    staff: int  # internal population
    users: int  # yearly service users (external population)
    parent: str | None = None
    weak: dict[str, float] = field(default_factory=dict)  # dimension -> points below level
    change: float = 1.0  # points gained since last year


UNITS = (
    DemoUnit(
        "DISDUKCAPIL",
        "Dinas Kependudukan dan Pencatatan Sipil",
        79,
        96,
        42000,
        weak={"integritas_tugas": 6},
        change=2.5,
    ),
    DemoUnit(
        "DPMPTSP",
        "Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu",
        70,
        74,
        18500,
        weak={"trading_influence": 12, "integritas_tugas": 8},
        change=1.5,
    ),
    DemoUnit("DINKES", "Dinas Kesehatan", 76, 180, 9000, weak={"pbj": 8}),
    DemoUnit(
        "RSUD",
        "RSUD Harapan Jaya",
        73,
        420,
        65000,
        parent="DINKES",
        weak={"pbj": 10, "integritas_tugas": 5},
        change=-1.0,
    ),
    DemoUnit("PKM-MAWAR", "Puskesmas Mawar", 82, 38, 14000, parent="DINKES"),
    DemoUnit("DISDIK", "Dinas Pendidikan", 71, 150, 12000, weak={"sdm": 9, "anggaran": 6}),
    DemoUnit(
        "PUPR",
        "Dinas Pekerjaan Umum dan Penataan Ruang",
        64,
        210,
        3500,
        weak={"pbj": 16, "trading_influence": 10},
        change=3.0,
    ),
    DemoUnit(
        "DISHUB",
        "Dinas Perhubungan",
        66,
        160,
        27000,
        weak={"integritas_tugas": 12, "transparansi": 6},
        change=-2.0,
    ),
    DemoUnit("BAPPEDA", "Badan Perencanaan Pembangunan Daerah", 80, 62, 400, weak={"anggaran": 4}),
    DemoUnit(
        "BPKAD",
        "Badan Pengelolaan Keuangan dan Aset Daerah",
        77,
        88,
        900,
        weak={"anggaran": 7, "pbj": 5},
    ),
    DemoUnit(
        "BKPSDM",
        "Badan Kepegawaian dan Pengembangan Sumber Daya Manusia",
        69,
        70,
        2600,
        weak={"sdm": 15},
        change=4.0,
    ),
    DemoUnit(
        "SATPOLPP", "Satuan Polisi Pamong Praja", 67, 240, 5000, weak={"integritas_tugas": 10}
    ),
    DemoUnit("DINSOS", "Dinas Sosial", 78, 85, 11000, weak={"anggaran": 5}),
    DemoUnit(
        "BAPENDA",
        "Badan Pendapatan Daerah",
        74,
        110,
        30000,
        weak={"integritas_tugas": 7, "transparansi": 4},
        change=2.0,
    ),
    DemoUnit("KEC-UTARA", "Kecamatan Harapan Utara", 81, 45, 16000),
    DemoUnit(
        "KEC-SELATAN", "Kecamatan Harapan Selatan", 75, 41, 15000, weak={"trading_influence": 6}
    ),
)

COMMENTS = (
    "Pelayanan sudah lebih cepat dari tahun lalu.",
    "Mohon jadwal dan biaya layanan dipasang lebih jelas di loket.",
    "Antrean panjang pada hari Senin.",
    "Petugas ramah dan membantu.",
    "Masih ada orang di luar kantor yang menawarkan jasa percepatan.",
    "Sosialisasi saluran pengaduan perlu diperbanyak.",
)

REPORTS = (
    (
        "DPMPTSP",
        ReportCategory.BROKER,
        "Di depan gerbang ada orang yang menawarkan izin usaha "
        "selesai dalam dua hari dengan membayar Rp1.500.000.",
        1_500_000,
        ReportStatus.FORWARDED,
    ),
    (
        "DISHUB",
        ReportCategory.ILLEGAL_LEVY,
        "Saat uji KIR diminta uang tambahan Rp200.000 tanpa kuitansi.",
        200_000,
        ReportStatus.IN_REVIEW,
    ),
    (
        "DISDUKCAPIL",
        ReportCategory.BRIBE,
        "Petugas bilang KTP bisa jadi hari ini kalau ada 'uang rokok'.",
        100_000,
        ReportStatus.RECEIVED,
    ),
    (
        "RSUD",
        ReportCategory.OTHER,
        "Biaya yang ditagih berbeda dengan tarif yang ditempel di dinding.",
        None,
        ReportStatus.RECEIVED,
    ),
    (
        "PUPR",
        ReportCategory.BROKER,
        "Ada perantara yang menjanjikan rekomendasi teknis PBG lebih cepat.",
        5_000_000,
        ReportStatus.CLOSED,
    ),
    (
        "SATPOLPP",
        ReportCategory.ILLEGAL_LEVY,
        "Pedagang diminta setoran mingguan agar tidak ditertibkan.",
        50_000,
        ReportStatus.IN_REVIEW,
    ),
)


@dataclass
class DemoResult:
    """What ``survey demo`` prints once: the log-ins and links to try."""

    created: bool
    logins: list[tuple[str, str, str]] = field(default_factory=list)  # role, email, password
    sample_links: list[tuple[str, str]] = field(default_factory=list)  # unit name, path
    open_links: list[tuple[str, str]] = field(default_factory=list)
    responses: int = 0
    invitations: int = 0


def seed_demo(session: Session, *, today: date, seal: LinkSeal | None = None) -> DemoResult:
    """Create the demo city unless it exists (then nothing is changed).

    Built from the platform's own use cases (offices imported from a
    spreadsheet, campaigns created and opened, the respondent list imported
    and invited), each asked not to commit: the city is written in one
    transaction at the end, so a failure midway leaves nothing behind.
    ``today`` is the platform's date (:func:`survey.clock.today`); ``seal``
    keeps the links so that staff can show them again (the app's SECRET_KEY).
    """
    if session.scalar(select(Institution).where(Institution.code == INSTITUTION_CODE)):
        return DemoResult(created=False)
    try:
        result = _seed(session, today, seal)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return result


def _seed(session: Session, today: date, seal: LinkSeal | None) -> DemoResult:
    rng = random.Random(SEED)  # noqa: S311 - reproducible fake data; secrets come from `secrets`
    version = register_instrument(session, default_instrument_text(), source="spi-standard.yaml",
                                  commit=False)
    instrument = version.instrument
    city = unit_service.institution(session, INSTITUTION_CODE,
                                    name="Pemerintah Kota Harapan Jaya", commit=False)
    imported = unit_service.import_units(session, city, _units_csv(), "kota-harapan-jaya.csv",
                                         commit=False)
    if not imported.ok:  # the demo's own table is wrong: a bug, not bad input
        raise RuntimeError(f"demo offices refused: {imported.problems}")
    units = {u.code: u for u in session.scalars(select(Unit).where(
        Unit.institution_id == city.id))}

    last_year = campaigns.create(
        session, city, name=f"SPI Kota Harapan Jaya {today.year - 1}",
        period=str(today.year - 1), target=72, opens_on=date(today.year - 1, 8, 1),
        closes_on=date(today.year - 1, 10, 31), version=version, commit=False)
    this_year = campaigns.create(
        session, city, name=f"SPI Kota Harapan Jaya {today.year}", period=str(today.year),
        target=72, opens_on=today - timedelta(days=30), closes_on=today + timedelta(days=45),
        version=version, commit=False)

    result = DemoResult(created=True)
    generator = _AnswerGenerator(instrument, rng)
    phones = _FakeContacts()
    for campaign, year_shift, progress in ((last_year, -1, 1.0), (this_year, 0, 0.8)):
        campaigns.ensure_open_links(session, campaign, commit=False)
        rows, invited = _campaign_rows(generator, campaign, units, year_shift, progress, today,
                                       rng)
        rng.shuffle(rows)
        session.execute(insert(Response), rows)
        result.responses += len(rows)
        if campaign is this_year:
            result.invitations += _invite_this_year(session, campaign, units, invited, phones,
                                                    seal)
        else:
            made = invitations.issue(session, campaign, (
                invitations.Invitee(units[code].id, group, *phones.contact(group),
                                    used=i < answered, sent=True)
                for code, group, count, answered in invited for i in range(count)),
                seal=None)
            result.invitations += len(made)
    last_year.status = CampaignStatus.CLOSED  # a past campaign, seeded as it ended
    campaigns.open_campaign(session, this_year, today=today, commit=False)
    result.open_links = [(link.unit.name, f"/o/{link.code}") for link in sorted(
        this_year.open_links, key=lambda link: link.unit.code)]

    # Links to try the questionnaire as an employee: printed once.
    for spec in UNITS[:3]:
        (_, token), = invitations.issue(session, this_year, [invitations.Invitee(
            units[spec.code].id, "internal", phones.contact("internal")[0], sent=True)],
            seal=seal)
        result.sample_links.append((spec.name, f"/r/{token}"))

    for code, category, text, amount, status in REPORTS:
        session.add(
            CitizenReport(
                tracking_hash=token_hash(new_code(8)),
                unit=units[code],
                campaign=this_year,
                category=category,
                description=text,
                amount_requested=amount,
                occurred_on=today - timedelta(days=rng.randint(3, 40)),
                wants_contact=False,
                status=status,
                received_on=today - timedelta(days=rng.randint(0, 3)),
                status_note="Diteruskan ke Inspektorat untuk pemeriksaan."
                if status == ReportStatus.FORWARDED
                else None,
            )
        )
    session.add(
        Correction(
            campaign=last_year,
            unit=units["PUPR"],
            points=2.5,
            reason="Putusan pengadilan atas kasus suap pengadaan jalan (fiktif).",
        )
    )
    # The dashboard opens on computed results: last year's first, so that
    # this year's can be compared with it.
    for campaign in (last_year, this_year):
        results.request_refresh(session, campaign.id)

    for role, email, unit_code in (
        (Role.ADMIN, "admin@harapanjaya.example", None),
        (Role.INSPECTOR, "inspektur@harapanjaya.example", None),
        (Role.UNIT_MANAGER, "kadis.dukcapil@harapanjaya.example", "DISDUKCAPIL"),
        (Role.AUDITOR, "auditor@harapanjaya.example", None),
    ):
        password = staff.generate_password()
        staff.create_user(
            session,
            email=email,
            name=email.split("@")[0],
            role=role,
            password=password,
            unit_code=unit_code,
            institution_code=INSTITUTION_CODE,
            commit=False,
        )
        result.logins.append((role.value, email, password))
    return result


def _units_csv() -> bytes:
    """The demo offices as the spreadsheet an inspectorate would upload."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["code", "name", "parent_code", "population_internal",
                     "population_external", "population_expert"])
    for spec in UNITS:
        writer.writerow([spec.code, spec.name, spec.parent or "", spec.staff, spec.users, 30])
    return out.getvalue().encode("utf-8")


class _FakeContacts:
    """Phone numbers in +62 812 0000 xxxx, a range not handed out to
    subscribers, so that demo messages can never reach a real person; email
    addresses on example domains."""

    def __init__(self):
        self.count = 0

    def contact(self, group: str) -> tuple[str | None, str | None]:
        self.count += 1
        if group == "internal":
            return f"+628120000{self.count % 10000:04d}", None
        return None, f"pakar{self.count}@kampus.example"


def _invite_this_year(session, campaign, units, invited, phones, seal) -> int:
    """This year's list, imported as a spreadsheet and invited; those who
    answered are marked so, as the demo's responses say."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["unit", "kelompok", "telepon", "email"])
    wanted = {}
    for code, group, count, answered in invited:
        for _ in range(count):
            phone, email = phones.contact(group)
            writer.writerow([code, group, phone or "", email or ""])
        wanted[(units[code].id, group)] = answered
    report = respondents.import_list(session, campaign, out.getvalue().encode("utf-8"),
                                     "daftar-responden.csv", commit=False)
    if not report.ok:
        raise RuntimeError(f"demo list refused: {report.problems[:3]}")
    made = invitations.invite_listed(session, campaign, seal=seal, commit=False) if seal \
        else _invite_unsealed(session, campaign)
    for invitation in session.scalars(select(Invitation).where(
            Invitation.campaign_id == campaign.id).order_by(Invitation.id)):
        key = (invitation.unit_id, invitation.respondent_group)
        invitation.sent = True
        if wanted.get(key, 0) > 0:
            invitation.used = True
            wanted[key] -= 1
    session.flush()
    return made


def _invite_unsealed(session, campaign) -> int:
    entries = list(session.scalars(select(ListEntry).where(ListEntry.campaign_id == campaign.id)))
    invitations.issue(session, campaign, (invitations.Invitee(
        e.unit_id, e.respondent_group, e.phone, e.email, e) for e in entries), seal=None)
    return len(entries)


def _campaign_rows(generator, campaign, units, year_shift, progress, today, rng):
    """Responses (as insert dicts) for one campaign, and who was invited:
    (office code, group, invited, answered) per invited group."""
    rows, invited = [], []
    days = max(1, (min(today, campaign.closes_on) - campaign.opens_on).days)
    steered_unit = "DPMPTSP"
    for spec in UNITS:
        unit = units[spec.code]
        level = spec.level + (spec.change * year_shift)
        sizes = {
            "internal": round(min(spec.staff * 0.8, 35 + spec.staff * 0.4) * progress),
            "external": round((70 + min(spec.users, 40000) / 450) * progress),
            "expert": rng.randint(2, 7),
        }
        for group, n in sizes.items():
            if group not in generator.instrument.groups:
                continue
            channel = Channel.OPEN if group == "external" else Channel.INVITED
            steered = group == "internal" and spec.code == steered_unit and year_shift == 0
            answers_list = [generator.response(group, level, spec.weak) for _ in range(n)]
            if steered:
                template = generator.response(group, 95, {})
                answers_list.extend(dict(template) for _ in range(7))
            for answers in answers_list:
                duration = generator.duration(group, answers)
                rows.append(
                    dict(
                        id=random_id(),
                        campaign_id=campaign.id,
                        unit_id=unit.id,
                        respondent_group=group,
                        instrument_version_id=campaign.instrument_version_id,
                        answers=answers,
                        cells=analysis.encode_answers(generator.instrument, group, answers),
                        duration_s=duration,
                        channel=channel,
                        submitted_on=campaign.opens_on + timedelta(days=rng.randint(0, days)),
                    )
                )
            if channel == Channel.INVITED:
                answered = len(answers_list)
                rate = rng.uniform(0.55, 0.85)
                invited.append((spec.code, group, max(answered, round(answered / rate)),
                                answered))
    return rows, invited


class _AnswerGenerator:
    """Draws believable answers for one instrument."""

    def __init__(self, instrument: analysis.Instrument, rng: random.Random):
        self.instrument = instrument
        self.rng = rng
        self.questions = {g: instrument.questions_of(g) for g in instrument.groups}

    def response(self, group: str, level: float, weak: dict[str, float]) -> dict[str, str]:
        rng = self.rng
        kind = rng.random()
        person = rng.gauss(0, 9)  # this respondent's own leaning
        careful = rng.uniform(0.02, 0.10)  # chance of "don't know" per question
        answers: dict[str, str] = {}
        scored = [q for q in self.questions[group] if q.scored]
        if kind < 0.015 and scored:  # straight-liner: same code everywhere
            code = rng.choice([o.code for o in scored[0].options if o.score is not None])
            for question in self.questions[group]:
                if question.scored and question.option(code) and is_shown(question, answers):
                    answers[question.id] = code
            return answers
        for question in self.questions[group]:
            if not is_shown(question, answers):
                continue
            if kind < 0.025 and question.scored and rng.random() < 0.9:
                continue  # nearly blank form: incomplete
            if question.type == "choice" and question.dimension is None:
                answers[question.id] = rng.choice(question.options).code
            elif question.type == "choice":
                target = level - weak.get(question.dimension, 0) + person + rng.gauss(0, 14)
                answers[question.id] = self._pick(question, target, careful)
            elif question.type == "multi":
                picks = rng.sample(
                    question.options, k=rng.randint(1, min(2, len(question.options)))
                )
                chosen = {o.code for o in picks}
                answers[question.id] = ";".join(
                    o.code for o in question.options if o.code in chosen
                )
            elif question.type == "number":
                low = question.min if question.min is not None else 0
                high = question.max if question.max is not None else 1_000_000
                if rng.random() < 0.5:
                    answers[question.id] = str(int(rng.uniform(low, min(high, low + 1_000_000))))
            elif question.type == "text" and rng.random() < 0.08:
                answers[question.id] = rng.choice(COMMENTS)
        return answers

    def _pick(self, question: analysis.Question, target: float, careful: float) -> str:
        unknown = [o for o in question.options if o.score is None]
        if unknown and self.rng.random() < careful:
            return unknown[0].code
        scored = [o for o in question.options if o.score is not None]
        return min(scored, key=lambda o: abs(o.score - target)).code

    def duration(self, group: str, answers: dict[str, str]) -> int:
        rng = self.rng
        if rng.random() < 0.02:  # speeder: about one second per answer
            return max(5, round(len(answers) * rng.uniform(0.5, 1.5)))
        per_item = rng.uniform(8, 25) if group != "external" else rng.uniform(6, 18)
        return round(len(answers) * per_item + rng.uniform(30, 240))
