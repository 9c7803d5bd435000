"""Text from the network made safe to show: one function every renderer calls.

A TXT record, an SMTP banner or a link can hold any byte. Printed raw, ESC starts a
terminal escape sequence (set the window title, clear the screen, fake a green PASS),
BEL rings, NUL and the other C0/C1 controls confuse terminals and log viewers, and
most of them are not allowed in XML 1.0 at all. Bidi overrides (U+202A-U+202E,
U+2066-U+2069) reorder what follows them, so a record can read differently from what
it holds ("Trojan Source", CVE-2021-42574).

``printable`` shows each such character as a visible escape (``\\x1b``, ``\\u202e``)
so the reader sees that it is there and which it is. JSON keeps the true string:
the json module escapes control characters itself and a program reads the value.

Backslashes are left as they are (records rarely hold them, and doubling them would
change every report); an escape in the output may so, rarely, have been in the data.
"""

from __future__ import annotations

import re

# C0 controls, DEL and C1 controls; the bidi embeddings, overrides and isolates and
# the marks (LRM, RLM, ALM); surrogates and the two non-characters XML 1.0 forbids.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]")
_UNSAFE_KEEPING_LINES = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]"
)


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str, *, keep_lines: bool = False) -> str:
    """``text`` with every control, bidi and XML-forbidden character shown as an escape.

    ``keep_lines`` leaves tab and newline alone, for multi-line bodies (a JUnit
    ``<system-out>``); one-line contexts escape them too, so a record cannot add lines.
    """
    pattern = _UNSAFE_KEEPING_LINES if keep_lines else _UNSAFE
    return pattern.sub(_escaped, text)
