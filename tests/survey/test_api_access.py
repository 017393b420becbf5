"""Every API route, for every role's token, without a token, and with
another office's or institution's ids: what its access rule says, and
never another scope's data (the API's counterpart of test_access.py,
generated from the URL map so a new API route without a rule fails here)."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from sqlalchemy import select
from support import PASSWORD

from survey import create_app
from survey.models import Institution, Role, StaffUser
from survey.services import api_tokens, staff

pytestmark = pytest.mark.security

ROLES = [r.value for r in Role]
PARAMETERS = ("campaign_id", "unit_id")


def _routes() -> list[tuple[str, str]]:
    app: Flask = create_app({"SECRET_KEY": "x", "DATABASE_URL": "sqlite://"})
    return sorted((r.endpoint, r.rule) for r in app.url_map.iter_rules()
                  if r.endpoint.startswith("api."))


ROUTES = _routes()


@pytest.fixture
def world(session, factory, small_city, small_instrument_text):
    """small_city (offices A, A1 below A, B; the head of office of A) plus
    another institution with its own campaign, and a token per role."""
    city_b = Institution(code="KOTA-B", name="Kota B")
    foreign_unit = factory.unit("B-ONE", institution=city_b)
    foreign = factory.campaign(unit=foreign_unit, version=factory.version(
        small_instrument_text.replace('version: "1"', 'version: "B"')))
    units = {u.code: u.id for u in small_city.institution.units}
    tokens = {}
    for role in ROLES:
        email = {"inspector": "inspektur@kota.example",
                 "unit_manager": "kepala@kota.example"}.get(role, f"{role}@kota.example")
        user = session.scalar(select(StaffUser).where(StaffUser.email == email))
        if user is None:
            user = staff.create_user(session, email=email, name=role, role=role,
                                     password=PASSWORD, institution_code="TEST")
        tokens[role] = api_tokens.create(session, user, "access")[1]
    ids = {"campaign_id": {"own": small_city.id, "other_office": small_city.id,
                           "foreign": foreign.id},
           "unit_id": {"own": units["A1"], "other_office": units["B"],
                       "foreign": foreign_unit.id}}
    return tokens, ids


def _url(rule: str, ids: dict, which: str) -> str:
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", lambda m: str(ids[m.group(1)][which]), rule)


def test_api_routes_are_found():
    assert ("api.campaign_results", "/api/v1/campaigns/<int:campaign_id>/results") in ROUTES


@pytest.mark.parametrize(("endpoint", "rule"), ROUTES)
def test_every_api_route_declares_who_may_use_it(app, endpoint, rule):
    assert getattr(app.view_functions[endpoint], "access_rule", None) is not None
    unknown = [n for n in re.findall(r"<(?:[a-z]+:)?([a-z_]+)>", rule) if n not in PARAMETERS]
    assert not unknown, f"{rule}: add samples for {unknown} to {__file__}"


@pytest.mark.parametrize(("endpoint", "rule"), ROUTES)
def test_each_role_token_gets_what_its_rule_says_and_never_another_scopes_data(
        app, client, world, endpoint, rule):
    tokens, ids = world
    access = app.view_functions[endpoint].access_rule
    anonymous = client.get(_url(rule, ids, "own"))
    assert anonymous.status_code == (200 if access.public else 401)
    if access.public:
        return
    for role in ROLES:
        headers = {"Authorization": f"Bearer {tokens[role]}"}
        where = f"{role} {rule}"
        own = client.get(_url(rule, ids, "own"), headers=headers)
        assert own.status_code < 500, where
        if not access.permits(role):
            assert own.status_code == 403, where
            continue
        assert own.status_code == 200, f"{where}: {own.status_code} {own.get_data()[:200]}"
        if "<" not in rule:
            continue
        foreign = client.get(_url(rule, ids, "foreign"), headers=headers)
        assert foreign.status_code == 404, f"{where} with another institution's id"
        if role == "unit_manager" and "unit_id" in rule:
            other = client.get(_url(rule, ids, "other_office"), headers=headers)
            assert other.status_code == 404, f"{where} with another office's id"
