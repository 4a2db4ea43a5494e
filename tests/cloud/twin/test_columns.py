"""The twin's typed columns are the ones the event bodies declare, in ``events``, the typed views and typed SQL alike."""

from __future__ import annotations

from pathlib import Path

import pytest

from cloud.twin import columns
from cloud.twin.twin import Twin
from contract.bodies import Body, Column
from contract.model import BODIES
from tests.cloud.twin.conftest import CAMERAS, SITE

VIEW_ENVELOPE = ["event_id", "site", "camera", "node", "ts", "date", "hour"]
DUCKDB_TYPES = {"VARCHAR": "VARCHAR", "BIGINT": "BIGINT", "INTEGER": "INTEGER", "DOUBLE": "DOUBLE",
                "BOOLEAN": "BOOLEAN", "TIMESTAMPTZ": "TIMESTAMP WITH TIME ZONE", "JSON": "JSON"}
VIEWED = sorted((kind, body) for kind, body in BODIES.items() if body.view is not None)


def _described(twin: Twin, sql: str) -> list[tuple[str, str]]:
    return [(row[0], row[1]) for row in twin.read(f"DESCRIBE {sql}").rows]


@pytest.mark.parametrize(("kind", "body"), VIEWED, ids=[kind for kind, _ in VIEWED])
def test_each_view_has_its_bodys_columns_with_their_types(clean_lake: Path, kind: str, body: type[Body]) -> None:
    twin = Twin(clean_lake, SITE, CAMERAS)
    try:
        described = _described(twin, body.view or "")
        assert [name for name, _ in described] == VIEW_ENVELOPE + [c.name for c in body.columns]
        types = dict(described)
        for column in body.columns:
            assert types[column.name] == DUCKDB_TYPES[column.sql], f"{body.view}.{column.name}"
        typed = twin.query(f"SELECT * FROM {body.view} LIMIT 0").columns  # the sandbox sees the same view
        assert typed == [name for name, _ in described]
    finally:
        twin.close()


def test_events_types_every_stored_column_once(clean_lake: Path) -> None:
    twin = Twin(clean_lake, SITE, CAMERAS)
    try:
        stored = dict(_described(twin, "events"))
    finally:
        twin.close()
    declared = {c.name: c.sql for body in BODIES.values() for c in body.columns if c.stored}
    assert {c.name for c in columns.STORED} == set(declared)
    for name, sql in declared.items():
        assert stored[name] == DUCKDB_TYPES[sql], name
    assert not {c.name for body in BODIES.values() for c in body.columns if not c.stored} & set(stored)


def test_a_column_declared_with_two_types_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    class Clashing(Body):
        columns = (Column("zone", "BIGINT"),)

    monkeypatch.setitem(BODIES, "clashing", Clashing)
    with pytest.raises(TypeError, match="'zone' is VARCHAR in one body and BIGINT in Clashing"):
        columns._stored()
