"""Against the real FROST-Server: hostile filter literals, FROST's own paging links, and two exports at once."""

from __future__ import annotations

import os
import stat
import subprocess
import threading
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from cloud.audit.chain import AuditLog
from cloud.export.base import ExportFailed, Outcome
from cloud.export.http import JsonClient
from cloud.export.ids import odata_string
from cloud.export.run import export
from cloud.export.sensorthings.exporter import SensorThingsExporter
from cloud.export.sensorthings.settings import SensorThingsConfig
from cloud.export.sensorthings.sync import listing
from cloud.twin.twin import Twin
from tests.export.support import NOW, START, cameras, exporter_doc, lake_twin, site
from tests.support.frost import Frost

pytestmark = [pytest.mark.slow]

HOSTILE = ["o'neil", "x' or 'a' eq 'a", "') or (1 eq 1", "50% & $top=1 #x", "日本", "a\\'b", "''"]


def test_hostile_literals_match_only_their_own_thing_and_frost_paging_stays_home(frost: Frost) -> None:
    tag = uuid.uuid4().hex[:8]
    values = [f"{tag}{v}" for v in HOSTILE] + [tag]
    for value in values:
        answer = httpx.post(f"{frost.root}/Things", json={"name": value, "description": "t", "properties": {"t": value}},
                            timeout=30)
        assert answer.status_code == 201, answer.text
    client = JsonClient("frost", frost.root, 30, 16)
    try:
        for value in values:
            found = listing(client, "Things", {"$filter": f"properties/t eq {odata_string(value)}"})
            assert [t["name"] for t in found] == [value]
        # One Thing per page: FROST's own @iot.nextLink is followed to the end, and stays under the service root.
        paged = listing(client, "Things", {"$filter": f"startswith(name, {odata_string(tag)})", "$top": "1"})
        assert sorted(t["name"] for t in paged) == sorted(values)
    finally:
        client.close()


class _Held(httpx.HTTPTransport):
    """Holds the first CreateObservations until ``go`` is set, so that a second export can start meanwhile."""

    def __init__(self, reached: threading.Event, go: threading.Event) -> None:
        super().__init__()
        self.reached, self.go = reached, go

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/CreateObservations") and not self.go.is_set():
            self.reached.set()
            self.go.wait(60)
        return super().handle_request(request)


def test_two_exports_at_once_send_nothing_twice(tmp_path: Path, frost: Frost) -> None:
    spec = site()
    lake_twin(tmp_path, spec, events=600).close()
    config = SensorThingsConfig.model_validate(exporter_doc("sensorthings", frost.root))
    audit = AuditLog(tmp_path / "audit" / "audit.jsonl")
    reached, go = threading.Event(), threading.Event()

    class Held(SensorThingsExporter):
        def client(self, transport: httpx.BaseTransport | None = None) -> JsonClient:
            return super().client(_Held(reached, go))

    first: list[Outcome | BaseException] = []

    def run_first() -> None:
        twin = Twin(tmp_path / "lake", spec, cameras())
        try:
            first.append(export(Held("frost", config, spec, cameras(), {}), twin, audit, NOW, START))
        except BaseException as exc:  # reported by the assertions below
            first.append(exc)
        finally:
            twin.close()

    thread = threading.Thread(target=run_first)
    thread.start()
    try:
        assert reached.wait(120), first  # the first export has read what FROST holds and is about to push
        twin = Twin(tmp_path / "lake", spec, cameras())
        try:
            with pytest.raises(ExportFailed, match="another export to .* is running"):
                export(SensorThingsExporter("frost", config, spec, cameras(), {}), twin, audit, NOW, START)
        finally:
            twin.close()
    finally:
        go.set()
        thread.join(120)
    outcome = first[0]
    assert isinstance(outcome, Outcome), outcome
    of_site = f"Datastream/properties/citytwin_site eq '{spec.id}'"
    stored: Any = httpx.get(f"{frost.root}/Observations", params={"$filter": of_site, "$count": "true", "$top": "0"},
                            timeout=30).json()
    assert outcome.created > 0 and stored["@iot.count"] == outcome.created


def test_the_test_frost_lets_no_other_local_user_in(frost: Frost) -> None:
    from tests.support.brokers import broker_run_dir

    state = broker_run_dir() / "frost"
    # Over TCP, the superuser (which has no password) cannot log in: with trust it could run programs as postgres.
    login = subprocess.run(["/usr/lib/postgresql/15/bin/psql", "-h", "127.0.0.1", "-p", str(frost.pg_port), "-U", "postgres",
                            "-w", "-c", "SELECT 1"], capture_output=True, text=True, timeout=30, check=False)
    assert login.returncode != 0 and "password" in login.stderr, login.stdout + login.stderr
    for folder in (state / "pg", state / "pg" / "sock", state / "pg" / "data", state / "tomcat"):
        assert stat.S_IMODE(folder.stat().st_mode) & 0o077 == 0, folder  # private to its owner
    pid = int((state / "tomcat" / "tomcat.pid").read_text().strip())
    if os.getuid() == 0:
        assert Path(f"/proc/{pid}").stat().st_uid != 0  # Tomcat is not root
    listening = subprocess.run(["ss", "-Hltn"], capture_output=True, text=True, timeout=30, check=True).stdout.split("\n")
    ours = [line.split()[3] for line in listening if line.split() and line.split()[3].rsplit(":", 1)[-1]
            in (str(frost.port), str(frost.pg_port))]
    assert ours and all("127.0.0.1" in address for address in ours), ours

