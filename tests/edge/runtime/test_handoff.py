"""The hand-off to the back half of the loop: order kept, one item waiting at most, errors raised in the loop, a drain."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import pytest

from edge.runtime.handoff import Handoff


class Boom(RuntimeError):
    pass


def _slow(done: list[int], pause_s: float = 0.002) -> Callable[[int], None]:
    def work(item: int) -> None:
        time.sleep(pause_s)
        done.append(item)

    return work


@pytest.mark.parametrize("threaded", [True, False])
def test_every_item_is_worked_on_once_in_order(threaded: bool) -> None:
    done: list[int] = []
    with Handoff(_slow(done), "order", threaded=threaded) as back:
        for item in range(200):
            back.put(item)
    assert done == list(range(200))


def test_threaded_work_runs_on_its_own_thread_and_unthreaded_in_the_caller() -> None:
    names: list[str] = []
    for threaded in (True, False):
        with Handoff(lambda _item: names.append(threading.current_thread().name), "worker", threaded=threaded) as back:
            back.put(0)
    assert names == ["worker", threading.current_thread().name]


def test_a_slow_worker_holds_the_loop_back_after_one_waiting_item() -> None:
    release = threading.Event()
    started = threading.Event()

    def work(_item: int) -> None:
        started.set()
        release.wait(5)

    back: Handoff[int] = Handoff(work, "bounded")
    back.put(0)
    assert started.wait(5)  # the worker holds item 0
    back.put(1)  # waits in the hand-off
    blocked = threading.Thread(target=back.put, args=(2,))
    blocked.start()
    blocked.join(0.3)
    assert blocked.is_alive(), "a third item was taken while the worker was busy with the first"
    release.set()
    blocked.join(5)
    assert not blocked.is_alive()
    back.close()


def test_close_drains_what_was_handed_over() -> None:
    done: list[int] = []
    back = Handoff(_slow(done, 0.02), "drain")
    for item in range(3):
        back.put(item)
    back.close()
    assert done == [0, 1, 2]
    assert not [t for t in threading.enumerate() if t.name == "drain"]


@pytest.mark.parametrize("threaded", [True, False])
def test_the_workers_error_is_raised_in_the_loop_once_and_later_items_are_not_worked_on(threaded: bool) -> None:
    done: list[int] = []

    def work(item: int) -> None:
        if item == 3:
            raise Boom(f"item {item} failed")
        done.append(item)

    back: Handoff[int] = Handoff(work, "fails", threaded=threaded)
    with pytest.raises(Boom, match="item 3 failed"):
        for item in range(100):
            back.put(item)
    back.close()  # raised once: closing afterwards does not raise it again
    assert done == [0, 1, 2]


def test_an_error_on_the_last_item_is_raised_by_close() -> None:
    def work(item: int) -> None:
        raise Boom(f"item {item} failed")

    with pytest.raises(Boom, match="item 0 failed"):
        with Handoff(work, "last") as back:
            back.put(0)


def test_the_loops_own_error_wins_and_the_workers_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    started = threading.Event()

    def work(_item: int) -> None:
        started.set()
        raise Boom("worker failed too")

    caplog.set_level(logging.ERROR, logger="edge.runtime.handoff")
    with pytest.raises(KeyError, match="loop failed"):
        with Handoff(work, "both") as back:
            back.put(0)
            assert started.wait(5)
            raise KeyError("loop failed")
    assert "worker failed too" in caplog.text
