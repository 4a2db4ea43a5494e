"""Hostile names cannot forge or merge entity ids, nor end an OData filter early."""

from __future__ import annotations

import re
from urllib.parse import unquote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloud.export.ids import odata_string, urn

HOSTILE = ["cam:1", "a/b", "x y", "50%", "it's", "é", "\u202etxt", "line#2?q=1", "..", "-", "日本", "a\nb", "a\x00b"]


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_part_stays_one_part_of_a_plain_urn(name: str) -> None:
    entity = urn("ItemFlowObserved", "site", name, "in")
    assert re.fullmatch(r"[A-Za-z0-9%._:-]+", entity)
    parts = entity.split(":")
    assert parts[:3] == ["urn", "ngsi-ld", "ItemFlowObserved"] and len(parts) == 6
    assert unquote(parts[4]) == name


@given(st.lists(st.text(max_size=12), min_size=2, max_size=2), st.lists(st.text(max_size=12), min_size=2, max_size=2))
def test_different_names_never_share_an_id(a: list[str], b: list[str]) -> None:
    assert (urn("Device", *a) == urn("Device", *b)) == (a == b)


@pytest.mark.parametrize(("value", "literal"), [("gate", "'gate'"), ("o'neil", "'o''neil'"), ("' or 1 eq 1 or '", "''' or 1 eq 1 or '''")])
def test_odata_literals_double_their_quotes(value: str, literal: str) -> None:
    assert odata_string(value) == literal


def test_odata_literals_refuse_control_characters() -> None:
    with pytest.raises(ValueError, match="control character"):
        odata_string("a\nb")
