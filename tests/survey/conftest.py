"""Fixtures of the results tests (tests/survey/test_results.py and friends)."""

from __future__ import annotations

import pytest
from support import PASSWORD

import analysis
from survey.models import Response
from survey.services import results, staff


@pytest.fixture
def small_city(session, factory):
    """Office A (with sub-office A1, 4 respondents) and office B, the small
    instrument, one campaign with results, an inspector and A's head."""
    a = factory.unit("A")
    a1 = factory.unit("A1", parent=a)
    b = factory.unit("B")
    campaign = factory.campaign(unit=a)
    instrument = campaign.instrument_version.instrument
    plan = [(a, "internal", 8), (a, "external", 6), (a1, "internal", 4), (b, "internal", 7)]
    for unit, group, n in plan:
        for i in range(n):
            prefix = "INT" if group == "internal" else "EXT"
            answers = {f"{prefix}_A1": str(1 + i % 4), f"{prefix}_B1": str(1 + (i * 3) % 4)}
            if group == "internal":
                answers.update({"INT_A3": str(1 + (i + 1) % 4), "INT_B2": str(1 + (i + 2) % 4),
                                "INT_P1": "Y", "INT_T": f"Saran nomor {i} dari {unit.code}"})
                answers.pop("INT_B1")
                answers["INT_B1"] = str(1 + (i * 3) % 4)
            session.add(Response(
                campaign_id=campaign.id, unit_id=unit.id, respondent_group=group,
                instrument_version_id=campaign.instrument_version_id, answers=answers,
                cells=analysis.encode_answers(instrument, group, answers), duration_s=300,
                channel="invited", submitted_on=campaign.opens_on))
    session.commit()
    staff.create_user(session, email="inspektur@kota.example", name="Silvi", role="inspector",
                      password=PASSWORD)
    staff.create_user(session, email="kepala@kota.example", name="Kepala", role="unit_manager",
                      password=PASSWORD, unit_code="A")
    results.refresh(session, campaign.id)
    return campaign
