"""Staff pages: sign-in, and progress limited to a person's units."""

from __future__ import annotations

import pytest
from support import PASSWORD, csrf_of, sign_in

from survey import create_app
from survey.services import staff


@pytest.fixture
def city(factory, session):
    """Two offices, a sub-office of the first, a campaign, and staff."""
    dinkes = factory.unit("DINKES")
    rsud = factory.unit("RSUD", parent=dinkes)
    pupr = factory.unit("PUPR")
    campaign = factory.campaign(unit=dinkes)
    for unit in (dinkes, rsud, pupr):
        factory.invitation(campaign, unit)
    factory.invitation(campaign, pupr, used=True)
    staff.create_user(session, email="inspektur@kota.example", name="Silvi", role="inspector",
                      password=PASSWORD)
    staff.create_user(session, email="kadis@kota.example", name="Kadis", role="unit_manager",
                      password=PASSWORD, unit_code="DINKES")
    return campaign


def test_staff_pages_require_sign_in(client, city):
    response = client.get("/staff/")
    assert response.status_code == 302 and "/staff/login" in response.headers["Location"]


def test_wrong_password_is_refused_without_saying_which_part(client, city):
    page = sign_in(client, "inspektur@kota.example", "wrong password").get_data(as_text=True)
    assert "Email atau kata sandi tidak benar." in page


