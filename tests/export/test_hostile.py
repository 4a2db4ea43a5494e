"""A hostile platform or a careless config: links and ids that lead elsewhere, secrets that would be echoed, endless answers."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from pydantic import ValidationError

from cloud.audit.chain import AuditLog
from cloud.export.base import ExportFailed
from cloud.export.ngsild.settings import NgsiLdConfig
from cloud.export.registry import build_exporter
from cloud.export.run import export
from cloud.export.sensorthings.settings import SensorThingsConfig
from tests.export.local_server import Reply, Request, serving
from tests.export.support import NOW, START, cameras, exporter_doc, lake_twin, site



def site_in(request: Request) -> str:
    """The site id a request filters on."""
    found = re.search(r"citytwin_site eq '([^']+)'", unquote(request.path.replace("+", " ")))
    assert found, request.path
    return found.group(1)


def run(tmp: Path, answer: Any, kind: str = "sensorthings", environ: dict[str, str] | None = None,
        **more: Any) -> tuple[str, AuditLog, list[Request]]:
    """Export a small day to a local server answering ``answer``; the error, the audit log and the requests seen."""
    spec = site()
    twin = lake_twin(tmp, spec, events=300)
    audit = AuditLog(tmp / "audit.jsonl")
    model = SensorThingsConfig if kind == "sensorthings" else NgsiLdConfig
    try:
        with serving(answer) as (url, seen):
            root = f"{url}/FROST-Server/v1.1" if kind == "sensorthings" else url
            config = model.model_validate(exporter_doc(kind, root, **more))
            with pytest.raises(ExportFailed) as failed:
                export(build_exporter("x", config, spec, cameras(), environ or {}), twin, audit, NOW, START)
    finally:
        twin.close()
    return str(failed.value), audit, seen


def errors_in(audit: AuditLog) -> str:
    return json.dumps([r["details"] for r in audit.records()])


@pytest.mark.parametrize("link", [
    "{root}/../../manager/html",           # dot segments: the prefix matches, the resolved path does not
    "{root}/%2e%2e/%2e%2e/manager/html",   # the same, percent-encoded, as a server decodes it
    "{root}/..;/..;/manager/html",         # Tomcat drops ';' parameters, then resolves '..'
    "{root}@169.254.169.254/latest",       # a login part that makes the metadata service the host
    "{host}:1/FROST-Server/v1.1/Things",   # the same host on another port
])
def test_a_paging_link_that_resolves_outside_the_root_is_refused(tmp_path: Path, link: str) -> None:
    def answer(request: Request) -> Reply:
        root = f"http://{request.headers['host']}/FROST-Server/v1.1"
        return Reply(200, json.dumps({"value": [], "@iot.nextLink": link.format(
            root=root, host=f"http://{request.headers['host'].split(':')[0]}")}).encode())

    message, _audit, seen = run(tmp_path, answer)
    assert "outside its own service root" in message
    assert len(seen) == 1 and all("manager" not in r.path and "latest" not in r.path for r in seen)


def test_an_id_from_the_server_cannot_lead_a_request_elsewhere(tmp_path: Path) -> None:
    hostile = {"@iot.id": "x')/../../../manager/html?('", "name": "old",
               "properties": {"citytwin_key": "SITE/sensor", "citytwin_site": "SITE"}}

    def answer(request: Request) -> Reply:
        if request.method == "GET" and "/Sensors" in request.path:
            site_id = site_in(request)
            body = {**hostile, "properties": {"citytwin_key": f"{site_id}/sensor", "citytwin_site": site_id}}
            return Reply(200, json.dumps({"value": [body]}).encode())
        return Reply(500, b'{"message": "stop here"}')

    message, _audit, seen = run(tmp_path, answer)
    assert "outside its own service root" in message or "answered 500" in message
    assert all(r.path.startswith("/FROST-Server/v1.1/") and "manager" not in r.path.split("?")[0] for r in seen)


@pytest.mark.parametrize("entity", [
    {"name": "no id", "properties": {"citytwin_key": "KEY", "citytwin_site": "SITE"}},
    {"@iot.id": True, "properties": {"citytwin_key": "KEY", "citytwin_site": "SITE"}},
    {"@iot.id": [1], "properties": {"citytwin_key": "KEY", "citytwin_site": "SITE"}},
    {"@iot.id": 3, "properties": {"citytwin_key": ["KEY"], "citytwin_site": "SITE"}},
])
def test_an_entity_of_the_wrong_shape_is_not_taken_for_the_exporters(tmp_path: Path, entity: dict[str, Any]) -> None:
    def answer(request: Request) -> Reply:
        if request.method == "GET":
            site_id = site_in(request)
            shown = json.loads(json.dumps(entity).replace("KEY", f"{site_id}/sensor").replace("SITE", site_id))
            return Reply(200, json.dumps({"value": [shown]}).encode())
        return Reply(500, b'{"message": "stop here"}')

    message, _audit, seen = run(tmp_path, answer)
    assert "answered 500" in message  # a clean failure, not a crash on the server's odd entity
    assert [r.method for r in seen] == ["GET", "POST"]  # it created its own Sensor and patched nothing


@pytest.mark.parametrize("body", [b"[" * 100_000 + b"]" * 100_000, json.dumps({"value": [[[[[[[[1]]]]]]]] * 1}).encode()
                                  .replace(b"1", b"[" * 80 + b"1" + b"]" * 80)])
def test_deeply_nested_json_fails_the_export_cleanly(tmp_path: Path, body: bytes) -> None:
    message, audit, _seen = run(tmp_path, lambda _r: Reply(200, body))
    assert "nests too deep" in message or "nested deeper than" in message
    assert "nest" in errors_in(audit)


def test_an_answer_trickled_byte_by_byte_is_cut_off_at_timeout_s(tmp_path: Path) -> None:
    began = time.monotonic()
    message, _audit, _seen = run(tmp_path, lambda _r: Reply(200, b" ", repeat=40, trickle_s=0.1), timeout_s=1)
    assert "no answer within 1 s (timeout_s)" in message
    assert time.monotonic() - began < 3.5


def test_a_server_that_pages_forever_is_cut_off_at_deadline_s(tmp_path: Path) -> None:
    def answer(request: Request) -> Reply:
        link = f"http://{request.headers['host']}/FROST-Server/v1.1/Sensors?page={len(seen)}"
        return Reply(200, json.dumps({"value": [], "@iot.nextLink": link}).encode(), delay_s=0.05)

    seen: list[Request] = []
    began = time.monotonic()
    with serving(answer) as (url, seen):
        spec = site()
        twin = lake_twin(tmp_path, spec, events=100)
        config = SensorThingsConfig.model_validate(exporter_doc("sensorthings", f"{url}/FROST-Server/v1.1", deadline_s=2))
        with pytest.raises(ExportFailed, match=r"longer than 2 s \(deadline_s\)|within .* s \(deadline_s\)"):
            export(build_exporter("x", config, spec, cameras(), {}), twin, AuditLog(tmp_path / "a.jsonl"), NOW, START)
        twin.close()
    assert time.monotonic() - began < 8 and len(seen) < 1000


def test_a_token_with_a_line_break_is_refused_without_being_shown(tmp_path: Path) -> None:
    from citytwin.secretfile import MissingSecret

    spec = site()
    twin = lake_twin(tmp_path, spec, events=100)
    with serving(lambda _r: Reply(204)) as (url, seen):
        config = NgsiLdConfig.model_validate(exporter_doc("ngsild", url, token_env="BROKER_TOKEN"))
        exporter = build_exporter("x", config, spec, cameras(), {"BROKER_TOKEN": "s3cr3t-t0ken\r\nX-Evil: 1"})
        with pytest.raises(MissingSecret) as refused:
            export(exporter, twin, AuditLog(tmp_path / "a.jsonl"), NOW, START)
    twin.close()
    assert "control character" in str(refused.value) and "s3cr3t" not in str(refused.value)
    assert seen == []


def test_a_secret_the_server_echoes_is_blanked_from_the_error_and_the_audit_log(tmp_path: Path) -> None:
    echo = json.dumps({"title": "Unauthorized", "detail": "token s3cr3t-t0ken has expired"}).encode()
    message, audit, _seen = run(tmp_path, lambda _r: Reply(401, echo), kind="ngsild",
                                environ={"BROKER_TOKEN": "s3cr3t-t0ken"}, token_env="BROKER_TOKEN")
    assert "answered 401" in message and "token *** has expired" in message
    assert "s3cr3t" not in message and "s3cr3t" not in errors_in(audit)


@pytest.mark.parametrize(("url", "said"), [
    ("http://city:s3cret@frost.example.org/FROST-Server/v1.1", "holds a login"),
    ("http://frost.example.org/FROST-Server/v1.1?api_key=s3cret", "holds a query or fragment"),
    ("http://frost.example.org/FROST-Server/v1.1#x", "holds a query or fragment"),
])
def test_a_url_holding_a_secret_is_refused(url: str, said: str) -> None:
    for model, kind in ((SensorThingsConfig, "sensorthings"), (NgsiLdConfig, "ngsild")):
        with pytest.raises(ValidationError, match=said):
            model.model_validate(exporter_doc(kind, url))


@pytest.mark.parametrize("user", ["city:admin", "city\nX-Evil: 1"])
def test_a_username_that_would_change_the_login_is_refused(user: str) -> None:
    with pytest.raises(ValidationError, match="username"):
        SensorThingsConfig.model_validate(exporter_doc("sensorthings", "http://f/v1.1", username=user))


def test_a_redirect_is_not_followed(tmp_path: Path) -> None:
    moved = Reply(302, b"", headers={"Location": "http://169.254.169.254/latest/meta-data", "Content-Type": "text/plain"})
    message, _audit, seen = run(tmp_path, lambda _r: moved)
    assert "answered 302" in message and len(seen) == 1
