"""Nothing joins a response to the invitation that allowed it: no column,
key, identifier order, timestamp, transaction or storage position."""

from __future__ import annotations

import io
import json
import logging
import os
import random
import re

import pytest
from sqlalchemy import Date, DateTime, event, func, inspect, select, text
from sqlalchemy.exc import DBAPIError
from support import PAGE_ANSWERS, Browser

from survey import clock, create_app
from survey.models import Invitation, PartialAnswer, PendingResponse, Response
from survey.services import responding
from survey.services.responding import Progress
from survey.services.tokens import token_hash

RESPONSE_TABLES = ("response", "pending_response")
#: The key pending responses are sealed under in these tests (the app's
#: SECRET_KEY in the platform).
KEY = "anonymity-test-key"


def _submit(session, token, *, label: str, batch: int, rng=None):
    today = clock.today("Asia/Jakarta")
    link = responding.resolve_invitation(session, token, today=today)
    progress = Progress({"INT_A1": "3", "INT_T": label}, {1, 2, 3, 4}, started=None)
    responding.save_progress(session, link, token, progress, today=today, keep_days=30)
    return responding.submit(session, link, token, progress, today=today, batch=batch,
                             rng=rng, secret_key=KEY)


def _labels(session, sql: str) -> list[str]:
    """The comment labels of stored responses, in the order ``sql`` returns them."""
    rows = session.execute(text(sql)).scalars()
    return [(json.loads(a) if isinstance(a, str) else a)["INT_T"] for a in rows]


@pytest.fixture
def submitted(factory, session):
    """Twelve invitations answered one after another, stored in one batch.
    Each response carries its submission rank in its comment."""
    campaign = factory.campaign()
    tokens = [factory.invitation(campaign)[1] for _ in range(12)]
    for rank, token in enumerate(tokens):
        _submit(session, token, label=f"r{rank:02d}", batch=12)
    return campaign


def test_no_foreign_key_links_responses_and_invitations(session):
    schema = inspect(session.get_bind())
    for table in RESPONSE_TABLES:
        targets = {fk["referred_table"] for fk in schema.get_foreign_keys(table)}
        assert targets == {"campaign", "unit", "instrument_version"}
    assert {fk["referred_table"] for fk in schema.get_foreign_keys("invitation")} == {
        "campaign", "unit"}
    for table in schema.get_table_names():
        for fk in schema.get_foreign_keys(table):
            assert {table, fk["referred_table"]} not in ({"invitation", "response"},
                                                        {"invitation", "pending_response"})


def test_responses_share_only_coarse_columns_with_invitations(session):
    schema = inspect(session.get_bind())
    invitation = {c["name"] for c in schema.get_columns("invitation")}
    for table in RESPONSE_TABLES:
        shared = invitation & {c["name"] for c in schema.get_columns(table)}
        # Many responses and many invitations share each of these values.
        assert shared == {"id", "campaign_id", "unit_id", "respondent_group"}
    # "id" is shared by name only: an integer on one side, a random text on the other.
    id_types = {t: next(c["type"] for c in schema.get_columns(t) if c["name"] == "id")
                for t in ("invitation", "response")}
    assert id_types["response"].python_type is str and id_types["invitation"].python_type is int


def test_no_time_of_day_is_kept_for_responses_or_invitation_use(session):
    schema = inspect(session.get_bind())
    for table in (*RESPONSE_TABLES, "invitation", "partial_answer"):
        for column in schema.get_columns(table):
            assert not isinstance(column["type"], DateTime), (table, column["name"])
    assert isinstance(Response.__table__.c.submitted_on.type, Date)
    assert "used" in {c["name"] for c in schema.get_columns("invitation")}


