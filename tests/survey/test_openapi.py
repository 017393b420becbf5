"""The API is its OpenAPI document: schemathesis generates requests from
/api/v1/openapi.json and sends them to the app in-process (WSGI); no answer
may be a server error, and every answer must match the document (status
code documented, content type, body schema). Run for an inspector's token
and a head of office's (whose figures have nulls where cells are small),
with random ids and with the ids of real objects, with valid and with
invalid input."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from sqlalchemy import select

from survey.models import StaffUser
from survey.services import api_tokens

pytestmark = [pytest.mark.security, pytest.mark.slow]

SETTINGS = settings(max_examples=60, deadline=None, database=None, derandomize=True,
                    suppress_health_check=list(HealthCheck))


def _token(session, email: str) -> str:
    user = session.scalar(select(StaffUser).where(StaffUser.email == email))
    return api_tokens.create(session, user, "schemathesis")[1]


@pytest.fixture
def api_schema(app):
    app.config["API_RATE_LIMIT"] = "100000/minute"
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


def test_the_document_is_openapi_3_1_and_names_every_api_route(app, api_schema):
    document = app.test_client().get("/api/v1/openapi.json").json
    assert document["openapi"] == "3.1.0"
    documented = {f"/api/v1{path}".replace("{", "<").replace("}", ">")
                  for path in document["paths"]}
    routes = {r.rule.replace("<int:", "<") for r in app.url_map.iter_rules()
              if r.endpoint.startswith("api.") and r.endpoint != "api.openapi"}
    assert routes == documented


@pytest.mark.parametrize("email", ["inspektur@kota.example", "kepala@kota.example"])
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_every_answer_matches_the_document(session, small_city, api_schema, email, mode):
    headers = {"Authorization": f"Bearer {_token(session, email)}"}
    unit = small_city.institution.units[0]
    real = api_schema.as_strategy(mode, path_parameters={"campaign_id": small_city.id,
                                                         "unit_id": unit.id})
    anywhere = api_schema.as_strategy(mode)
    statuses = []

    @SETTINGS
    @given(case=real | anywhere)
    def check(case):
        response = case.call_and_validate(headers=headers)
        statuses.append(response.status_code)

    check()
    assert 200 in statuses or mode == GenerationMode.NEGATIVE
    assert all(status < 500 for status in statuses)


def test_the_reference_page_is_served_from_static_and_reads_the_document(client):
    page = client.get("/static/api/index.html")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-spec="/api/v1/openapi.json"' in html and "reference.js" in html
    page.close()
    served = client.get("/static/api/reference.js")
    script = served.get_data(as_text=True)
    served.close()
    assert "textContent" in script and "innerHTML" not in script
