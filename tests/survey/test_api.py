"""The REST API (/api/v1): personal tokens carry their owner's role and
office scope, a revoked token is refused, other offices' and institutions'
ids are not found, errors are JSON of one shape, and the results are the
stored results the dashboard shows."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from support import PASSWORD, csrf_of, sign_in

from survey.models import ApiToken, AuditEntry, Institution, StaffUser
from survey.services import api_tokens, results, staff
from survey.services.tokens import token_hash

pytestmark = pytest.mark.security

TOKEN = re.compile(r"<code>(spi_[A-Za-z0-9_-]+)</code>")


def _token_for(session, email: str, name: str = "uji") -> str:
    user = session.scalar(select(StaffUser).where(StaffUser.email == email))
    return api_tokens.create(session, user, name)[1]


def _get(client, url: str, token: str | None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.get(url, headers=headers)


def _create_through_the_page(client, name: str = "Dasbor kota") -> str:
    page = client.get("/staff/account/tokens")
    response = client.post("/staff/account/tokens",
                           data={"csrf_token": csrf_of(page.get_data(as_text=True)),
                                 "name": name})
    assert response.status_code == 201
    found = TOKEN.findall(response.get_data(as_text=True))
    assert len(found) == 1
    return found[0]


def test_a_token_is_shown_once_stored_hashed_and_audited(app, client, session, small_city):
    sign_in(client, "inspektur@kota.example")
    token = _create_through_the_page(client)
    row = session.scalar(select(ApiToken))
    assert row.token_hash == token_hash(token) and token not in row.token_hash
    assert row.role == "inspector" and row.prefix == token[:10]
    # Never shown again: the list shows the first characters only.
    listing = client.get("/staff/account/tokens").get_data(as_text=True)
    assert token not in listing and row.prefix in listing
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "api_token.create"))
    answer = _get(app.test_client(), "/api/v1/campaigns", token)
    assert answer.status_code == 200
    assert [c["id"] for c in answer.json["items"]] == [small_city.id]


def test_a_token_needs_a_name(client, small_city):
    sign_in(client, "inspektur@kota.example")
    page = client.get("/staff/account/tokens")
    response = client.post("/staff/account/tokens", data={
        "csrf_token": csrf_of(page.get_data(as_text=True)), "name": "  "})
    assert response.status_code == 400
    assert "spi_" not in response.get_data(as_text=True)


def test_a_revoked_token_is_refused(app, client, session, small_city):
    sign_in(client, "inspektur@kota.example")
    token = _create_through_the_page(client)
    api = app.test_client()
    assert _get(api, "/api/v1/offices", token).status_code == 200
    row = session.scalar(select(ApiToken))
    page = client.get("/staff/account/tokens")
    revoked = client.post("/staff/account/tokens/revoke", data={
        "csrf_token": csrf_of(page.get_data(as_text=True)), "token_id": row.id})
    assert revoked.status_code == 303
    refused = _get(api, "/api/v1/offices", token)
    assert refused.status_code == 401
    assert refused.json["error"]["code"] == "invalid_token"
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "api_token.revoke"))


def test_nobody_revokes_another_persons_token(client, session, small_city):
    other = _token_for(session, "kepala@kota.example")
    row = session.scalar(select(ApiToken))
    sign_in(client, "inspektur@kota.example")
    page = client.get("/staff/account/tokens")
    response = client.post("/staff/account/tokens/revoke", data={
        "csrf_token": csrf_of(page.get_data(as_text=True)), "token_id": row.id})
    assert response.status_code == 404
    session.refresh(row)
    assert row.revoked_at is None and api_tokens.authenticate(session, other) is not None


def test_a_signed_in_session_does_not_open_the_api(client, small_city):
    sign_in(client, "inspektur@kota.example")
    response = client.get("/api/v1/campaigns")
    assert response.status_code == 401
    assert response.json["error"]["code"] == "missing_token"


@pytest.mark.parametrize("header", ["Bearer spi_not-a-real-token", "Bearer ", "Basic abc",
                                    "Bearer " + "x" * 500])
def test_wrong_tokens_are_refused(client, small_city, header):
    response = client.get("/api/v1/campaigns", headers={"Authorization": header})
    assert response.status_code == 401
    assert set(response.json["error"]) == {"status", "code", "message"}


def test_a_token_whose_owner_changed_role_or_was_deactivated_is_refused(client, session,
                                                                        small_city):
    token = _token_for(session, "inspektur@kota.example")
    assert _get(client, "/api/v1/campaigns", token).status_code == 200
    user = session.scalar(select(StaffUser).where(StaffUser.email == "inspektur@kota.example"))
    user.role = "auditor"
    session.commit()
    assert _get(client, "/api/v1/campaigns", token).status_code == 401
    user.role = "inspector"
    user.active = False
    session.commit()
    assert _get(client, "/api/v1/campaigns", token).status_code == 401


def test_a_head_of_office_token_carries_their_office_scope(client, session, small_city):
    """Head of office A (sub-office A1 has 4 respondents; office B is another's)."""
    token = _token_for(session, "kepala@kota.example")
    ids = {u.code: u.id for u in small_city.institution.units}
    offices = _get(client, "/api/v1/offices", token).json
    assert sorted(o["code"] for o in offices["items"]) == ["A", "A1"]
    assert _get(client, f"/api/v1/offices/{ids['B']}", token).status_code == 404
    document = _get(client, f"/api/v1/campaigns/{small_city.id}/results", token).json
    assert [u["unit"] for u in document["units"]] == ["A", "A1"]
    assert set(document["offices"]) == {"A", "A1"}
    a1 = document["units"][1]
    # Four respondents: a small cell, hidden as on the dashboard.
    assert a1["status"] == "hidden" and a1["index"] is None and a1["n"] is None
    assert a1["groups"]["internal"]["n"] is None
    assert document["offices"]["A1"]["stored"]["internal"] is None
    assert document["institution"] is None and document["reliability"] == []
    a = document["units"][0]
    assert a["index"] == pytest.approx(results.load(session, small_city.id).units["A"].index,
                                       abs=1e-12)
    reports = _get(client, f"/api/v1/campaigns/{small_city.id}/reports?unit_id={ids['B']}",
                   token)
    assert reports.status_code == 404
    monitoring = _get(client, f"/api/v1/campaigns/{small_city.id}/monitoring", token).json
    assert sorted(o["code"] for o in monitoring["items"]) == ["A", "A1"]


def test_an_inspector_reads_the_stored_results_unrounded(client, session, small_city):
    token = _token_for(session, "inspektur@kota.example")
    document = _get(client, f"/api/v1/campaigns/{small_city.id}/results", token).json
    stored = results.load(session, small_city.id)
    section5 = stored.score.to_dict()
    for key in ("instrument", "target", "units", "reliability", "warnings"):
        assert document[key] == section5[key]
    assert document["institution"]["index"] == stored.institution.index
    assert document["computed_at"] == stored.computed_at.isoformat()
    assert document["offices"]["B"]["unit_id"] == stored.unit_ids["B"]


def test_other_institutions_ids_are_not_found(client, session, factory, small_city,
                                              small_instrument_text):
    city_b = Institution(code="KOTA-B", name="Kota B")
    foreign_unit = factory.unit("B-ONE", institution=city_b)
    foreign_version = factory.version(small_instrument_text.replace('version: "1"',
                                                                    'version: "B"'))
    foreign = factory.campaign(unit=foreign_unit, version=foreign_version)
    token = _token_for(session, "inspektur@kota.example")
    for url in (f"/api/v1/campaigns/{foreign.id}", f"/api/v1/campaigns/{foreign.id}/results",
                f"/api/v1/campaigns/{foreign.id}/monitoring",
                f"/api/v1/campaigns/{foreign.id}/reports",
                f"/api/v1/campaigns/{small_city.id}/reports?unit_id={foreign_unit.id}",
                f"/api/v1/offices/{foreign_unit.id}", "/api/v1/campaigns/99999999999"):
        response = _get(client, url, token)
        assert response.status_code == 404, url
        assert response.json["error"]["status"] == 404
    listed = _get(client, "/api/v1/campaigns", token).json["items"]
    assert foreign.id not in [c["id"] for c in listed]


def test_roles_without_the_capability_are_forbidden(client, session, small_city):
    staff.create_user(session, email="admin@kota.example", name="Admin", role="admin",
                      password=PASSWORD)
    token = _token_for(session, "admin@kota.example")
    # Administrators run the platform but do not read results (issue 9).
    response = _get(client, f"/api/v1/campaigns/{small_city.id}/results", token)
    assert response.status_code == 403
    assert response.json["error"]["code"] == "forbidden"
    assert _get(client, "/api/v1/campaigns", token).status_code == 200


@pytest.mark.parametrize(("query", "parameter"), [("page=0", "page"), ("per_page=201", "per_page"),
                                                  ("page=x", "page"), ("per_page=", "per_page")])
def test_bad_paging_names_the_parameter(client, session, small_city, query, parameter):
    token = _token_for(session, "inspektur@kota.example")
    response = _get(client, f"/api/v1/offices?{query}", token)
    assert response.status_code == 400
    assert response.json["error"]["parameter"] == parameter


def test_unknown_query_parameters_are_named(client, session, small_city):
    token = _token_for(session, "inspektur@kota.example")
    response = _get(client, "/api/v1/offices?per-page=10", token)
    assert response.status_code == 400
    assert response.json["error"]["code"] == "unknown_parameter"
    assert response.json["error"]["parameter"] == "per-page"


def test_lists_are_paged(client, session, small_city):
    token = _token_for(session, "inspektur@kota.example")
    first = _get(client, "/api/v1/offices?per_page=2", token).json
    second = _get(client, "/api/v1/offices?per_page=2&page=2", token).json
    assert first["total"] == 3 and first["pages"] == 2
    assert len(first["items"]) == 2 and len(second["items"]) == 1
    assert not {o["id"] for o in first["items"]} & {o["id"] for o in second["items"]}


def test_unknown_paths_and_methods_answer_json(client, session, small_city):
    token = _token_for(session, "inspektur@kota.example")
    missing = _get(client, "/api/v1/nothing-here", token)
    assert missing.status_code == 404 and missing.json["error"]["code"] == "not_found"
    wrong = client.post("/api/v1/campaigns", headers={"Authorization": f"Bearer {token}"})
    assert wrong.status_code == 405 and "GET" in wrong.headers["Allow"]
    assert wrong.json["error"]["code"] == "method_not_allowed"


def test_tokens_are_rate_limited(app, client, session, small_city):
    app.config["API_RATE_LIMIT"] = "3/minute"
    token = _token_for(session, "inspektur@kota.example")
    statuses = [_get(client, "/api/v1/campaigns", token).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = _get(client, "/api/v1/campaigns", token)
    assert limited.json["error"]["code"] == "rate_limited"
    # Another token has its own allowance.
    other = _token_for(session, "inspektur@kota.example", "lain")
    assert _get(client, "/api/v1/campaigns", other).status_code == 200


def test_results_not_yet_computed_say_so(client, session, factory, small_city):
    later = factory.campaign(unit=small_city.institution.units[0], name="SPI berikut",
                             version=small_city.instrument_version)
    token = _token_for(session, "inspektur@kota.example")
    response = _get(client, f"/api/v1/campaigns/{later.id}/results", token)
    assert response.status_code == 404
    assert response.json["error"]["code"] == "results_not_ready"


def test_monitoring_hides_small_answered_cells_from_heads_of_office(client, session, factory,
                                                                    small_city):
    a1 = next(u for u in small_city.institution.units if u.code == "A1")
    for number in range(2):
        factory.invitation(small_city, a1, used=True, phone=f"+62812000000{number + 2}")
    url = f"/api/v1/campaigns/{small_city.id}/monitoring"
    head = _get(client, url, _token_for(session, "kepala@kota.example")).json
    cell = next(o for o in head["items"] if o["code"] == "A1")["groups"]["internal"]
    assert cell["hidden"] and cell["answered"] is None and cell["response_rate"] is None
    assert cell["invited"] == 2  # people invited are not respondents: shown
    assert head["totals"]["answered"] is None and head["response_rate"] is None
    inspector = _get(client, url, _token_for(session, "inspektur@kota.example")).json
    cell = next(o for o in inspector["items"] if o["code"] == "A1")["groups"]["internal"]
    assert not cell["hidden"] and cell["answered"] == 2 and cell["response_rate"] == 1.0
