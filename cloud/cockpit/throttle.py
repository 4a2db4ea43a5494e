"""Login throttling: failed logins per user name and per client address, with exponential backoff.

Each key (a user name, a client address) keeps the times of its recent
failures. Within ``window_s`` the first ``free`` failures cost nothing; after
that the next attempt is admitted only ``backoff_s * 2**(n - free)`` seconds
(capped at ``backoff_max_s``) after the newest failure, where ``n`` is the
number of failures in the window. An attempt is refused when either of its
keys is waiting, so spraying names from one address and spraying addresses at
one name are both slowed.

An admitted attempt counts as a failure at once and is taken back on success,
so a burst of parallel guesses cannot all slip in before the first one fails.
A success clears its user name; it does not clear the address, or one valid
account would launder guesses at every other name.

Memory is bounded: a key keeps no more failure times than it takes to reach
the longest backoff, and each table holds at most ``max_tracked`` keys, the
least recently failed forgotten first. An attacker who owns more addresses
than that can make the throttle forget; the per-name table still slows any
one account.

Example:
    >>> t = LoginThrottle(LoginThrottleSettings(user_failures=1, client_failures=5), clock=lambda: 100.0)
    >>> t.admit("ada", "10.0.0.1")
    0.0
    >>> t.admit("ada", "10.0.0.1")  # one failure is free; the next attempt waits the first backoff
    1.0
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass

from cloud.cockpit.settings import LoginThrottleSettings


@dataclass(frozen=True)
class _Policy:
    free: int
    window_s: float
    backoff_s: float
    backoff_max_s: float
    max_tracked: int

    @classmethod
    def of(cls, settings: LoginThrottleSettings, free: int) -> _Policy:
        return cls(free, settings.window_s, settings.backoff_s, settings.backoff_max_s, settings.max_tracked)

    @property
    def depth(self) -> int:
        """Failure times worth keeping: beyond this many the backoff is at its cap anyway."""
        return self.free + max(0, math.ceil(math.log2(self.backoff_max_s / self.backoff_s))) + 1

    def delay(self, failures: int) -> float:
        if failures < self.free:
            return 0.0
        return min(self.backoff_max_s, self.backoff_s * 2.0 ** (failures - self.free))


class _Table:
    """Recent failure times per key; bounded in keys and in times per key. Not thread-safe on its own."""

    def __init__(self, policy: _Policy) -> None:
        self.policy = policy
        self._times: OrderedDict[str, deque[float]] = OrderedDict()

    def wait(self, key: str, now: float) -> float:
        times = self._times.get(key)
        if not times:
            return 0.0
        while times and times[0] <= now - self.policy.window_s:
            times.popleft()
        if not times:
            del self._times[key]
            return 0.0
        return max(0.0, times[-1] + self.policy.delay(len(times)) - now)

    def add(self, key: str, now: float) -> None:
        times = self._times.pop(key, None) or deque(maxlen=self.policy.depth)
        times.append(now)
        self._times[key] = times  # re-inserted: the most recently failed key is the last to be evicted
        while len(self._times) > self.policy.max_tracked:
            self._times.popitem(last=False)

    def take_back(self, key: str) -> None:
        times = self._times.get(key)
        if times:
            times.pop()
            if not times:
                del self._times[key]

    def clear(self, key: str) -> None:
        self._times.pop(key, None)

    def __len__(self) -> int:
        return len(self._times)


class LoginThrottle:
    """Decides whether a login attempt may check its password now; thread-safe."""

    def __init__(self, settings: LoginThrottleSettings, clock: Callable[[], float] = time.monotonic) -> None:
        self._users = _Table(_Policy.of(settings, settings.user_failures))
        self._clients = _Table(_Policy.of(settings, settings.client_failures))
        self._clock = clock
        self._lock = threading.Lock()

    def admit(self, username: str, client: str) -> float:
        """0.0 when the attempt may go ahead (it counts as a failure until ``succeeded``), else seconds to wait."""
        with self._lock:
            now = self._clock()
            wait = max(self._users.wait(username, now), self._clients.wait(client, now))
            if wait > 0:
                return wait
            self._users.add(username, now)
            self._clients.add(client, now)
            return 0.0

    def succeeded(self, username: str, client: str) -> None:
        """The admitted attempt was right: forget the user name's failures and take this attempt off the address."""
        with self._lock:
            self._users.clear(username)
            self._clients.take_back(client)

    def tracked(self) -> tuple[int, int]:
        """How many user names and addresses are remembered now."""
        with self._lock:
            return len(self._users), len(self._clients)
