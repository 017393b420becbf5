"""The API's contract: an OpenAPI 3.1 document, served at
``/api/v1/openapi.json`` and read by ``static/api/index.html``.

``tests/api/test_openapi.py`` runs schemathesis against it: every response
of every operation must match the schemas below, so a field added to a
response without being added here fails the suite (objects are closed with
``additionalProperties: false`` where their keys are fixed).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from survey.models import ReportCategory

VERSION = "1.0.0"

NUMBER = {"type": ["number", "null"]}
INTEGER = {"type": ["integer", "null"]}
STRING = {"type": ["string", "null"]}
COUNT = {"type": ["integer", "null"], "minimum": 0,
         "description": "null: fewer than 5, hidden from heads of office"}


def _object(properties: dict[str, Any], *, required: list[str] | None = None,
            description: str | None = None) -> dict[str, Any]:
    schema = {"type": "object", "properties": properties,
              "required": list(properties) if required is None else required,
              "additionalProperties": False}
    if description:
        schema["description"] = description
    return schema


def _map(values: dict[str, Any], description: str | None = None) -> dict[str, Any]:
    schema = {"type": "object", "additionalProperties": values}
    if description:
        schema["description"] = description
    return schema


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _page(item: str) -> dict[str, Any]:
    return _object({"items": {"type": "array", "items": _ref(item)},
                    "page": {"type": "integer", "minimum": 1},
                    "per_page": {"type": "integer", "minimum": 1, "maximum": 200},
                    "total": {"type": "integer", "minimum": 0},
                    "pages": {"type": "integer", "minimum": 1}})


STATUSES = ["above", "below", "uncertain", "insufficient", "hidden"]

SCHEMAS: dict[str, Any] = {
    "Error": _object({"error": _object({
        "status": {"type": "integer"},
        "code": {"type": "string", "description": "stable, for programs: not_found, "
                 "bad_parameter, unknown_parameter, missing_token, invalid_token, "
                 "forbidden, rate_limited, results_not_ready, ..."},
        "message": {"type": "string", "description": "for people (English)"},
        "parameter": {"type": "string", "description": "the query parameter at fault"},
    }, required=["status", "code", "message"])}),
    "Campaign": _object({
        "id": {"type": "integer"}, "name": {"type": "string"}, "period": {"type": "string"},
        "status": {"type": "string", "enum": ["draft", "open", "closed"]},
        "opens_on": {"type": "string", "format": "date"},
        "closes_on": {"type": "string", "format": "date"},
        "target": {"type": "number"},
        "institution": _object({"id": {"type": "integer"}, "code": {"type": "string"},
                                "name": {"type": "string"}}),
        "instrument": _object({"id": {"type": "string"}, "version": {"type": "string"},
                               "version_id": {"type": "integer"}}),
    }),
    "Office": _object({
        "id": {"type": "integer"}, "code": {"type": "string"}, "name": {"type": "string"},
        "parent_id": INTEGER, "active": {"type": "boolean"},
        "institution_id": {"type": "integer"},
        "populations": _map({"type": "integer"}, "respondent group -> population"),
    }),
    "CampaignPage": _page("Campaign"),
    "OfficePage": _page("Office"),
    "Exclusions": _object({k: COUNT for k in
                           ("incomplete", "speeder", "straightline", "coordinated")}),
    "GroupScore": _object({
        "n": COUNT, "population": NUMBER, "eligible": {"type": "boolean"},
        "index": NUMBER, "se": NUMBER,
        "dimensions": _map(_object({"n": COUNT, "score": NUMBER, "se": NUMBER})),
    }),
    "UnitScore": _object({
        "unit": {"type": "string", "description": "the office's code"},
        "index": NUMBER, "raw_index": NUMBER, "correction": {"type": "number"},
        "se": NUMBER, "df": NUMBER, "ci_low": NUMBER, "ci_high": NUMBER,
        "band": STRING, "gap": NUMBER,
        "status": {"type": "string", "enum": STATUSES},
        "p_below": NUMBER, "q_below": NUMBER, "n": COUNT,
        "excluded": _ref("Exclusions"),
        "groups": _map(_ref("GroupScore"), "every group of the instrument"),
        "dimensions": _map(_object({"score": NUMBER, "se": NUMBER})),
    }, description="One office: methodology section 5, numbers unrounded."),
    "Reliability": _object({"group": {"type": "string"}, "dimension": {"type": "string"},
                            "k": {"type": "integer"}, "n": {"type": "integer"},
                            "alpha": NUMBER, "ci_low": NUMBER, "ci_high": NUMBER}),
    "Change": _object({
        "hidden": {"type": "boolean"},
        "verdict": {"type": ["string", "null"], "description": "increase or decrease only "
                    "when significant after Benjamini–Hochberg, else no_clear_change, "
                    "insufficient, only_previous, only_current"},
        "previous_index": NUMBER, "current_index": NUMBER, "change": NUMBER,
        "ci_low": NUMBER, "ci_high": NUMBER, "q_value": NUMBER,
    }),
    "OfficeExtras": _object({
        "unit_id": {"type": "integer"}, "name": {"type": "string"},
        "verdict": {"type": "string", "enum": STATUSES,
                    "description": "as the dashboard shows it: below only when "
                    "significant after Benjamini–Hochberg"},
        "stored": _map(COUNT, "respondent group -> stored responses (before screening)"),
        "invitations": _map(_object({"invited": {"type": "integer"}, "answered": COUNT})),
        "corrections": {"type": "array", "items": _object(
            {"points": {"type": "number"}, "reason": {"type": "string"}})},
        "change": {"oneOf": [{"type": "null"}, _ref("Change")]},
    }),
    "Results": _object({
        "campaign": _object({"id": {"type": "integer"}, "name": {"type": "string"},
                             "period": {"type": "string"}, "target": {"type": "number"}}),
        "computed_at": {"type": "string", "format": "date-time"},
        "responses": {**INTEGER, "description": "stored responses read (null for heads of "
                      "office)"},
        "instrument": _object({"id": {"type": "string"}, "version": {"type": "string"}}),
        "target": {"type": "number"},
        "units": {"type": "array", "items": _ref("UnitScore")},
        "reliability": {"type": "array", "items": _ref("Reliability")},
        "warnings": {"type": "array", "items": {"type": "string"}},
        "institution": {"oneOf": [{"type": "null"}, _object({
            "units": {"type": "integer"}, "without_index": {"type": "integer"},
            "index": NUMBER, "se": NUMBER, "df": NUMBER, "ci_low": NUMBER, "ci_high": NUMBER,
            "status": {"type": "string"}, "verdict": {"type": "string"},
            "n": {"type": "integer"}})]},
        "offices": _map(_ref("OfficeExtras"), "office code -> the dashboard's extras"),
        "previous": {"oneOf": [{"type": "null"}, _object({
            "campaign_id": {"type": "integer"}, "name": {"type": "string"},
            "period": {"type": "string"}})]},
    }, description="instrument, target, units, reliability and warnings are the results "
                   "JSON of methodology section 5; the rest are the dashboard's extras."),
    "GroupMonitoring": _object({
        "hidden": {"type": "boolean", "description": "1 to 4 answered and a head of office "
                   "asking: answered, response rate and margin are null"},
        "listed": {"type": "integer"}, "in_sample": {"type": "integer"},
        "invited": {"type": "integer"}, "sent": {"type": "integer"},
        "failed": {"type": "integer"}, "answered": COUNT,
        "population": INTEGER, "recommended": INTEGER, "to_invite": INTEGER,
        "margin_reached": NUMBER, "response_rate": NUMBER,
    }),
    "OfficeMonitoring": _object({
        "unit_id": {"type": "integer"}, "code": {"type": "string"},
        "name": {"type": "string"}, "behind": {"type": "boolean"},
        "groups": _map(_ref("GroupMonitoring")),
    }),
    "Monitoring": _object({
        "items": {"type": "array", "items": _ref("OfficeMonitoring")},
        "page": {"type": "integer", "minimum": 1},
        "per_page": {"type": "integer", "minimum": 1, "maximum": 200},
        "total": {"type": "integer", "minimum": 0}, "pages": {"type": "integer", "minimum": 1},
        "campaign_id": {"type": "integer"},
        "plan": _object({"margin": {"type": "number"}, "sd": {"type": "number"},
                         "response_rate": {"type": "number"}}),
        "totals": _object({**{k: {"type": "integer"} for k in
                              ("listed", "invited", "sent", "failed")}, "answered": COUNT}),
        "response_rate": NUMBER,
        "days": {"type": "array", "items": _object(
            {"day": {"type": "string", "format": "date"}, "responses": COUNT})},
    }),
    "ReportCounts": _object({
        "campaign_id": {"type": "integer"}, "unit_id": INTEGER,
        "categories": _object({k: {"type": "integer", "minimum": 0}
                               for k in (c.value for c in ReportCategory)}),
        "total": {"type": "integer", "minimum": 0},
    }),
}

_ERRORS = {
    "400": "A query parameter is wrong or unknown (the error's parameter names it).",
    "401": "No token, or a token that is unknown, revoked or no longer valid.",
    "403": "Your role may not use this endpoint.",
    "404": "No such object within your scope.",
    "429": "Too many requests with this token.",
}


def _error_responses(*codes: str) -> dict[str, Any]:
    return {code: {"description": _ERRORS[code],
                   "content": {"application/json": {"schema": _ref("Error")}}}
            for code in codes}


def _ok(schema: str, description: str) -> dict[str, Any]:
    return {"200": {"description": description,
                    "content": {"application/json": {"schema": _ref(schema)}}}}


def _id(name: str, what: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "description": what,
            "schema": {"type": "integer", "minimum": 1}}


PAGE_PARAMETERS = [
    {"name": "page", "in": "query", "required": False, "description": "page number, from 1",
     "schema": {"type": "integer", "minimum": 1, "maximum": 1_000_000, "default": 1}},
    {"name": "per_page", "in": "query", "required": False, "description": "items per page",
     "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}},
]


def _get(operation_id: str, summary: str, schema: str, *, parameters=(),
         errors=("400", "401", "403", "404", "429"), description: str = "") -> dict:
    return {"get": {"operationId": operation_id, "summary": summary,
                    "description": description, "parameters": list(parameters),
                    "responses": {**_ok(schema, summary), **_error_responses(*errors)}}}


CAMPAIGN_ID = _id("campaign_id", "a campaign's id")


@cache
def document() -> dict[str, Any]:
    """The OpenAPI 3.1 document of /api/v1."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Integrity survey API", "version": VERSION,
            "description": (
                "Read-only access to campaigns, offices, results, monitoring and citizen "
                "report counts. Create a personal token in the staff pages (My account → "
                "API tokens) and send it as `Authorization: Bearer <token>`. A token acts "
                "with its owner's role and office scope: a head of office sees only their "
                "office and the offices below it, and figures resting on fewer than 5 "
                "respondents are null. Other institutions' and offices' ids answer 404. "
                "Errors are JSON: `{\"error\": {\"status\", \"code\", \"message\"}}`."),
            "license": {"name": "AGPL-3.0-or-later",
                        "identifier": "AGPL-3.0-or-later"},
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearerAuth": []}],
        "paths": {
            "/campaigns": _get("listCampaigns", "Campaigns you may see, newest first",
                               "CampaignPage", parameters=PAGE_PARAMETERS,
                               errors=("400", "401", "403", "429")),
            "/campaigns/{campaign_id}": _get("getCampaign", "One campaign", "Campaign",
                                             parameters=[CAMPAIGN_ID]),
            "/campaigns/{campaign_id}/results": _get(
                "getResults", "A campaign's results", "Results", parameters=[CAMPAIGN_ID],
                description="The stored results (the numbers the dashboard shows). 404 "
                            "with code results_not_ready while they are first computed."),
            "/campaigns/{campaign_id}/monitoring": _get(
                "getMonitoring", "Progress of a campaign per office and group", "Monitoring",
                parameters=[CAMPAIGN_ID, *PAGE_PARAMETERS]),
            "/campaigns/{campaign_id}/reports": _get(
                "getReportCounts", "Citizen reports per category during a campaign",
                "ReportCounts", parameters=[CAMPAIGN_ID, {
                    "name": "unit_id", "in": "query", "required": False,
                    "description": "only reports about this office",
                    "schema": {"type": "integer", "minimum": 1}}]),
            "/offices": _get("listOffices", "Offices you may see", "OfficePage",
                             parameters=PAGE_PARAMETERS, errors=("400", "401", "403", "429")),
            "/offices/{unit_id}": _get("getOffice", "One office", "Office",
                                       parameters=[_id("unit_id", "an office's id")]),
        },
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"bearerAuth": {
                "type": "http", "scheme": "bearer",
                "description": "A personal API token (starts with spi_)."}},
        },
    }