def test_sign_in_without_csrf_token_is_refused(client, city):
    response = client.post("/staff/login", data={"email": "inspektur@kota.example",
                                                 "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/staff/").status_code == 302


def test_inspector_sees_every_office(client, city):
    assert sign_in(client, "INSPEKTUR@kota.example").status_code == 303
    page = client.get("/staff/").get_data(as_text=True)
    for name in ("Kantor DINKES", "Kantor RSUD", "Kantor PUPR"):
        assert name in page
    assert "Menjawab: 1 dari 4 yang diundang (25%)." in page
    pupr = page[page.index("Kantor PUPR"):]
    assert "<td class=\"num\">50%</td>" in pupr[:pupr.index("</tr>")]


def test_unit_manager_sees_own_office_and_its_sub_offices_only(client, city):
    sign_in(client, "kadis@kota.example")
    page = client.get("/staff/").get_data(as_text=True)
    assert "Kantor DINKES" in page and "Kantor RSUD" in page
    assert "Kantor PUPR" not in page


def test_unknown_campaign_is_404(client, city):
    sign_in(client, "inspektur@kota.example")
    assert client.get("/staff/?campaign=999").status_code == 404


def test_sign_out_needs_a_post_withcsrf_of(client, city):
    sign_in(client, "inspektur@kota.example")
    assert client.get("/staff/logout").status_code == 405
    page = client.get("/staff/").get_data(as_text=True)
    assert client.post("/staff/logout", data={}).status_code == 400
    response = client.post("/staff/logout", data={"csrf_token": csrf_of(page)})
    assert response.status_code == 303
    assert client.get("/staff/").status_code == 302


def test_sign_in_is_recorded_in_the_audit_log(client, city, session):
    from sqlalchemy import select

    from survey.models import AuditEntry

    sign_in(client, "inspektur@kota.example")
    actions = session.scalars(select(AuditEntry.action)).all()
    assert "staff.login" in actions


# -- several institutions ------------------------------------------------------

@pytest.fixture
def two_cities(factory, session):
    """Two institutions that both have an office coded DINKES."""
    from survey.models import Institution

    first = factory.unit("DINKES", institution=Institution(code="KOTA-A", name="Kota A"))
    second = factory.unit("DINKES", institution=Institution(code="KOTA-B", name="Kota B"))
    campaign_a = factory.campaign(unit=first, name="SPI Kota A")
    campaign_b = factory.campaign(unit=second, name="SPI Kota B")
    return first, second, campaign_a, campaign_b


def test_an_ambiguous_unit_code_is_refused_until_the_institution_is_named(session, two_cities):
    with pytest.raises(staff.StaffError, match="several institutions .*KOTA-A, KOTA-B"):
        staff.create_user(session, email="k@b.example", name="K", role="unit_manager",
                          password=PASSWORD, unit_code="DINKES")
    user = staff.create_user(session, email="k@b.example", name="K", role="unit_manager",
                             password=PASSWORD, unit_code="DINKES", institution_code="KOTA-B")
    assert user.unit_id == two_cities[1].id


def test_unit_manager_cannot_open_another_institutions_campaign(client, session, two_cities):
    _, second, campaign_a, campaign_b = two_cities
    staff.create_user(session, email="kb@kota.example", name="Kb", role="unit_manager",
                      password=PASSWORD, unit_code="DINKES", institution_code="KOTA-B")
    sign_in(client, "kb@kota.example")
    assert client.get(f"/staff/?campaign={campaign_a.id}").status_code == 404
    page = client.get(f"/staff/?campaign={campaign_b.id}").get_data(as_text=True)
    assert "SPI Kota B" in page and "SPI Kota A" not in page


def _from(app, address: str):
    """A test client at another address (another device)."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def test_failures_are_limited_per_client_and_never_lock_out_the_owner(app, city, session):
    from sqlalchemy import func, select

    from survey.models import AuditEntry

    attacker = _from(app, "203.0.113.9")
    for _ in range(5):
        assert "Email atau kata sandi tidak benar." in \
            sign_in(attacker, "inspektur@kota.example", "guess").get_data(as_text=True)
    locked = sign_in(attacker, "inspektur@kota.example")   # even the right password
    assert locked.status_code == 429
    assert "Terlalu banyak percobaan" in locked.get_data(as_text=True)
    assert attacker.get("/staff/").status_code == 302
    # The owner, on their own device, is not locked out.
    assert sign_in(_from(app, "198.51.100.7"), "inspektur@kota.example").status_code == 303
    failed = session.scalar(select(func.count()).select_from(AuditEntry)
                            .where(AuditEntry.action == "staff.login_failed"))
    assert failed == 5


def test_one_client_guessing_across_many_accounts_is_stopped(app, city, monkeypatch):
    checked = []
    authenticate = staff.authenticate
    monkeypatch.setattr(staff, "authenticate",
                        lambda *args: checked.append(args[1]) or authenticate(*args))
    guesser = _from(app, "203.0.113.10")
    statuses = [sign_in(guesser, f"pegawai{n}@kota.example", "guess").status_code
                for n in range(40)]
    assert statuses[:30] == [200] * 30 and set(statuses[30:]) == {429}
    assert len(checked) == 30   # the last ten passwords were never even checked
    assert sign_in(_from(app, "198.51.100.8"), "inspektur@kota.example").status_code == 303


REDIS = "redis://127.0.0.1:6379/0"


def test_failure_counts_are_shared_by_app_processes_through_redis(app, city):
    """Two app processes (two apps, each with its own connection to Redis):
    failures counted by one are refused by the other."""
    import secrets

    redis = pytest.importorskip("redis").Redis.from_url(REDIS)
    try:
        redis.ping()
    except Exception:
        pytest.skip("no Redis at 127.0.0.1:6379")
    prefix = f"test-{secrets.token_hex(6)}"

    def process():
        return create_app({**{k: app.config[k] for k in ("DATABASE_URL", "INSTANCE_PATH",
                                                         "SECRET_KEY")},
                           "TESTING": True, "JOB_RUNNER": "external", "REDIS_URL": REDIS,
                           "RATELIMIT_KEY_PREFIX": prefix})

    first = process()
    try:
        for _ in range(5):
            assert sign_in(_from(first, "203.0.113.11"), "inspektur@kota.example",
                           "guess").status_code == 200
        assert redis.keys(f"*{prefix}*")   # counted in Redis, not in the process
        second = process()
        assert sign_in(_from(second, "203.0.113.11"),
                       "inspektur@kota.example").status_code == 429
        assert sign_in(_from(second, "203.0.113.12"),
                       "inspektur@kota.example").status_code == 303
        second.extensions["survey.db"].dispose()
    finally:
        first.extensions["survey.db"].dispose()
        for key in redis.scan_iter(f"*{prefix}*"):
            redis.delete(key)


def test_unknown_and_known_accounts_take_the_same_work_to_refuse(city, session, monkeypatch):
    import survey.services.staff as module

    checked = []
    real = module.check_password_hash
    monkeypatch.setattr(module, "check_password_hash",
                        lambda h, p: checked.append(h) or real(h, p))
    assert staff.authenticate(session, "nobody@kota.example", "guess") is None
    assert checked == [module._DUMMY_HASH]   # a full hash check, as for a real account
