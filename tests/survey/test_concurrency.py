"""Exactly-once submission under parallel requests: double taps, retries
and many browsers sending the same personal link at the same moment."""

from __future__ import annotations

import re
import threading

import pytest
from sqlalchemy import func, select

from survey.models import Invitation, PendingResponse, Response

pytestmark = pytest.mark.concurrency

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PARALLEL = 20


def _prepared_browser(client, base: str):
    """A client that has answered every page but the last, ready to send."""
    token = CSRF.search(client.get(base).get_data(as_text=True)).group(1)
    client.post(base + "/mulai", data={"csrf_token": token})
    answers = {1: {"INT_P1": "N"}, 2: {"INT_A1": "3"}, 3: {"INT_B2": "2"}}
    for number, data in answers.items():
        client.post(f"{base}/{number}", data={**data, "action": "next", "csrf_token": token})
    return token


def test_parallel_final_submits_of_one_token_store_exactly_one_response(app, factory, session):
    app.config["ANONYMITY_BATCH"] = 1
    campaign = factory.campaign()
    invitation, token = factory.invitation(campaign)
    base = f"/r/{token}"
    first = app.test_client()
    csrf = _prepared_browser(first, base)
    # Every "browser" carries the same saved session: a double tap, a retry,
    # the same link open on two phones.
    cookie = first.get_cookie("session").value
    clients = []
    for _ in range(PARALLEL):
        client = app.test_client()
        client.set_cookie("session", cookie)
        clients.append(client)

    barrier = threading.Barrier(PARALLEL)
    outcomes: list[tuple[int, str]] = []
    lock = threading.Lock()

    def send(client):
        barrier.wait()
        response = client.post(f"{base}/4", data={"INT_T": "sekali saja", "action": "submit",
                                                  "csrf_token": csrf}, follow_redirects=True)
        page = response.get_data(as_text=True)
        with lock:
            outcomes.append((response.status_code, page[page.index("<h1>"):page.index("</h1>")]))

    threads = [threading.Thread(target=send, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    # One lands on the thank-you page; every other one on a page saying the
    # answers were already sent (directly, or via the link's first page).
    finished = [o for o in outcomes if o == (200, "<h1>Terima kasih, jawaban Anda sudah kami terima")]
    already = [o for o in outcomes if o[0] == 410 and "sudah" in o[1]]
    assert len(finished) == 1 and len(already) == PARALLEL - 1, outcomes
    stored = session.scalar(select(func.count()).select_from(Response))
    pending = session.scalar(select(func.count()).select_from(PendingResponse))
    assert stored + pending == 1
    assert session.scalar(select(Invitation.used).where(Invitation.id == invitation.id)) is True
