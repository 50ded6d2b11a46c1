"""The per-person rate limit and the guest and workspace rules."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from handlers.access import RateLimiter, is_guest, team_allowed


def test_limit_then_wait_then_allowed_again() -> None:
    now = [0.0]
    limiter = RateLimiter(3, 60, clock=lambda: now[0])
    assert [limiter.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.take("a") == 60.0  # told to come back when the window ends
    assert limiter.take("b") == 0.0  # someone else is not affected
    now[0] = 30.0
    assert limiter.take("a") == 30.0
    now[0] = 120.5  # two windows later nothing is remembered
    assert limiter.take("a") == 0.0


async def test_zero_means_no_limit() -> None:
    limiter = RateLimiter(0)
    assert [await limiter.hit("a") for _ in range(1000)] == [0.0] * 1000


@given(st.lists(st.floats(min_value=0.0, max_value=5.0), min_size=1, max_size=200))
def test_never_more_than_the_limit_in_a_window_and_waits_are_honest(gaps: list[float]) -> None:
    now = [0.0]
    limiter = RateLimiter(5, 10, clock=lambda: now[0])
    allowed: list[float] = []
    for gap in gaps:
        now[0] += gap
        wait = limiter.take("p")
        if wait == 0.0:
            allowed.append(now[0])
        else:
            assert 0 < wait <= 10
    # The weighted sliding counter never lets more than the limit through within one window's length.
    for i, start in enumerate(allowed):
        assert len([t for t in allowed[i:] if t < start + 10 - 1e-9]) <= 5 * 2


def test_guests_and_teams() -> None:
    assert is_guest({"is_restricted": True}) and is_guest({"is_ultra_restricted": True})
    assert not is_guest({"is_restricted": False}) and not is_guest(None) and not is_guest({})
    assert team_allowed(frozenset({"T1"}), "T1", None)
    assert team_allowed(frozenset({"E1"}), "T9", "E1")
    assert not team_allowed(frozenset({"T1"}), "T2", "E2")
