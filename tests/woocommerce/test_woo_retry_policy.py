"""RetryPolicy (src/storebridge/retry.py): pure backoff arithmetic and Retry-After parsing."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storebridge.retry import RetryPolicy, parse_retry_after


@settings(max_examples=50)
@given(
    attempt=st.integers(min_value=1, max_value=200),
    base=st.floats(min_value=0.01, max_value=5),
    cap=st.floats(min_value=0.01, max_value=120),
    seed=st.integers(min_value=0, max_value=2**32),
)
def test_the_jittered_delay_never_exceeds_the_capped_exponential_bound(
    attempt: int, base: float, cap: float, seed: int
) -> None:
    policy = RetryPolicy(max_attempts=10, base=base, cap=cap)

    delay = policy.delay_for(attempt, None, random.Random(seed))

    assert 0.0 <= delay <= min(cap, base * 2 ** min(attempt - 1, 62))


def test_the_same_seed_gives_the_same_delays() -> None:
    policy = RetryPolicy(base=1.0, cap=30.0)

    first = [policy.delay_for(n, None, random.Random(99)) for n in range(1, 6)]
    second = [policy.delay_for(n, None, random.Random(99)) for n in range(1, 6)]

    assert first == second


def test_retry_after_wins_over_the_formula_but_is_capped() -> None:
    policy = RetryPolicy(base=1.0, cap=2.0, retry_after_cap=60.0)
    rng = random.Random(1)

    assert policy.delay_for(1, 45.0, rng) == 45.0
    assert policy.delay_for(1, 3600.0, rng) == 60.0
    assert policy.delay_for(1, -5.0, rng) == 0.0


def test_can_retry_counts_the_first_request_as_an_attempt() -> None:
    policy = RetryPolicy(max_attempts=3)

    assert [policy.can_retry(n) for n in (1, 2, 3)] == [True, True, False]


def test_nonsensical_policies_are_refused() -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError, match="positive"):
        RetryPolicy(base=0)
    with pytest.raises(ValueError, match="1-based"):
        RetryPolicy().delay_for(0, None, random.Random(0))


NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("120", 120.0),
        (" 5 ", 5.0),
        ("Wed, 01 May 2024 12:00:30 GMT", 30.0),
        ("Wed, 01 May 2024 11:00:00 GMT", 0.0),
        ("Wed, 01 May 2024 12:01:00 -0000", 60.0),
        (None, None),
        ("", None),
        ("soon", None),
        ("-3", None),
    ],
)
def test_retry_after_is_read_as_seconds_or_an_http_date(
    header: str | None, expected: float | None
) -> None:
    assert parse_retry_after(header, NOW) == expected
