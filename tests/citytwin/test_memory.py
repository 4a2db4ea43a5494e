"""``release_freed``: memory a burst of work freed goes back to the system, whichever Arrow pool the process uses."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

# A burst that leaves glibc's heap full of free holes: 2,000 blocks of 64 KiB (below glibc's mmap threshold, so they
# come from the heap), all freed but the last, which pins the heap's top so that free() alone returns nothing.
_BURST = textwrap.dedent("""
    import os, sys
    from citytwin.memory import release_freed
    from cloud.sink.schedule import Schedule

    def rss_mib():
        with open(f"/proc/{os.getpid()}/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

    kept = []
    def burst():
        blocks = [bytearray(b"x" * 65536) for _ in range(2000)]
        kept.append(blocks[-1])

    if sys.argv[1] == "direct":
        burst()
        before = rss_mib()
        release_freed()
    else:  # the sink's background jobs hand back what each run freed
        before = None
        def job():
            burst()
            global before
            before = rss_mib()
        Schedule("burst", 60, True, job).run_once()
    print(before, rss_mib())
""")


def _rss_before_after(pool: str, how: str) -> tuple[float, float]:
    env = {**os.environ, "ARROW_DEFAULT_MEMORY_POOL": pool}
    done = subprocess.run([sys.executable, "-c", _BURST, how], capture_output=True, text=True, env=env, check=True,
                          timeout=120)
    before, after = (float(v) for v in done.stdout.split())
    return before, after


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's heaps and /proc are Linux's")
@pytest.mark.parametrize("pool", ["system", "mimalloc", "jemalloc"])
@pytest.mark.parametrize("how", ["direct", "schedule"])
def test_freed_heap_memory_goes_back_to_the_system(pool: str, how: str) -> None:
    before, after = _rss_before_after(pool, how)
    # 125 MiB were freed; nearly all of it must leave the resident set, whatever Arrow's pool is.
    assert before - after > 100, f"RSS {before:.0f} MiB before the release, {after:.0f} MiB after ({pool}, {how})"
