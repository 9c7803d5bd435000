"""Where the documents of ``message``, ``bounce`` and ``report`` come from: files,
stdin (``-``), an mbox, a Maildir. One ``Source`` per document, read lazily, so a run
over 100,000 messages holds one message at a time, never the mailbox.

Paths are checked when the run is set up (``open_sources``): a file that cannot be
read at all is bad input (exit 2) before any work. A document over ``max_size`` is cut
there and marked, so a 100 MB attachment costs a bounded read, not a hang.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from mailcheck.errors import BadInput

DEFAULT_MAX_SIZE = 50 * 1024 * 1024
_CHUNK = 1 << 16


@dataclass(frozen=True)
class Source:
    """One document as read: its bytes (cut at the size cap), where it came from."""

    label: str
    data: bytes
    # The document's whole size; larger than len(data) when it was cut.
    size: int
    # Set when the document could not be read after the run began (a file removed).
    error: str | None = None

    @property
    def truncated(self) -> bool:
        return self.size > len(self.data)


@dataclass(frozen=True)
class SourceSpec:
    """What the user named, validated: files (``-`` for stdin), mboxes, Maildirs."""

    files: tuple[str, ...] = ()
    mboxes: tuple[str, ...] = ()
    maildirs: tuple[str, ...] = ()
    max_size: int = DEFAULT_MAX_SIZE

    @property
    def empty(self) -> bool:
        return not (self.files or self.mboxes or self.maildirs)


def open_sources(spec: SourceSpec) -> Iterator[Source]:
    """Check every path now (BadInput naming it), then yield the documents lazily."""
    if spec.empty:
        raise BadInput("give a FILE, '-' for stdin, --mbox FILE or --maildir DIR")
    if spec.files.count("-") > 1:
        raise BadInput("'-' (stdin) can be given once")
    for path in spec.files:
        if path != "-":
            _readable_file(path, "")
    for path in spec.mboxes:
        _readable_file(path, "--mbox ")
    for path in spec.maildirs:
        _maildir(path)
    return _documents(spec)


def _documents(spec: SourceSpec) -> Iterator[Source]:
    for path in spec.files:
        if path == "-":
            yield _read_whole(sys.stdin.buffer, "stdin", spec.max_size)
        else:
            yield _read_file(Path(path), path, spec.max_size)
    for path in spec.mboxes:
        yield from read_mbox(path, spec.max_size)
    for path in spec.maildirs:
        for entry in _maildir_files(Path(path)):
            yield _read_file(entry, entry, spec.max_size)


def document_paths(spec: SourceSpec) -> Iterator[str] | None:
    """The path of every document of ``spec`` (checked by ``open_sources`` first), in
    the order ``open_sources`` reads them; None when one is not a file of its own
    (stdin, an mbox), which only a stream can read."""
    if "-" in spec.files or spec.mboxes:
        return None

    def paths() -> Iterator[str]:
        yield from spec.files
        for path in spec.maildirs:
            yield from _maildir_files(Path(path))

    return paths()


def read_path(path: str, max_size: int = DEFAULT_MAX_SIZE) -> Source:
    """One document of ``document_paths``, read as ``open_sources`` reads it."""
    return _read_file(path, path, max_size)


def _readable_file(path: str, option: str) -> None:
    target = Path(path)
    if target.is_dir():
        hint = " (a Maildir? use --maildir)" if (target / "cur").is_dir() else ""
        raise BadInput(f"{option}{path}: is a directory{hint}")
    if not os.access(target, os.R_OK) or not target.is_file():
        reason = "no such file" if not target.exists() else "cannot be read"
        raise BadInput(f"{option}{path}: {reason}")


def _maildir(path: str) -> None:
    root = Path(path)
    if not root.is_dir():
        raise BadInput(f"--maildir {path}: no such directory")
    if not ((root / "cur").is_dir() or (root / "new").is_dir()):
        raise BadInput(f"--maildir {path}: not a Maildir (no cur/ or new/ folder)")


def _maildir_files(root: Path) -> Iterator[str]:
    # new/ before cur/, each in name order (delivery time leads Maildir names), so a
    # run's order is the same every time. scandir, sorted by name: a folder of 10,000
    # reports costs no stat and no Path comparison per file, and no Path a file (its
    # name is joined to the folder's as Path would join it).
    for folder in ("new", "cur"):
        directory = root / folder
        if directory.is_dir():
            with os.scandir(directory) as scan:
                entries = sorted(scan, key=lambda entry: entry.name)
            prefix = f"{directory}{os.sep}"
            for entry in entries:
                if not entry.name.startswith(".") and entry.is_file():
                    yield prefix + entry.name


def _read_file(path: Path | str, label: str, max_size: int) -> Source:
    try:
        # Unbuffered: a regular file is read whole in one call at its own size, so a
        # buffer on top would only copy it and ask once more for the end of the file.
        with open(path, "rb", buffering=0) as stream:
            return _read_whole(stream, label, max_size)
    except OSError as exc:
        return Source(label, b"", 0, error=exc.strerror or str(exc))


def _read_whole(stream: BinaryIO, label: str, max_size: int) -> Source:
    # read(max_size) sets aside the whole cap (50 MB) for every document; a regular
    # file says its size, so ask for that (one byte more shows a file that grew).
    known = _file_size(stream)
    if known is not None and known < max_size:
        data = stream.read(known + 1)
        if len(data) > known:
            data += _read_up_to(stream, max_size - len(data))
    else:
        data = _read_up_to(stream, max_size)
    size = len(data)
    if size == max_size:
        # Count what lies past the cap without keeping it.
        while chunk := stream.read(_CHUNK):
            size += len(chunk)
    return Source(label, data, size)


def _read_up_to(stream: BinaryIO, limit: int) -> bytes:
    """``limit`` bytes or up to the end: an unbuffered read may return fewer."""
    parts: list[bytes] = []
    got = 0
    while got < limit and (chunk := stream.read(limit - got)):
        parts.append(chunk)
        got += len(chunk)
    return b"".join(parts)


def _file_size(stream: BinaryIO) -> int | None:
    try:
        status = os.fstat(stream.fileno())
    except (OSError, ValueError, AttributeError):  # no descriptor (a test's BytesIO)
        return None
    return status.st_size if stat.S_ISREG(status.st_mode) else None


def read_mbox(path: str, max_size: int = DEFAULT_MAX_SIZE) -> Iterator[Source]:
    """The messages of an mbox, one at a time, ``>From `` quoting undone (mboxrd).

    Hand-written rather than the standard library's ``mailbox.mbox``: that one scans
    the whole file for a table of contents before the first message and parses each
    into an ``email.message.Message``; this reads line by line, keeps one message's
    bytes and caps its size, so a truncated or huge mbox streams.
    """
    number = 0
    with open(path, "rb") as stream:
        lines: list[bytes] = []
        kept = 0
        size = 0
        previous_blank = True
        started = False
        for line in stream:
            if line.startswith(b"From ") and previous_blank:
                if started:
                    number += 1
                    yield _mbox_message(path, number, lines, size)
                lines, kept, size, started = [], 0, 0, True
                previous_blank = False
                continue
            previous_blank = line in (b"\n", b"\r\n")
            if not started:
                if line.strip():
                    # Text before the first "From " line: not an mbox message boundary;
                    # read it as a message of its own rather than drop it.
                    started = True
                else:
                    continue
            if line.startswith(b">") and line.lstrip(b">").startswith(b"From "):
                line = line[1:]
            size += len(line)
            if kept + len(line) <= max_size:
                lines.append(line)
                kept += len(line)
        if started:
            number += 1
            yield _mbox_message(path, number, lines, size)


def _mbox_message(path: str, number: int, lines: Sequence[bytes], size: int) -> Source:
    data = b"".join(lines)
    # The blank line that separates messages belongs to the mbox, not the message.
    if data.endswith(b"\r\n\r\n"):
        data, size = data[:-2], size - 2
    elif data.endswith(b"\n\n"):
        data, size = data[:-1], size - 1
    return Source(f"{path}#{number}", data, max(size, len(data)))