def test_response_ids_are_random_and_new_after_mixing(factory, session):
    campaign = factory.campaign()
    _, token = factory.invitation(campaign)
    _submit(session, token, label="x", batch=5)
    pending_id = session.scalar(select(PendingResponse.id))
    responding.mix_pending(session, campaign.id, minimum=1, secret_key=KEY)
    stored_id = session.scalar(select(Response.id))
    assert re.fullmatch(r"[0-9a-f]{32}", stored_id) and stored_id != pending_id


def test_responses_wait_in_the_pool_until_a_batch_is_full(factory, session):
    campaign = factory.campaign()
    tokens = [factory.invitation(campaign)[1] for _ in range(3)]
    counts = []
    for token in tokens:
        _submit(session, token, label="x", batch=3)
        counts.append((session.scalar(select(func.count()).select_from(PendingResponse)),
                       session.scalar(select(func.count()).select_from(Response))))
    assert counts == [(1, 0), (2, 0), (0, 3)]


def test_stored_order_does_not_follow_submission_order(submitted, session):
    # The table's own order, as a dump or a SELECT without ORDER BY shows it.
    natural = _labels(session, "SELECT answers FROM response")
    assert sorted(natural) == [f"r{i:02d}" for i in range(12)]
    # 12 responses in submission order by chance: 1 in 479 million.
    assert natural != sorted(natural) and natural != sorted(natural, reverse=True)
    by_id = [a["INT_T"] for a in session.scalars(select(Response.answers).order_by(Response.id))]
    assert by_id != sorted(by_id)


def test_batch_order_is_the_shuffle_not_the_arrival(factory, session):
    campaign = factory.campaign()
    tokens = [factory.invitation(campaign)[1] for _ in range(6)]
    shuffle = random.Random(7)
    expected = [f"r{i}" for i in range(6)]
    random.Random(7).shuffle(expected)
    for rank, token in enumerate(tokens):
        _submit(session, token, label=f"r{rank}", batch=6, rng=shuffle)
    if session.get_bind().dialect.name == "postgresql":
        assert _labels(session, "SELECT answers FROM response ORDER BY ctid") == expected
    else:  # SQLite stores WITHOUT ROWID tables in primary key order: random ids
        stored = _labels(session, "SELECT answers FROM response")
        ids = {a["INT_T"]: i for i, a in session.execute(select(Response.id, Response.answers))}
        assert stored == sorted(stored, key=ids.__getitem__)


def test_postgres_stored_responses_share_no_transaction_with_invitations(submitted, session):
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("transaction ids (xmin) exist on PostgreSQL only")
    response_xmins = set(session.execute(text("SELECT xmin::text FROM response")).scalars())
    invitation_xmins = set(session.execute(
        text("SELECT xmin::text FROM invitation WHERE used")).scalars())
    assert len(response_xmins) == 1          # the whole batch in one mixing transaction
    assert not response_xmins & invitation_xmins


def _answer_in_order(factory, session, *, units=3, people=4, batch=4, rng=None):
    """``people`` invited per office in ``units`` offices; they answer in an
    interleaved, shuffled order (as happens), one stratum filling at a time."""
    campaign = factory.campaign(unit=factory.unit("K00"))
    offices = [factory._first_unit(campaign)] + [factory.unit(f"K{u:02d}")
                                                  for u in range(1, units)]
    invited = [(office, *factory.invitation(campaign, office)) for office in offices
               for _ in range(people)]
    order = list(range(len(invited)))
    random.Random(11).shuffle(order)
    for rank, i in enumerate(order):
        _submit(session, invited[i][2], label=f"r{rank:02d}", batch=batch, rng=rng)
    return campaign, [invited[i][1].id for i in order]


def test_mixing_waits_for_enough_answers_of_the_same_office_and_group(factory, session):
    campaign = factory.campaign(unit=factory.unit("K00"))
    other = factory.unit("K01")
    tokens = [factory.invitation(campaign)[1] for _ in range(2)]
    tokens += [factory.invitation(campaign, other)[1] for _ in range(2)]
    for token in tokens:
        _submit(session, token, label="x", batch=3)
    # Four responses, but no office has three: none is stored yet.
    assert session.scalar(select(func.count()).select_from(Response)) == 0
    assert responding.mix_pending(session, campaign.id, minimum=1, secret_key=KEY) == 4


