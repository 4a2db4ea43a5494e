"""``safe``: what a terminal would obey is shown escaped, everything else is left as it is."""

from __future__ import annotations

import pytest

from citytwin.terminal import safe


@pytest.mark.parametrize(("text", "shown"), [
    ("\x1b[2J", "\\x1b[2J"),                 # CSI: clear the screen
    ("\x1b]0;title\x07", "\\x1b]0;title\\x07"),  # OSC: set the window title, ended by BEL
    ("a\rb", "a\\x0db"),                     # carriage return: overwrite the line
    ("ab\x08\x08", "ab\\x08\\x08"),          # backspace
    ("tab\there", "tab\\x09here"),
    ("two\nlines", "two\\x0alines"),
    ("nul\x00", "nul\\x00"),
    ("del\x7f", "del\\x7f"),
    ("\x9b2J", "\\x9b2J"),                   # C1 CSI, a one-byte ESC [
    ("\x85next", "\\x85next"),               # C1 next line
    ("\u202eadmin", "\\u202eadmin"),         # right-to-left override
    ("\u202a\u202b\u202c\u202d", "\\u202a\\u202b\\u202c\\u202d"),
    ("\u2066\u2067\u2068\u2069", "\\u2066\\u2067\\u2068\\u2069"),  # isolates
    ("\u200e\u200f\u061c", "\\u200e\\u200f\\u061c"),  # LRM, RLM, ALM
    ("a\u200bb\u2060c", "a\\u200bb\\u2060c"),   # zero-width space, word joiner
    ("\ufeffbom", "\\ufeffbom"),
    ("soft\u00adhyphen", "soft\\xadhyphen"),
    ("line\u2028para\u2029", "line\\u2028para\\u2029"),
    ("tag\U000e0041", "tag\\U000e0041"),      # tag characters hide text
    ("lone\udc9b", "lone\\udc9b"),             # a surrogate from undecodable bytes
    ("unassigned\U0010fffe", "unassigned\\U0010fffe"),
    ("👩\u200d💻", "👩\\u200d💻"),              # even a joiner: invisible characters are what spoofs a name
])
def test_controls_bidi_and_invisible_characters_are_escaped(text: str, shown: str) -> None:
    assert safe(text) == shown


@pytest.mark.parametrize("text", ["plain ascii", "Zoë Ωμέγα Ж 東京", "🚲 🚌", "مرحبا", "עברית", "नमस्ते", "tab-free  spaces", ""])
def test_ordinary_text_in_any_script_is_left_alone(text: str) -> None:
    assert safe(text) == text


def test_newlines_can_be_kept_for_multi_line_text() -> None:
    assert safe("one\n\x1b[2Jtwo", newlines=True) == "one\n\\x1b[2Jtwo"
    assert safe("one\r\ntwo", newlines=True) == "one\\x0d\ntwo"
