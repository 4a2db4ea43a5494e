"""``citytwin site geojson``: the deployment's site as a GeoJSON file, or the configuration problem named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from citytwin.cli import main
from tests.contract.test_geojson import DEMO, assert_valid


def test_writes_the_demo_site(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "site.geojson"
    assert main(["site", "geojson", "-c", str(DEMO), "-o", str(out)]) == 0
    collection = json.loads(out.read_text())
    assert_valid(collection)
    kinds = [f["properties"]["kind"] for f in collection["features"]]
    assert kinds.count("camera") == 3 and kinds.count("line") == 2 and kinds.count("zone") == 1 and kinds[0] == "site"
    assert "without a position" not in capsys.readouterr().err


def test_prints_to_stdout_and_names_unplaced_features(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "site.yaml"
    config.write_text("site: {id: s, name: S, width_m: 10, height_m: 10}\ncameras: [{id: cam-1, map: {x_m: 1, y_m: 1}}]\n")
    assert main(["site", "geojson", "-c", str(config)]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["features"][0]["geometry"] is None
    assert "cam-1/camera/cam-1" in captured.err and "site.origin" in captured.err


def test_a_bad_calibration_is_a_configuration_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "site.yaml"
    points = ", ".join(f"{{px: [{x}, 300], lon: 4.37{x}, lat: 52.0}}" for x in (10, 20, 30, 40))
    config.write_text("site: {id: s, name: S, width_m: 10, height_m: 10}\n"
                      f"cameras: [{{id: cam-1, map: {{x_m: 1, y_m: 1}}, calibration: {{image_size: [768, 576], points: [{points}]}}}}]\n")
    assert main(["site", "geojson", "-c", str(config)]) == 2
    err = capsys.readouterr().err
    assert f"{config}" in err and "cameras[0]: camera 'cam-1': calibration refused" in err and "on one line" in err


def test_generates_a_city_of_calibrated_cameras(tmp_path: Path) -> None:
    config, out = tmp_path / "city.yaml", tmp_path / "city.geojson"
    assert main(["site", "generate", "--cameras", "40", "--districts", "4", "-o", str(config)]) == 0
    assert main(["site", "geojson", "-c", str(config), "-o", str(out)]) == 0
    collection = json.loads(out.read_text())
    assert_valid(collection)
    cameras = [f for f in collection["features"] if f["properties"]["kind"] == "camera"]
    assert len(cameras) == 40 and {c["properties"]["placement"] for c in cameras} == {"calibration"}
    assert len({c["properties"]["name"].split()[0] for c in cameras}) == 4


@pytest.mark.parametrize("argv", [["--cameras", "0"], ["--districts", "99"]])
def test_generate_refuses_impossible_sizes(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["site", "generate", *argv]) == 2
    assert "cameras must be" in capsys.readouterr().err


def test_geojson_needs_a_deployment(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["site", "geojson"]) == 2
    assert "-c site.yaml" in capsys.readouterr().err
