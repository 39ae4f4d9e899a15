"""Login throttling: a burst of wrong passwords ends in 429; the right one works after the delay."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from tests.web.web_support import PASSWORD, WebWorld, web_world

from storebridge.persistence.repositories.audit import latest_events
from storebridge.web.throttle import (
    ACCOUNT,
    ADDRESS,
    LoginThrottle,
    Policy,
    ThrottleKey,
    retry_after_header,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def throttled(
    tmp_path: Path, _sqlite_template: Path, clock: FakeClock
) -> AsyncIterator[WebWorld]:
    policies = {ACCOUNT: Policy(free_failures=3), ADDRESS: Policy(free_failures=10)}
    async with web_world(
        tmp_path, _sqlite_template, throttle=LoginThrottle(policies, clock=clock)
    ) as built:
        yield built


def test_the_delay_doubles_after_the_free_failures_up_to_the_cap() -> None:
    policy = Policy(free_failures=2, base_delay_s=1.0, max_delay_s=10.0)

    delays = [policy.delay_after(n) for n in range(1, 9)]

    assert delays == [0.0, 0.0, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0]


def test_a_success_forgets_the_failures(clock: FakeClock) -> None:
    throttle = LoginThrottle({ACCOUNT: Policy(free_failures=1)}, clock=clock)
    key = ThrottleKey.account("Ada ")
    throttle.failed([key])
    assert throttle.failed([key]) == 1.0

    throttle.succeeded([ThrottleKey.account("ada")])

    assert throttle.retry_after([key]) == 0.0
    assert throttle.failed([key]) == 0.0


def test_failures_are_forgotten_after_a_quiet_hour(clock: FakeClock) -> None:
    throttle = LoginThrottle({ACCOUNT: Policy(free_failures=1, forget_after_s=60)}, clock=clock)
    key = ThrottleKey.account("ada")
    throttle.failed([key])
    clock.now += 61

    assert throttle.failed([key]) == 0.0


def test_retry_after_is_whole_seconds_and_never_zero() -> None:
    assert retry_after_header(0.2) == "1"
    assert retry_after_header(3.5) == "4"


async def test_a_burst_of_wrong_passwords_ends_in_429_and_the_right_one_works_after_the_delay(
    throttled: WebWorld, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    statuses = [(await throttled.login(password=f"guess-{n}")).status_code for n in range(6)]

    assert statuses[:4] == [401, 401, 401, 401]
    assert statuses[4:] == [429, 429]
    locked = await throttled.login()  # even the right password waits
    assert locked.status_code == 429
    assert locked.headers["retry-after"] == "1"
    assert (await throttled.client.get("/")).status_code == 303

    clock.now += 1.0
    response = await throttled.login()

    assert response.status_code == 303
    assert (await throttled.client.get("/")).status_code == 200
    text = caplog.text
    assert "account 'ada' locked" in text and "account 'ada' unlocked" in text
    assert "guess-" not in text and PASSWORD not in text


async def test_each_further_failure_doubles_the_lock(throttled: WebWorld, clock: FakeClock) -> None:
    for n in range(4):
        await throttled.login(password=f"guess-{n}")
    waits = []
    for n in range(3):
        clock.now += 60
        await throttled.login(password=f"again-{n}")
        waits.append((await throttled.login(password="x")).headers["retry-after"])

    assert waits == ["2", "4", "8"]


async def test_an_unknown_account_is_throttled_like_a_real_one(throttled: WebWorld) -> None:
    real = [(await throttled.login(password="nope")).status_code for _ in range(5)]
    unknown = [(await throttled.login(username="mallory")).status_code for _ in range(5)]

    assert real == unknown == [401, 401, 401, 401, 429]


async def test_one_address_guessing_many_accounts_is_locked_too(throttled: WebWorld) -> None:
    statuses = [(await throttled.login(username=f"user{n}")).status_code for n in range(12)]

    assert statuses[:11] == [401] * 11
    assert statuses[11] == 429
    assert (await throttled.login()).status_code == 429  # the address, not the account


async def test_lockouts_and_unlocks_are_in_the_audit_trail_and_on_the_activity_page(
    throttled: WebWorld, clock: FakeClock
) -> None:
    for n in range(4):
        await throttled.login(password=f"guess-{n}")
    clock.now += 0.5
    assert (await throttled.login(username="vic")).status_code == 303
    page = await throttled.client.get("/activity")

    assert page.status_code == 200
    assert "account <code>ada</code>" in page.text
    clock.now += 1
    assert (await throttled.login()).status_code == 303
    with throttled.services.sessions() as session:
        events = [(e.action, e.target) for e in latest_events(session)]
    assert ("lockout", "account 'ada'") in events
    assert ("unlock", "account 'ada'") in events
