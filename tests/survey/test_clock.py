"""The platform's date is Jakarta's, whatever the machine's clock and time
zone say. Jakarta's midnight is 17:00 UTC: the date-dependent paths are
checked a minute either side of it, with the clock moved by time-machine."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select
from support import Browser

from survey import clock
from survey.models import CampaignStatus, PartialAnswer, Response
from survey.services import responding

JAKARTA_DAY = date(2026, 3, 10)
#: 23:59 in Jakarta on JAKARTA_DAY, and 00:01 the next day.
BEFORE_MIDNIGHT = datetime(2026, 3, 10, 16, 59, tzinfo=UTC)
AFTER_MIDNIGHT = datetime(2026, 3, 10, 17, 1, tzinfo=UTC)
NEXT_DAY = JAKARTA_DAY + timedelta(days=1)


@pytest.mark.parametrize(("instant", "expected"), [
    (BEFORE_MIDNIGHT, JAKARTA_DAY),
    (AFTER_MIDNIGHT, NEXT_DAY),
    (datetime(2026, 3, 10, 23, 59, tzinfo=UTC), NEXT_DAY),   # 06:59 next morning in Jakarta
    (datetime(2026, 3, 11, 0, 1, tzinfo=UTC), NEXT_DAY),     # UTC's new day, Jakarta's morning
])
def test_today_is_jakartas_date(instant, expected):
    with time_machine.travel(instant, tick=False):
        assert clock.today("Asia/Jakarta") == expected


@pytest.mark.parametrize(("instant", "stored_on"), [
    (BEFORE_MIDNIGHT, JAKARTA_DAY), (AFTER_MIDNIGHT, NEXT_DAY)])
def test_a_response_keeps_jakartas_date(client, factory, session, app, instant, stored_on):
    app.config["ANONYMITY_BATCH"] = 1
    with time_machine.travel(instant, tick=False):
        campaign = factory.campaign(opens_on=JAKARTA_DAY - timedelta(days=5),
                                    closes_on=JAKARTA_DAY + timedelta(days=5))
        _, token = factory.invitation(campaign)
        response = Browser(client, f"/r/{token}").answer_all()
    assert response.status_code == 303
    assert session.scalars(select(Response.submitted_on)).one() == stored_on


@pytest.mark.parametrize(("instant", "status"), [(BEFORE_MIDNIGHT, 403), (AFTER_MIDNIGHT, 200)])
def test_a_campaign_opens_at_midnight_in_jakarta(client, factory, instant, status):
    campaign = factory.campaign(opens_on=NEXT_DAY, closes_on=NEXT_DAY + timedelta(days=10))
    _, token = factory.invitation(campaign)
    with time_machine.travel(instant, tick=False):
        assert client.get(f"/r/{token}").status_code == status


@pytest.mark.parametrize(("instant", "status"), [(BEFORE_MIDNIGHT, 200), (AFTER_MIDNIGHT, 410)])
def test_a_campaign_closes_at_midnight_in_jakarta(client, factory, instant, status):
    campaign = factory.campaign(opens_on=JAKARTA_DAY - timedelta(days=10), closes_on=JAKARTA_DAY)
    _, token = factory.invitation(campaign)
    with time_machine.travel(instant, tick=False):
        assert client.get(f"/r/{token}").status_code == status


@pytest.mark.parametrize(("instant", "status"), [(BEFORE_MIDNIGHT, 200), (AFTER_MIDNIGHT, 410)])
def test_an_invitation_expires_at_midnight_in_jakarta(client, factory, instant, status):
    campaign = factory.campaign(opens_on=JAKARTA_DAY - timedelta(days=10),
                                closes_on=JAKARTA_DAY + timedelta(days=10))
    _, token = factory.invitation(campaign, expires_on=JAKARTA_DAY)
    with time_machine.travel(instant, tick=False):
        assert client.get(f"/r/{token}").status_code == status


@pytest.mark.parametrize(("instant", "kept"), [(BEFORE_MIDNIGHT, 1), (AFTER_MIDNIGHT, 0)])
def test_unfinished_answers_are_purged_after_jakartas_last_day(session, instant, kept):
    session.add(PartialAnswer(key="k" * 64, payload=b"sealed", expires_on=JAKARTA_DAY))
    session.commit()
    with time_machine.travel(instant, tick=False):
        responding.purge_expired_progress(session, today=clock.today("Asia/Jakarta"))
    assert len(session.scalars(select(PartialAnswer)).all()) == kept


def test_the_demo_dates_its_open_campaign_around_jakartas_today(session):
    from survey.models import Campaign
    from survey.services.demo import seed_demo

    with time_machine.travel(AFTER_MIDNIGHT, tick=False):
        seed_demo(session, today=clock.today("Asia/Jakarta"))
    current = session.scalars(select(Campaign).where(Campaign.status == CampaignStatus.OPEN)).one()
    assert current.opens_on <= NEXT_DAY <= current.closes_on
    assert current.period == str(NEXT_DAY.year)
