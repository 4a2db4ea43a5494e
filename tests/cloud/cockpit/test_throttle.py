"""The login throttle as a pure object on a clock the test moves: backoff schedule, window, success, bounded memory."""

from __future__ import annotations

import pytest

from cloud.cockpit.settings import LoginThrottleSettings
from cloud.cockpit.throttle import LoginThrottle


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _throttle(**settings: float) -> tuple[LoginThrottle, Clock]:
    clock = Clock()
    return LoginThrottle(LoginThrottleSettings.model_validate(settings), clock=clock), clock


def _fail_until_refused(throttle: LoginThrottle, clock: Clock, user: str, client: str) -> float:
    """Fail admitted attempts at the current time until one is refused; the wait it was given."""
    for _ in range(10_000):
        wait = throttle.admit(user, client)
        if wait:
            return wait
    raise AssertionError("never refused")


@pytest.mark.parametrize(
    ("settings", "waits"),
    [
        ({"user_failures": 3, "backoff_s": 1, "backoff_max_s": 300}, [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300]),
        ({"user_failures": 1, "backoff_s": 5, "backoff_max_s": 30}, [5, 10, 20, 30, 30]),
        ({"user_failures": 2, "backoff_s": 2, "backoff_max_s": 2}, [2, 2, 2]),
    ],
)
def test_each_wait_doubles_up_to_the_cap(settings: dict[str, float], waits: list[float]) -> None:
    throttle, clock = _throttle(**settings)
    for expected in waits:
        assert _fail_until_refused(throttle, clock, "ada", "10.0.0.1") == expected
        clock.now += expected  # wait exactly as long as told; the next attempt is admitted and fails


def test_an_attempt_during_the_backoff_is_refused_with_what_is_left() -> None:
    throttle, clock = _throttle(user_failures=1, backoff_s=10)
    assert throttle.admit("ada", "a") == 0
    clock.now += 4
    assert throttle.admit("ada", "a") == pytest.approx(6)
    assert throttle.admit("ada", "a") == pytest.approx(6)  # a refused attempt does not lengthen the wait


def test_failures_older_than_the_window_stop_counting() -> None:
    throttle, clock = _throttle(user_failures=2, window_s=60, backoff_s=1)
    throttle.admit("ada", "a")
    throttle.admit("ada", "a")
    assert throttle.admit("ada", "a") > 0
    clock.now += 61
    assert throttle.admit("ada", "a") == 0 and throttle.admit("ada", "a") == 0


def test_success_clears_the_name_but_not_the_address() -> None:
    throttle, clock = _throttle(user_failures=2, client_failures=3, backoff_s=1)
    throttle.admit("ada", "a")
    throttle.admit("ada", "a")
    throttle.succeeded("ada", "a")  # the second attempt was right: that one is taken back from the address
    assert throttle.admit("ada", "a") == 0  # the name starts again
    assert throttle.admit("bob", "a") == 0  # the address has 3 failures now: ada, ada, bob
    assert throttle.admit("cy", "a") > 0


@pytest.mark.parametrize("key", ["user", "client"])
def test_either_key_refuses(key: str) -> None:
    throttle, clock = _throttle(user_failures=2, client_failures=2)
    for i in range(2):
        throttle.admit("ada" if key == "user" else f"u{i}", f"c{i}" if key == "user" else "a")
    assert throttle.admit("ada" if key == "user" else "new", "new" if key == "user" else "a") > 0


def test_spraying_names_and_addresses_cannot_grow_the_tables() -> None:
    throttle, clock = _throttle(max_tracked=100, user_failures=100, client_failures=1000)
    for i in range(20_000):
        throttle.admit(f"name-{i}", f"10.{i // 65536}.{i // 256 % 256}.{i % 256}")
        clock.now += 0.001
    assert throttle.tracked() == (100, 100)
    # The most recent keys are the ones kept.
    assert throttle.admit("name-19999", "x") == 0 and throttle.tracked()[0] == 100


def test_one_key_keeps_a_bounded_history() -> None:
    throttle, clock = _throttle(user_failures=5, backoff_s=1, backoff_max_s=8, window_s=10**6)
    for _ in range(10_000):
        clock.now += 10  # past every backoff: each attempt is admitted and fails
        assert throttle.admit("ada", "a") == 0
    times = throttle._users._times["ada"]  # noqa: SLF001 - the bound is the point of this test
    assert len(times) <= 5 + 3 + 1
    assert throttle.admit("ada", "a") == 8  # still at the cap, as if all 10 000 were remembered
