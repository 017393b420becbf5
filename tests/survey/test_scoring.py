"""Scoring a campaign from the database: the bulk loader gives the engine
exactly what the stored answers say."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import select

import analysis
from survey.models import Correction, Response, Unit, UnitPopulation
from survey.services.demo import seed_demo
from survey.services.scoring import load_response_table, score_campaign


def _store(session, campaign, unit, group, answers, duration):
    instrument = campaign.instrument_version.instrument
    session.add(Response(
        campaign_id=campaign.id, unit_id=unit.id, respondent_group=group,
        instrument_version_id=campaign.instrument_version_id, answers=answers,
        cells=analysis.encode_answers(instrument, group, answers), duration_s=duration,
        channel="invited", submitted_on=campaign.opens_on))


@pytest.fixture
def scored(factory, session):
    first, second = factory.unit("B"), factory.unit("A")
    campaign = factory.campaign(unit=first)
    answers = [
        (first, "internal", {"INT_A1": "4", "INT_A3": "3", "INT_B2": "2", "INT_T": "baik"}, 300),
        (first, "internal", {"INT_A1": "1", "INT_A3": "9", "INT_B2": "4"}, None),
        (second, "internal", {"INT_P1": "Y", "INT_A1": "2", "INT_A2": "1", "INT_B1": "3"}, 120),
        (second, "external", {"EXT_A1": "3", "EXT_B1": "4"}, 45),
    ]
    for unit, group, cells, duration in answers:
        _store(session, campaign, unit, group, cells, duration)
    session.commit()
    return campaign, answers


def test_loader_returns_stored_answers_units_and_durations(session, scored):
    campaign, answers = scored
    instrument = campaign.instrument_version.instrument
    table = load_response_table(session.connection(), campaign.id,
                                campaign.instrument_version_id, instrument)
    assert table.units == ("A", "B")
    assert set(table.groups) == {"internal", "external"}
    internal = table.groups["internal"]
    got = sorted(zip(internal.unit.tolist(), np.nan_to_num(internal.duration_s, nan=-1).tolist(),
                     map(bytes, internal.cells), strict=True))
    expected = sorted(
        (table.units.index(unit.code), -1 if duration is None else duration,
         analysis.encode_answers(instrument, group, cells))
        for unit, group, cells, duration in answers if group == "internal")
    assert got == expected
    assert internal.question_ids == tuple(q.id for q in instrument.questions_of("internal"))
    assert np.all(internal.weight == 1)


def test_loader_ignores_other_campaigns(session, factory, scored):
    campaign, _ = scored
    other = factory.campaign(name="Lain")
    instrument = other.instrument_version.instrument
    table = load_response_table(session.connection(), other.id, other.instrument_version_id,
                                instrument)
    assert table.n == 0 and table.units == ()


def test_campaign_scoring_uses_its_target_populations_and_corrections(session, scored):
    campaign, _ = scored
    campaign.target = 60
    unit_b = session.scalar(select(Unit).where(Unit.code == "B"))
    session.add(UnitPopulation(unit_id=unit_b.id, respondent_group="internal", population=2))
    session.add(Correction(campaign_id=campaign.id, unit_id=unit_b.id, points=1.5, reason="kasus"))
    session.add(Correction(campaign_id=campaign.id, unit_id=unit_b.id, points=0.5, reason="arahan"))
    session.commit()
    result = score_campaign(session, campaign).to_dict()
    assert result["target"] == 60
    unit = next(u for u in result["units"] if u["unit"] == "B")
    assert unit["correction"] == pytest.approx(2.0)
    assert unit["groups"]["internal"]["population"] == 2
    assert unit["groups"]["internal"]["n"] == 2 and unit["groups"]["internal"]["eligible"]
    # Everyone of a population of two answered: no sampling error remains.
    assert unit["groups"]["internal"]["se"] == 0


def test_screening_finds_what_the_demo_planted(session, today):
    seed_demo(session, today=today)
    from survey.models import Campaign

    current = session.scalars(select(Campaign).where(Campaign.status == "open")).one()
    result = score_campaign(session, current).to_dict()
    excluded = {rule: sum(u["excluded"][rule] for u in result["units"])
                for rule in ("incomplete", "speeder", "straightline", "coordinated")}
    assert all(count > 0 for count in excluded.values()), excluded
    steered = next(u for u in result["units"] if u["unit"] == "DPMPTSP")
    assert steered["excluded"]["coordinated"] >= 5
    assert len(result["units"]) >= 12
    statuses = {u["status"] for u in result["units"]}
    assert {"above", "below"} <= statuses


def test_populations_come_from_the_campaigns_own_institution(session, factory):
    from survey.models import Institution

    here = factory.unit("DINKES", institution=Institution(code="KOTA-A", name="Kota A"))
    there = factory.unit("DINKES", institution=Institution(code="KOTA-B", name="Kota B"))
    session.add_all([UnitPopulation(unit_id=here.id, respondent_group="internal", population=3),
                     UnitPopulation(unit_id=there.id, respondent_group="internal",
                                    population=10000)])
    campaign = factory.campaign(unit=here)
    for first in ("1", "4", "2"):
        _store(session, campaign, here, "internal",
               {"INT_A1": first, "INT_A3": "3", "INT_B2": "2"}, 300)
    session.commit()
    unit = score_campaign(session, campaign).to_dict()["units"][0]
    assert unit["groups"]["internal"]["population"] == 3