def test_postgres_transaction_ids_do_not_reveal_the_order_of_use(factory, session):
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("transaction ids (xmin) exist on PostgreSQL only")
    campaign, _ = _answer_in_order(factory, session)
    rows = session.execute(text(
        "SELECT unit_id, xmin::text FROM invitation WHERE used")).all()
    by_office: dict[int, set[str]] = {}
    for unit_id, xmin in rows:
        by_office.setdefault(unit_id, set()).add(xmin)
    # Every used invitation of an office carries the transaction that stored
    # its office's batch: there is no order left to match against the batches.
    assert all(len(xmins) == 1 for xmins in by_office.values())


def test_dump_order_of_used_invitations_is_not_the_order_of_use(factory, session):
    touch_order = random.Random(5)
    campaign, usage = _answer_in_order(factory, session, units=1, people=8, batch=8,
                                       rng=touch_order)
    in_table = list(session.scalars(text(
        "SELECT id FROM invitation WHERE used" +
        (" ORDER BY ctid" if session.get_bind().dialect.name == "postgresql" else ""))))
    assert sorted(in_table) == sorted(usage)
    assert in_table != usage and in_table != usage[::-1]


def test_sqlite_keeps_no_commit_history_after_mixing(factory, session, database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("the write-ahead log file is SQLite's")
    _answer_in_order(factory, session, units=1, people=4, batch=4)
    path = database_url.removeprefix("sqlite:///")
    assert os.path.getsize(path + "-wal") == 0
    assert session.execute(text("PRAGMA secure_delete")).scalar() == 1


def test_a_reader_of_the_database_learns_no_answer_while_responses_wait(factory, session,
                                                                        database_url):
    """Hole 6: a pending row shares its transaction (xmin, WAL frames) with
    the invitation it used. Whatever a read-only account, a dump or a copy of
    the files shows of the pool while it waits, it holds no answer, date or
    duration: only the office and group, which the invitation has anyway."""
    campaign = factory.campaign()
    marker = f"rahasia-{os.urandom(4).hex()}"
    for rank in range(3):
        _, token = factory.invitation(campaign)
        _submit(session, token, label=f"{marker}-{rank}", batch=5)   # the pool waits for 5
    rows = session.execute(text("SELECT * FROM pending_response")).mappings().all()
    assert len(rows) == 3 and session.scalar(select(func.count()).select_from(Response)) == 0
    for row in rows:
        assert set(row) == {"id", "campaign_id", "unit_id", "respondent_group",
                            "instrument_version_id", "channel", "sealed", "submitted_on"}
        assert row["submitted_on"] is None   # an invited row's date is sealed too
        sealed = bytes(row["sealed"])
        assert marker.encode() not in sealed and b"INT_A1" not in sealed
        assert len(sealed) == len(bytes(rows[0]["sealed"]))   # sizes tell nothing either
    if database_url.startswith("sqlite"):
        path = database_url.removeprefix("sqlite:///")
        for name in (path, path + "-wal"):
            if os.path.exists(name):
                with open(name, "rb") as handle:
                    assert marker.encode() not in handle.read(), name
    # Mixing opens them: the stored responses hold the answers.
    responding.mix_pending(session, campaign.id, minimum=1, secret_key=KEY)
    assert sorted(_labels(session, "SELECT answers FROM response")) == [
        f"{marker}-{rank}" for rank in range(3)]


def test_a_pending_response_does_not_open_under_another_key(factory, session):
    campaign = factory.campaign()
    _, token = factory.invitation(campaign)
    _submit(session, token, label="x", batch=5)
    with pytest.raises(ValueError, match="SECRET_KEY"):
        responding.mix_pending(session, campaign.id, minimum=1, secret_key="another key")
    assert session.scalar(select(func.count()).select_from(PendingResponse)) == 1


def test_unfinished_answers_cannot_be_tied_to_an_invitation(factory, session, today):
    campaign = factory.campaign()
    invitation, token = factory.invitation(campaign)
    link = responding.resolve_invitation(session, token, today=today)
    responding.save_progress(session, link, token, Progress({"INT_A1": "1"}, {1}, 1.0e9),
                             today=today, keep_days=30)
    row = session.scalars(select(PartialAnswer)).one()
    hashes = set(session.scalars(select(Invitation.token_hash)))
    assert row.key not in hashes and invitation.token_hash not in row.key
    assert b"INT_A1" not in row.payload and b"1000000000" not in row.payload
    assert responding.load_progress(session, token).answers == {"INT_A1": "1"}
    assert responding.load_progress(session, token + "x") is None


def test_responses_hold_answers_only(submitted, session):
    for answers in session.scalars(select(Response.answers)):
        assert set(answers) <= {"INT_A1", "INT_T"}


TOKEN = "uPVd6jS_ic60-eFpVPcguVsm7dkDqJp8"


@pytest.fixture
def log_output(database_url, tmp_path):
    """What the deployment's log handlers write: a root handler (werkzeug and
    our own loggers propagate to it) and gunicorn's access log handler, both
    in place before the app is created, as under gunicorn."""
    streams = {name: io.StringIO() for name in ("root", "gunicorn.access")}
    handlers = {name: logging.StreamHandler(stream) for name, stream in streams.items()}
    access = logging.getLogger("gunicorn.access")
    logging.getLogger().addHandler(handlers["root"])
    access.addHandler(handlers["gunicorn.access"])
    level = access.level
    access.setLevel(logging.INFO)
    access.propagate = False
    app = create_app({"DATABASE_URL": database_url, "INSTANCE_PATH": str(tmp_path),
                      "SECRET_KEY": "x", "TESTING": False})
    try:
        yield app, streams
    finally:
        app.extensions["survey.db"].dispose()
        logging.getLogger().removeHandler(handlers["root"])
        access.removeHandler(handlers["gunicorn.access"])
        access.propagate = True
        access.setLevel(level)


def test_tokens_never_reach_the_werkzeug_access_log(log_output):
    _, streams = log_output
    logging.getLogger("werkzeug").warning('%s - - "%s" %s', "127.0.0.1",
                                          f"GET /r/{TOKEN}/2 HTTP/1.1", "200")
    written = streams["root"].getvalue()
    assert "/r/<token>/2" in written and TOKEN not in written


def test_tokens_never_reach_the_gunicorn_access_log(log_output):
    _, streams = log_output
    # gunicorn passes its access-log atoms as a mapping
    logging.getLogger("gunicorn.access").info('%(h)s "%(r)s" %(s)s', {
        "h": "10.0.0.1", "r": f"GET /r/{TOKEN} HTTP/1.1", "s": "200"})
    written = streams["gunicorn.access"].getvalue()
    assert "/r/<token>" in written and TOKEN not in written


def test_tokens_never_reach_the_log_of_an_unexpected_error(log_output, monkeypatch):
    app, streams = log_output

    def broken(*_args, **_kwargs):
        raise RuntimeError("database fell over")

    monkeypatch.setattr(responding, "resolve_invitation", broken)
    response = app.test_client().get(f"/r/{TOKEN}")
    assert response.status_code == 500
    written = streams["root"].getvalue()
    assert "unhandled error on GET /r/<token>" in written and TOKEN not in written


DRIVER_TEXT = "simulated failure"


def _fail_statements_on(app, table: str):
    """Make every statement on ``table`` fail in the driver, whose message
    quotes the statement's values as PostgreSQL's DETAIL lines do."""
    engine = app.extensions["survey.db"]
    error = engine.dialect.loaded_dbapi.OperationalError

    def refuse(_conn, _cursor, statement, parameters, _context, _many):
        if table in statement:
            raise error(f"{DRIVER_TEXT}; DETAIL: Key (x)=({parameters!r}) is broken")

    event.listen(engine, "before_cursor_execute", refuse)


def test_no_token_hash_reaches_the_log_when_the_database_fails(log_output, factory):
    app, streams = log_output
    _, token = factory.invitation(factory.campaign())
    _fail_statements_on(app, "FROM invitation")
    response = app.test_client().get(f"/r/{token}")
    assert response.status_code == 500
    written = streams["root"].getvalue()
    assert "unhandled error on GET /r/<token>" in written
    assert "OperationalError" in written and "FROM invitation" in written   # still useful
    assert token_hash(token) not in written and token not in written
    assert DRIVER_TEXT not in written   # the driver's text may quote values


def test_database_errors_never_quote_bound_values(session):
    with pytest.raises(DBAPIError) as caught:
        session.execute(text("SELECT * FROM no_such_table WHERE x = :v"), {"v": "a-hash-value"})
    assert "a-hash-value" not in str(caught.value)


def test_no_answer_reaches_the_log_when_storing_a_response_fails(log_output, factory):
    app, streams = log_output
    _, token = factory.invitation(factory.campaign())
    browser = Browser(app.test_client(), f"/r/{token}")
    secret = "Kepala kantor minta uang 500 ribu"
    pages = {**PAGE_ANSWERS, 4: {**PAGE_ANSWERS[4], "INT_T": secret}}
    _fail_statements_on(app, "INSERT INTO pending_response")
    response = browser.answer_all(pages)
    assert response.status_code == 500
    written = streams["root"].getvalue()
    assert "INSERT INTO pending_response" in written
    assert secret not in written and "500 ribu" not in written
    assert token not in written and token_hash(token) not in written


@pytest.mark.parametrize("logged", [
    f"GET /r/{TOKEN[:5]}%{ord(TOKEN[5]):02X}{TOKEN[6:]} HTTP/1.1",
    f"GET /r/{TOKEN[:5]}%{ord(TOKEN[5]):02x}{TOKEN[6:]}/2 HTTP/1.1",
    f"GET %2Fr%2F{TOKEN} HTTP/1.1",
    f"GET /lang/en?next=%2Fr%2F{TOKEN} HTTP/1.1",
    f"GET /lang/en?next=%252Fr%252F{TOKEN}%252F3 HTTP/1.1",
    f"GET /lang/en?next=/%72/{TOKEN} HTTP/1.1",
    f"GET /lapor/{TOKEN} HTTP/1.1",   # a citizen report's tracking code
    f"GET /lang/en?next=%2Flapor%2F{TOKEN} HTTP/1.1",
])
def test_encoded_tokens_are_masked_in_the_access_log(log_output, logged):
    _, streams = log_output
    logging.getLogger("werkzeug").warning('%s - - "%s" %s', "127.0.0.1", logged, "200")
    written = streams["root"].getvalue()
    assert "<token>" in written
    assert TOKEN[6:] not in written and TOKEN[:5] + "%" not in written


def test_encoded_token_in_a_real_request_is_masked(log_output, factory):
    """The probe's request: the token with one character percent-encoded
    opens the invitation; the access log shows no part of it."""
    app, streams = log_output
    _, token = factory.invitation(factory.campaign())
    encoded = f"{token[:5]}%{ord(token[5]):02X}{token[6:]}"
    response = app.test_client().get(f"/r/{encoded}")
    assert response.status_code == 200   # it does open the invitation
    logging.getLogger("werkzeug").warning('%s - - "%s" %s', "127.0.0.1",
                                          f"GET /r/{encoded} HTTP/1.1", "200")
    written = streams["root"].getvalue()
    assert token[6:] not in written
