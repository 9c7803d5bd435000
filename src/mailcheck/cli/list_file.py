"""The one syntax every ``--from-file`` reads: an entry a line, ``#`` comments (on their
own line or after an entry), blank lines, and a UTF-8 byte order mark, which Windows
editors write, are all fine."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

from mailcheck.errors import BadInput

STDIN = "-"
# A comment starts at a '#' that opens the line or follows a space: a URL's fragment
# (https://a.example/#top) is part of the entry.
_COMMENT = re.compile(r"(^|\s)#.*$")


@dataclass(frozen=True)
class Entry:
    line: int
    text: str


@dataclass(frozen=True)
class ListFile:
    where: str  # the file name, or "stdin"
    entries: tuple[Entry, ...]


def read_list_file(path: str, flag: str = "--from-file") -> ListFile:
    try:
        text = sys.stdin.read().removeprefix("\ufeff") if path == STDIN else Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"{flag} {path}: {getattr(exc, 'strerror', None) or exc}") from None
    entries = []
    for number, line in enumerate(text.splitlines(), start=1):
        entry = _COMMENT.sub("", line).strip()
        if entry:
            entries.append(Entry(number, entry))
    return ListFile("stdin" if path == STDIN else path, tuple(entries))
