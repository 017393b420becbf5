"""Every staff route, for every role, anonymous, and with another office's
or institution's ids: refused or not found, never data.

The cases are generated from the application's URL map, so a route added
without an access rule, or with a path parameter this file has no sample
for, fails here until someone decides who may use it.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import pytest
from flask import Flask
from support import PASSWORD, csrf_of, sign_in

from survey import create_app
from survey.admin.access import ROLE_CAPABILITIES, Rule
from survey.models import CitizenReport, Correction, Institution, Role
from survey.services import staff

pytestmark = pytest.mark.security

#: Blueprints whose every route needs an access rule.
GUARDED_BLUEPRINTS = ("admin",)


def _routes() -> list[tuple[str, str, str]]:
    """(endpoint, method, rule) of every guarded route, from a fresh app."""
    app: Flask = create_app({"SECRET_KEY": "x", "DATABASE_URL": "sqlite://"})
    found = []
    for url_rule in app.url_map.iter_rules():
        if url_rule.endpoint.split(".")[0] not in GUARDED_BLUEPRINTS:
            continue
        for method in sorted(url_rule.methods - {"HEAD", "OPTIONS"}):
            found.append((url_rule.endpoint, method, url_rule.rule))
    return found


ROUTES = _routes()
ROLES = [r.value for r in Role]


@dataclass
class World:
    """Two institutions. In A: a head of office's unit with a sub-office, and
    another office; one account per role. In B: one office."""

    ids: dict[str, dict[str, int]]
    emails: dict[str, str]


#: Path parameters and where their samples come from: the object a person of
#: institution A may reach ("own"; for a unit manager, within their office's
#: tree), another office of A ("other_office", unit managers only), and an
#: object of institution B ("foreign").
PARAMETERS = ("campaign_id", "unit_id", "invitation_id", "correction_id", "user_id",
              "version_id", "reset_token", "report_id")


@pytest.fixture
def world(factory, session, small_instrument_text) -> World:
    city_a = Institution(code="KOTA-A", name="Kota A")
    city_b = Institution(code="KOTA-B", name="Kota B")
    head_office = factory.unit("A-ROOT", institution=city_a)
    sub_office = factory.unit("A-CHILD", institution=city_a, parent=head_office)
    other_office = factory.unit("A-OTHER", institution=city_a)
    foreign_office = factory.unit("B-ONE", institution=city_b)
    campaign_a = factory.campaign(unit=head_office, name="SPI Kota A")
    foreign_version = factory.version(small_instrument_text.replace('version: "1"',
                                                                    'version: "B"'))
    campaign_b = factory.campaign(unit=foreign_office, name="SPI Kota B",
                                  version=foreign_version)
    corrections = {}
    for key, campaign, unit in (("own", campaign_a, sub_office),
                                ("other_office", campaign_a, other_office),
                                ("foreign", campaign_b, foreign_office)):
        corrections[key] = Correction(campaign_id=campaign.id, unit_id=unit.id, points=1.0,
                                      reason="uji")
        session.add(corrections[key])
    session.commit()
    citizen_reports = {}
    for key, unit in (("own", sub_office), ("other_office", other_office),
                      ("foreign", foreign_office)):
        citizen_reports[key] = CitizenReport(
            tracking_hash=hashlib.sha256(key.encode()).hexdigest(), unit_id=unit.id,
            category="levy", description="pungli", received_on=factory.today)
        session.add(citizen_reports[key])
    session.commit()
    foreign_user = staff.create_user(session, email="admin@kota-b.example", name="B",
                                     role="admin", password=PASSWORD, institution_code="KOTA-B")
    invitation_a, _ = factory.invitation(campaign_a, sub_office)
    invitation_other, _ = factory.invitation(campaign_a, other_office)
    invitation_b, _ = factory.invitation(campaign_b, foreign_office)
    emails = {}
    for role in ROLES:
        emails[role] = f"{role}@kota-a.example"
        staff.create_user(session, email=emails[role], name=role, role=role, password=PASSWORD,
                          institution_code="KOTA-A",
                          unit_code="A-ROOT" if role == "unit_manager" else None)
    # An account the checks may reset or deactivate without locking anyone out.
    own_user = staff.create_user(session, email="target@kota-a.example", name="T",
                                 role="auditor", password=PASSWORD, institution_code="KOTA-A")
    ids = {
        "user_id": {"own": own_user.id, "other_office": own_user.id, "foreign": foreign_user.id},
        "campaign_id": {"own": campaign_a.id, "other_office": campaign_a.id,
                        "foreign": campaign_b.id},
        "unit_id": {"own": sub_office.id, "other_office": other_office.id,
                    "foreign": foreign_office.id},
        "invitation_id": {"own": invitation_a.id, "other_office": invitation_other.id,
                          "foreign": invitation_b.id},
        "correction_id": {key: c.id for key, c in corrections.items()},
        "version_id": {"own": campaign_a.instrument_version_id,
                       "other_office": campaign_a.instrument_version_id,
                       "foreign": foreign_version.id},
        "report_id": {key: r.id for key, r in citizen_reports.items()},
        # A one-time link that does not exist: every caller gets 404.
        "reset_token": dict.fromkeys(("own", "other_office", "foreign"), "x" * 43),
    }
    return World(ids, emails)


def _url(rule: str, world: World, which: str) -> str:
    def sample(match: re.Match) -> str:
        name = match.group(1)
        return str(world.ids[name][which])

    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", sample, rule)


def _call(client, method: str, url: str):
    if method == "GET":
        return client.get(url)
    token = csrf_of(client.get("/staff/login").get_data(as_text=True))
    return client.open(url, method=method, data={"csrf_token": token})


def _rule(app, endpoint: str) -> Rule | None:
    return getattr(app.view_functions[endpoint], "access_rule", None)


def test_routes_are_found():
    assert ("admin.overview", "GET", "/staff/") in ROUTES


@pytest.mark.parametrize(("endpoint", "method", "rule"), ROUTES)
def test_every_staff_route_declares_who_may_use_it(app, endpoint, method, rule):
    assert _rule(app, endpoint) is not None, (
        f"{endpoint} ({rule}) has no access rule: decorate it with access.allow(...), "
        f"access.signed_in or access.public")
    names = re.findall(r"<(?:[a-z]+:)?([a-z_]+)>", rule)
    unknown = [n for n in names if n not in PARAMETERS]
    assert not unknown, (f"{rule}: add samples for {unknown} to PARAMETERS and the world "
                         f"fixture in {__file__}")


@pytest.mark.parametrize(("endpoint", "method", "rule"), ROUTES)
def test_each_role_gets_what_its_rule_says_and_never_another_scopes_data(
        app, world, endpoint, method, rule):
    access = _rule(app, endpoint)
    assert access is not None
    has_ids = "<" in rule

    anonymous = _call(app.test_client(), method, _url(rule, world, "own"))
    if access.public:
        assert anonymous.status_code < 500
    else:
        assert anonymous.status_code in (302, 303, 401), f"anonymous {method} {rule}"
        if anonymous.status_code in (302, 303):
            assert "/staff/login" in anonymous.headers["Location"]

    for role in ROLES:
        client = app.test_client()
        assert sign_in(client, world.emails[role]).status_code == 303
        permitted = access.permits(role)
        own = _call(client, method, _url(rule, world, "own"))
        where = f"{role} {method} {rule}"
        assert own.status_code < 500, where
        if not permitted:
            assert own.status_code == 403, f"{where}: expected 403, got {own.status_code}"
            continue
        assert own.status_code not in (401, 403), f"{where}: refused a permitted role"
        if not has_ids:
            continue
        foreign = _call(client, method, _url(rule, world, "foreign"))
        assert foreign.status_code in (403, 404), f"{where} with another institution's id"
        if role == "unit_manager" and "unit_id" in rule:
            other = _call(client, method, _url(rule, world, "other_office"))
            assert other.status_code in (403, 404), f"{where} with another office's id"


def test_an_auditor_changes_nothing():
    auditor = ROLE_CAPABILITIES[Role.AUDITOR]
    assert all(c.value.startswith(("view_", "export_")) for c in auditor)


def test_a_route_without_a_rule_is_refused(app, world, monkeypatch):
    monkeypatch.delattr(app.view_functions["admin.overview"], "access_rule")
    client = app.test_client()
    sign_in(client, world.emails["inspector"])
    assert client.get("/staff/").status_code == 403
