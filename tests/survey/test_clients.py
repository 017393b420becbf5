"""The client key of rate limits: stable for a day, new the next, never
the address itself."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine

from survey.clients import client_key

NOON_JAKARTA = datetime(2026, 3, 10, 5, 0, tzinfo=UTC)


def _key(app, address: str) -> str:
    with app.test_request_context("/", environ_base={"REMOTE_ADDR": address}):
        return client_key()


def test_one_address_has_one_key_all_day_and_a_new_one_the_next(app):
    with time_machine.travel(NOON_JAKARTA, tick=False):
        morning = _key(app, "203.0.113.7")
    with time_machine.travel(NOON_JAKARTA + timedelta(hours=11), tick=False):  # 23:00 WIB
        evening = _key(app, "203.0.113.7")
    with time_machine.travel(NOON_JAKARTA + timedelta(days=1), tick=False):
        tomorrow = _key(app, "203.0.113.7")
    assert morning == evening != tomorrow


def test_addresses_get_different_keys_that_do_not_contain_them(app):
    with time_machine.travel(NOON_JAKARTA, tick=False):
        first, second = _key(app, "203.0.113.7"), _key(app, "203.0.113.8")
    assert first != second
    assert "203" not in first and "113" not in first


def test_the_key_depends_on_the_secret_key(app):
    with time_machine.travel(NOON_JAKARTA, tick=False):
        before = _key(app, "203.0.113.7")
        app.config["SECRET_KEY"] = "another-secret"
        assert _key(app, "203.0.113.7") != before
