"""A platform that fails, hangs, floods or redirects: the export fails with a clear error, audited, nothing half-done."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cloud.audit.chain import AuditLog
from cloud.export.base import ExportFailed
from cloud.export.registry import build_exporter
from cloud.export.run import export
from cloud.export.sensorthings.settings import SensorThingsConfig
from tests.export.local_server import Reply, Request, serving
from tests.export.support import NOW, START, cameras, exporter_doc, lake_twin, site

EMPTY = json.dumps({"value": []}).encode()


def run_against(tmp: Path, answer: object, **more: object) -> tuple[str, AuditLog, list[Request]]:
    spec = site()
    twin = lake_twin(tmp, spec, events=300)
    audit = AuditLog(tmp / "audit.jsonl")
    with serving(answer) as (url, seen):  # type: ignore[arg-type]
        config = SensorThingsConfig.model_validate(exporter_doc("sensorthings", f"{url}/v1.1", **more))
        with pytest.raises(ExportFailed) as failed:
            export(build_exporter("frost", config, spec, cameras(), {}), twin, audit, NOW, START)
    twin.close()
    return str(failed.value), audit, seen


@pytest.mark.parametrize(("reply", "said"), [
    (Reply(500, b'{"message": "Failed to store data."}'), "answered 500: {\"message\": \"Failed to store data.\"}"),
    (Reply(200, b"<html>proxy login</html>"), "not JSON"),
    (Reply(200, b'{"value": 42}'), "did not answer with a SensorThings collection"),
    (Reply(200, b"x" * 65536, repeat=40), "more than 1 MiB (max_response_mb)"),
    (Reply(200, EMPTY, delay_s=3), "no answer within 1 s (timeout_s)"),
])
def test_a_failing_platform_fails_the_export_with_the_reason_audited(tmp_path: Path, reply: Reply, said: str) -> None:
    message, audit, seen = run_against(tmp_path, lambda _r: reply, timeout_s=1, max_response_mb=1)
    assert said in message and "exporter frost" in message
    intent, outcome = [r["details"] for r in audit.records() if r["action"] == "export.sensorthings"]
    assert intent["phase"] == "intent" and outcome["phase"] == "outcome" and said in outcome["error"]
    assert [r.method for r in seen] == ["GET"]  # it stopped at the first failure: nothing was created


def test_a_paging_link_to_another_host_is_not_followed(tmp_path: Path) -> None:
    def answer(request: Request) -> Reply:
        if "skip" in request.path:
            return Reply(200, EMPTY)
        return Reply(200, json.dumps({"value": [], "@iot.nextLink": "http://169.254.169.254/latest/meta-data?skip=1"}).encode())

    message, _audit, seen = run_against(tmp_path, answer)
    assert "outside its own service root" in message and "169.254.169.254" in message
    assert all("skip" not in r.path for r in seen)


def test_a_missing_password_variable_is_named(tmp_path: Path) -> None:
    from citytwin.secretfile import MissingSecret

    spec = site()
    config = SensorThingsConfig.model_validate(exporter_doc("sensorthings", "http://127.0.0.1:9/v1.1", username="city",
                                                            password_env="CITYTWIN_TEST_FROST_PASSWORD"))
    twin = lake_twin(tmp_path, spec, events=100)
    with pytest.raises(MissingSecret, match="cloud.exporters.frost.password_env names CITYTWIN_TEST_FROST_PASSWORD"):
        export(build_exporter("frost", config, spec, cameras(), {}), twin, AuditLog(tmp_path / "a.jsonl"), NOW, START)
    twin.close()


def test_basic_auth_comes_from_the_named_variable(tmp_path: Path) -> None:
    spec = site()
    twin = lake_twin(tmp_path, spec, events=100)
    with serving(lambda _r: Reply(503, b"{}")) as (url, seen):
        config = SensorThingsConfig.model_validate(exporter_doc("sensorthings", f"{url}/v1.1", username="city",
                                                                password_env="FROST_PW"))
        exporter = build_exporter("frost", config, spec, cameras(), {"FROST_PW": "s3cret"})
        with pytest.raises(ExportFailed, match="answered 503"):
            export(exporter, twin, AuditLog(tmp_path / "a.jsonl"), NOW, START)
    assert seen[0].headers["authorization"] == "Basic Y2l0eTpzM2NyZXQ="  # city:s3cret
    twin.close()
