"""Untrusted text made safe to print on a terminal.

Usernames typed at a failed login, dead-lettered payloads and values in the
lake are written by whoever reached the system, and a terminal obeys what it
is sent: ESC starts a control sequence (clear the screen, rewrite the line,
set the window title, OSC 52 clipboard writes), CR and backspace overwrite
what was printed, and bidi controls reorder it so that one name reads as
another. ``safe`` shows every such character as a Python-style escape
(``\\x1b``, ``\\u202e``) and leaves all other text, any script or emoji, as it
is.

Escaped: the Unicode categories Cc (C0 controls, DEL, C1 controls), Cf
(format characters: bidi embeddings, overrides and isolates, LRM/RLM/ALM,
zero-width characters, the BOM, soft hyphen, tag characters), Zl and Zp (line
and paragraph separators, which some terminals break lines at), Cs (lone
surrogates from undecodable bytes) and Cn (unassigned code points, which a
newer terminal may give a meaning).

Example:
    >>> safe("mallory\\x1b[2J\\u202eadmin")
    'mallory\\\\x1b[2J\\\\u202eadmin'
    >>> safe("Zoë 🚲 Ωμέγα")
    'Zoë 🚲 Ωμέγα'
    >>> safe("two\\nlines", newlines=True)
    'two\\nlines'
"""

from __future__ import annotations

import functools
import unicodedata

_UNSAFE = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp", "Cn"})


@functools.lru_cache(maxsize=4096)
def _shown(ch: str) -> str:
    if unicodedata.category(ch) not in _UNSAFE:
        return ch
    code = ord(ch)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def safe(text: str, *, newlines: bool = False) -> str:
    """``text`` with control, bidi and invisible characters escaped; with ``newlines``, line breaks are kept."""
    if text.isascii() and text.isprintable():
        return text  # the common case: nothing to escape
    if newlines:
        return "\n".join(safe(line) for line in text.split("\n"))
    return "".join(_shown(ch) for ch in text)
