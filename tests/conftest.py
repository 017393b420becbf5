"""Shared fixtures.

The suite runs on a SQLite file by default and on PostgreSQL when
``TEST_DATABASE_URL`` is set (``.ci/run`` does both). The schema is built
once per run with the Alembic migrations, the same path production takes;
every test starts from empty tables.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from survey import clock, create_app
from survey.database import downgrade, make_engine, normalise_url, upgrade
from survey.extensions import db
from survey.models import (
    Base,
    Campaign,
    CampaignStatus,
    Institution,
    InstrumentVersion,
    Invitation,
    OpenLink,
    Unit,
    UnitPopulation,
)
from survey.services import invitations
from survey.services.instruments import default_instrument_text, register_instrument
from survey.services.tokens import LinkSeal, new_code

#: The SECRET_KEY of test apps (links are sealed under it).
SECRET_KEY = "test-secret-key-not-for-production"

REPO = Path(__file__).resolve().parent.parent


def pytest_configure(config):
    # Apps that tests build run no job thread: tests run jobs themselves
    # (survey.services.jobs.run_pending), so nothing happens behind their back.
    os.environ.setdefault("JOB_RUNNER", "external")

#: A small instrument for respondent tests: three pages per group, skip logic
#: across pages (INT_P1 -> INT_B*) and on one page (INT_A1 -> INT_A2), a
#: required question, and every question type.
SMALL_INSTRUMENT = """
id: small
version: "1"
target: 72
bands: [{key: low, min: 0}, {key: high, min: 75}]
groups:
  internal: {weight: 0.6, min_n: 2}
  external: {weight: 0.4, min_n: 2}
dimensions: [alpha, beta]
quality: {min_scored_answers: 2, straightline_min_items: 4}
questions:
  - {id: INT_P1, group: internal, type: choice, text: {id: Pernah pengadaan?, en: Procurement?},
     options: [{code: Y, score: null, label: {id: Ya, en: "Yes"}}, {code: N, score: null, label: {id: Tidak, en: "No"}}]}
  - {id: INT_A1, group: internal, dimension: alpha, required: true, text: {id: A satu, en: A one},
     options: &four [{code: "1", score: 0}, {code: "2", score: 33.3333}, {code: "3", score: 66.6667},
                     {code: "4", score: 100}, {code: "9", score: null}]}
  - {id: INT_A2, group: internal, dimension: alpha, text: {id: A dua, en: A two}, options: *four,
     show_if: {question: INT_A1, in: ["1", "2"]}}
  - {id: INT_A3, group: internal, dimension: alpha, text: {id: A tiga, en: A three}, options: *four}
  - {id: INT_B1, group: internal, dimension: beta, text: {id: B satu, en: B one}, options: *four,
     show_if: {question: INT_P1, in: [Y]}}
  - {id: INT_B2, group: internal, dimension: beta, text: {id: B dua, en: B two}, options: *four}
  - {id: INT_M, group: internal, type: multi, text: {id: Saluran, en: Channels},
     options: [{code: a, score: null}, {code: b, score: null}, {code: c, score: null}]}
  - {id: INT_N, group: internal, type: number, min: 0, max: 1000000, text: {id: Jumlah, en: Amount}}
  - {id: INT_T, group: internal, type: text, max_length: 200, text: {id: Catatan, en: Comment}}
  - {id: EXT_A1, group: external, dimension: alpha, text: {id: EA satu, en: EA one}, options: *four}
  - {id: EXT_B1, group: external, dimension: beta, text: {id: EB satu, en: EB one}, options: *four}
