"""``release_freed``: memory a burst of work freed goes back to the system, whichever Arrow pool the process uses."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from cloud.sink.schema import SCHEMA as SINK_SCHEMA

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


# A query that makes DuckDB's allocator take a few hundred MiB, run on the twin's own kind of connection after
# another of the project's connections (a lake file's data check) opened and closed, which turns DuckDB's purging off.
_DUCKDB_BURST = textwrap.dedent("""
    import os, sys, time
    from pathlib import Path
    import duckdb
    from citytwin.memory import release_freed
    from cloud.twin.listing import judge
    from cloud.twin.sandbox import locked_config

    def rss_mib():
        with open(f"/proc/{os.getpid()}/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

    con = duckdb.connect(":memory:", config=locked_config(1024, 2, None, 0))
    assert judge(Path(sys.argv[1]), data=True) == (None, True)  # read its data on a connection of its own, closed
    con.execute("SELECT count(*) FROM (SELECT DISTINCT ON (i) * FROM "
                "(SELECT range AS i, md5(range::VARCHAR) AS s FROM range(3000000)))").fetchall()
    peak = rss_mib()
    release_freed()  # what a service does after each burst of work
    time.sleep(3)
    print(peak, rss_mib())
""")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc is Linux's")
def test_duckdb_hands_back_what_a_query_freed(tmp_path: Path) -> None:
    lake_file = tmp_path / "date=2026-01-01" / "hour=00" / "f.parquet"
    lake_file.parent.mkdir(parents=True)
    pq.write_table(SINK_SCHEMA.empty_table(), lake_file)
    done = subprocess.run([sys.executable, "-c", _DUCKDB_BURST, str(lake_file)], capture_output=True, text=True,
                          check=True, timeout=120)
    peak, later = (float(v) for v in done.stdout.split())
    assert peak - later > 100, f"RSS {peak:.0f} MiB after the query, {later:.0f} MiB three seconds later"
