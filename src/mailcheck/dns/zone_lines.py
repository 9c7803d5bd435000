"""Where in the --zone files each record is written: (owner, type) -> file and line.

dnspython's zone parser keeps no line numbers, so the files are read again here, only
as far as SARIF needs: the owner of each record ($ORIGIN, "@", relative names and a
blank owner meaning the previous one) and its type. Multi-line records (parentheses)
are one record at their first line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from mailcheck.dns.zones import _declared_origin, _origin_from_file_name, _zone_files

_CLASSES = ("IN", "CH", "HS", "CS")
_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')


@dataclass(frozen=True)
class RecordLine:
    path: Path
    line: int


def record_lines(paths: Iterable[str | Path]) -> dict[tuple[str, str], RecordLine]:
    """The first line of each (owner, type) in the zone files; owners lower-case,
    without the final dot."""
    found: dict[tuple[str, str], RecordLine] = {}
    for path in _zone_files(paths):
        origin = _declared_origin(path) or _origin_from_file_name(path)
        owner, depth = origin, 0
        text = path.read_text(encoding="utf-8", errors="replace")
        for number, raw in enumerate(text.splitlines(), start=1):
            line = _without_comment(raw)
            words = line.split()
            continued = depth > 0
            bare = _QUOTED.sub("", line)
            depth += bare.count("(") - bare.count(")")
            if not words or continued:
                continue
            if words[0].upper() == "$ORIGIN" and len(words) > 1:
                origin = _absolute(words[1], origin)
                continue
            if words[0].startswith("$"):
                continue
            if not raw[:1].isspace():
                owner, words = _absolute(words[0], origin), words[1:]
            rdtype = next((w.upper() for w in words if not w.isdigit() and w.upper() not in _CLASSES), None)
            if rdtype is not None:
                found.setdefault((owner.rstrip(".").lower(), rdtype), RecordLine(path, number))
    return found


def _without_comment(line: str) -> str:
    """The line up to a ';' outside quotes (TXT records hold ';' of their own)."""
    quoted = False
    for index, char in enumerate(line):
        if char == '"' and (index == 0 or line[index - 1] != "\\"):
            quoted = not quoted
        elif char == ";" and not quoted:
            return line[:index]
    return line


def _absolute(name: str, origin: str) -> str:
    if name == "@":
        return origin
    return name if name.endswith(".") else f"{name}.{origin}"