"""


class Factory:
    """Small ``make_*`` builders for test data; each commits.

    ``today`` is the platform's date (``survey.clock.today`` in the app's
    TIMEZONE), never the machine's."""

    def __init__(self, session, today: date):
        self.session = session
        self.today = today
        self.seal = LinkSeal(SECRET_KEY)

    def version(self, content: str = SMALL_INSTRUMENT) -> InstrumentVersion:
        return register_instrument(self.session, content, source="test instrument")

    def default_version(self) -> InstrumentVersion:
        return self.version(default_instrument_text())

    def unit(
        self,
        code: str = "U01",
        *,
        institution: Institution | None = None,
        parent: Unit | None = None,
        staff: int | None = None,
    ) -> Unit:
        institution = (
            institution
            or self.session.scalar(select(Institution).limit(1))
            or Institution(code="TEST", name="Kota Uji")
        )
        unit = Unit(institution=institution, code=code, name=f"Kantor {code}", parent=parent)
        if staff:
            unit.populations = [UnitPopulation(respondent_group="internal", population=staff)]
        self.session.add(unit)
        self.session.commit()
        return unit

    def campaign(
        self,
        *,
        version: InstrumentVersion | None = None,
        unit: Unit | None = None,
        status: CampaignStatus = CampaignStatus.OPEN,
        opens_on: date | None = None,
        closes_on: date | None = None,
        name: str = "SPI Uji",
    ) -> Campaign:
        unit = unit or self.unit()
        today = self.today
        campaign = Campaign(
            institution=unit.institution,
            name=name,
            period=str(today.year),
            target=72,
            opens_on=opens_on or today - timedelta(days=10),
            closes_on=closes_on or today + timedelta(days=10),
            status=status,
            instrument_version=version or self.version(),
        )
        self.session.add(campaign)
        self.session.commit()
        return campaign

    def invitation(
        self,
        campaign: Campaign,
        unit: Unit | None = None,
        *,
        group: str = "internal",
        expires_on: date | None = None,
        used: bool = False,
        phone: str = "+6281200000001",
        email: str | None = None,
    ) -> tuple[Invitation, str]:
        """One invitation, made through the one door
        (:func:`survey.services.invitations.issue`)."""
        unit = unit or self._first_unit(campaign)
        (invitation, token), = invitations.issue(
            self.session, campaign,
            [invitations.Invitee(unit.id, group, phone=phone, email=email, used=used)],
            seal=self.seal, expires_on=expires_on)
        self.session.commit()
        return invitation, token

    def _first_unit(self, campaign: Campaign) -> Unit:
        return self.session.scalar(
            select(Unit)
            .where(Unit.institution_id == campaign.institution_id)
            .order_by(Unit.id)
            .limit(1)
        )

    def open_link(self, campaign: Campaign, unit: Unit | None = None) -> OpenLink:
        unit = unit or self._first_unit(campaign)
        link = OpenLink(campaign=campaign, unit=unit, code=new_code())
        self.session.add(link)
        self.session.commit()
        return link


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> Iterator[str]:
    """SQLite in a temporary folder, or a schema of its own on the
    PostgreSQL server of TEST_DATABASE_URL, so that several runs (CI, a
    developer, a helper) can share one database without meeting."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        return
    schema = f"test_{os.getpid()}_{secrets.token_hex(3)}"
    admin = make_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(normalise_url(base)).update_query_dict({"options": f"-csearch_path={schema}"})
    yield url.render_as_string(hide_password=False)
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(scope="session")
def is_postgres(database_url) -> bool:
    return not database_url.startswith("sqlite")


@pytest.fixture(scope="session")
def _schema(database_url) -> Iterator[None]:
    engine = make_engine(database_url)
    upgrade(engine)
    engine.dispose()
    yield
    engine = make_engine(database_url)
    downgrade(engine)
    engine.dispose()


@pytest.fixture
def app(database_url, _schema, tmp_path):
    app = create_app(
        {
            "DATABASE_URL": database_url,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "SECRET_KEY": SECRET_KEY,
            "INSPECTORATE_NAME": "Inspektorat Kota Uji",
            "INSPECTORATE_CONTACT": "0812-0000-1111 (WhatsApp Inspektorat)",
            "OFFICIAL_SENDERS": ("+62 812-0000-1111", "spi@inspektorat.example.go.id"),
            "TESTING": True,
            # Tests run background jobs themselves (survey.services.jobs.run_pending).
            "JOB_RUNNER": "external",
        }
    )
    yield app
    with app.app_context():
        engine = db.engine
        with engine.begin() as connection:
            for table in reversed(Base.metadata.sorted_tables):
                connection.execute(table.delete())
        engine.dispose()


@pytest.fixture
def session(app):
    """A database session of the test's own, outside any request.

    It does not push an application context: a pushed context would be
    shared by every test-client request (Flask reuses it), so requests would
    share ``g`` and the request session, unlike in production. It runs in
    autocommit mode, so that it never holds a lock a request waits for.
    """
    with app.app_context():
        engine = db.engine.execution_options(isolation_level="AUTOCOMMIT")
    with Session(engine, expire_on_commit=False) as test_session:
        yield test_session


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def today(app) -> date:
    """The platform's date: today in the app's TIMEZONE (Asia/Jakarta), which
    differs from the machine's date seven hours a day. Tests compare with
    this, never with ``date.today()``."""
    return clock.today(app.config["TIMEZONE"])


@pytest.fixture
def factory(session, today) -> Factory:
    return Factory(session, today)


@pytest.fixture(scope="session")
def small_instrument_text() -> str:
    return SMALL_INSTRUMENT
