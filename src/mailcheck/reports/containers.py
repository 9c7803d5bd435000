"""From one source (a file, an mbox message) to the report documents it carries.

Reports arrive as bare XML or JSON, gzipped, zipped, or attached to an email (several
attachments, or a zip inside a message). Each document found is one ``Document``; a
container that cannot be opened, or that decompresses past the size cap (a zip or gzip
bomb), is a ``Document`` with a ``problem``, so it becomes that document's
``report.invalid`` instead of stopping the run.
"""

from __future__ import annotations

import io
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from mailcheck.sources import Source

# email and zipfile load with the first message or zip met: most reports are bare XML
# or JSON, and the two packages are a tenth of a short run's start-up.
if TYPE_CHECKING:
    from email.message import Message

# What the bytes look like; each kind has its reader.
DocumentKind = Literal["xml", "json", "failure", "exim", "unknown"]

# A zip of more members than this is not a report (providers send one).
MAX_ZIP_MEMBERS = 100
# Attachments of one message worth opening.
MAX_ATTACHMENTS = 50
_GZIP_MAGIC = b"\x1f\x8b"
_ZIP_MAGIC = b"PK\x03\x04"
# Outlook's .msg is an OLE compound file, not MIME (mailcheck.reports.outlook).
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_HEADER_LINE = re.compile(rb"^(From |[!-9;-~]+:)")
_REPORT_TYPES = {
    "application/gzip",
    "application/x-gzip",
    "application/zip",
    "application/x-zip",
    "application/x-zip-compressed",
    "application/xml",
    "text/xml",
    "application/json",
    "application/tlsrpt+json",
    "application/tlsrpt+gzip",
    "application/octet-stream",
}
_REPORT_SUFFIXES = (".xml", ".gz", ".zip", ".json", ".gzip")
_EXIM_MARKERS = (b"Sender Domain:", b"Sender IP Address:")


@dataclass(frozen=True)
class Document:
    """One report document, unpacked: its bytes and what they look like."""

    label: str
    data: bytes
    kind: DocumentKind
    # Why it cannot be read at all (a bomb, a broken zip); data is empty then.
    problem: str | None = None
    # Damage met while unpacking that still leaves something to read.
    damage: tuple[str, ...] = field(default=())


def documents(source: Source, max_size: int) -> Iterator[Document]:
    """Every report document of one source, lazily."""
    if source.error is not None:
        yield Document(source.label, b"", "unknown", problem=f"could not be read: {source.error}")
        return
    damage: tuple[str, ...] = ()
    if source.truncated:
        damage = (f"larger than the size cap ({source.size:,} bytes, cap {max_size:,}); read the first {len(source.data):,}",)
    yield from _unpack(source.label, source.data, max_size, damage, depth=0)


def _unpack(label: str, data: bytes, max_size: int, damage: tuple[str, ...], depth: int) -> Iterator[Document]:
    if depth > 3:
        yield Document(label, b"", "unknown", problem="containers nested more than 3 deep")
        return
    if data.startswith(_GZIP_MAGIC):
        inner, problem, more = gunzip(data, max_size)
        if problem is not None:
            yield Document(label, b"", "unknown", problem=problem)
        else:
            yield from _unpack(label, inner, max_size, damage + more, depth + 1)
        return
    if data.startswith(_ZIP_MAGIC):
        yield from _unzip(label, data, max_size, damage, depth)
        return
    yield from _plain(label, data, max_size, damage, depth)


def _plain(label: str, data: bytes, max_size: int, damage: tuple[str, ...], depth: int) -> Iterator[Document]:
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        yield Document(label, data, "xml", damage=damage)
    elif head.startswith((b"{", b"[")):
        yield Document(label, data, "json", damage=damage)
    elif data.startswith(_OLE_MAGIC):
        yield from _outlook_message(label, data, max_size, damage, depth)
    elif _HEADER_LINE.match(head):
        yield from _message(label, data, max_size, damage, depth)
    elif not head:
        yield Document(label, data, "unknown", problem="empty document", damage=damage)
    else:
        yield Document(
            label, data, "unknown", problem="not a report: neither XML, JSON, gzip, zip nor an email message", damage=damage
        )


def gunzip(data: bytes, max_size: int) -> tuple[bytes, str | None, tuple[str, ...]]:
    """The decompressed bytes, or why not; never more than ``max_size`` of output."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(data, max_size + 1)
    except zlib.error as exc:
        return b"", f"not a readable gzip stream: {exc}", ()
    if len(out) > max_size or inflater.unconsumed_tail:
        return b"", f"gzip decompresses to more than the size cap of {max_size:,} bytes (a gzip bomb?)", ()
    if not inflater.eof:
        return out, None, (f"gzip stream cut short; read the {len(out):,} bytes it held",)
    return out, None, ()


def _unzip(label: str, data: bytes, max_size: int, damage: tuple[str, ...], depth: int) -> Iterator[Document]:
    import zipfile

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = [info for info in archive.infolist() if not info.is_dir()]
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        yield Document(label, b"", "unknown", problem=f"not a readable zip: {exc}")
        return
    if not members:
        yield Document(label, b"", "unknown", problem="an empty zip")
        return
    if len(members) > MAX_ZIP_MEMBERS:
        yield Document(label, b"", "unknown", problem=f"a zip of {len(members)} files; a report zip holds one")
        return
    for info in members:
        name = f"{label}!{info.filename}" if len(members) > 1 else label
        try:
            with archive.open(info) as member:
                # Read one byte past the cap: the size the zip declares may lie.
                inner = member.read(max_size + 1)
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, zlib.error, OSError, EOFError) as exc:
            yield Document(name, b"", "unknown", problem=f"zip member {info.filename} cannot be read: {exc}")
            continue
        if len(inner) > max_size:
            yield Document(
                name,
                b"",
                "unknown",
                problem=f"zip member {info.filename} decompresses to more than the size cap of {max_size:,} bytes (a zip bomb?)",
            )
            continue
        yield from _unpack(name, inner, max_size, damage, depth + 1)


def _message(label: str, data: bytes, max_size: int, damage: tuple[str, ...], depth: int) -> Iterator[Document]:
    import email.parser
    import email.policy

    message = email.parser.BytesParser(policy=email.policy.compat32).parsebytes(data)
    if _is_failure_report(message):
        yield Document(label, data, "failure", damage=damage)
        return
    found = 0
    kinds: list[str] = []
    for part in message.walk():
        if part.is_multipart():
            continue
        content_type = part.get_content_type()
        kinds.append(content_type)
        filename = part.get_filename() or ""
        if not _may_be_report(content_type, filename):
            continue
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes) or not payload.strip():
            continue
        found += 1
        if found > MAX_ATTACHMENTS:
            break
        yield from _unpack(f"{label}!{filename or content_type}", payload, max_size, damage, depth + 1)
    if found:
        return
    body = _text_body(message)
    if all(marker in body for marker in _EXIM_MARKERS):
        yield Document(label, data, "exim", damage=damage)
        return
    parts = ", ".join(dict.fromkeys(kinds)) or "none"
    yield Document(label, b"", "unknown", problem=f"an email message with no report in it (parts: {parts})", damage=damage)


def _outlook_message(label: str, data: bytes, max_size: int, damage: tuple[str, ...], depth: int) -> Iterator[Document]:
    """A message saved from Outlook (.msg): its report attachments, as a MIME message's."""
    from mailcheck.reports import outlook

    try:
        attached = outlook.attachments(data, max_size, MAX_ATTACHMENTS)
    except outlook.NotAMessage as exc:
        yield Document(label, b"", "unknown", problem=f"an Outlook .msg file: {exc.reason}", damage=damage)
        return
    reports = [a for a in attached if _may_be_report(a.content_type, a.name)]
    for attachment in reports:
        yield from _unpack(f"{label}!{attachment.name}", attachment.data, max_size, damage, depth + 1)
    if not reports:
        names = ", ".join(a.name for a in attached) or "none"
        # A failure report saved from Outlook loses its MIME structure (the report part
        # becomes an attachment among others): it is read from the original only.
        problem = f"an Outlook message with no report attached (attachments: {names}); a failure report must be saved as .eml"
        yield Document(label, b"", "unknown", problem=problem, damage=damage)


def _may_be_report(content_type: str, filename: str) -> bool:
    """Whether an attachment, MIME or Outlook's, is worth opening as a report."""
    return content_type in _REPORT_TYPES or filename.lower().endswith(_REPORT_SUFFIXES)


def _is_failure_report(message: Message) -> bool:
    if message.get_content_type() == "multipart/report" and message.get_param("report-type") == "feedback-report":
        return True
    return any(part.get_content_type() == "message/feedback-report" for part in message.walk())


def _text_body(message: Message) -> bytes:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                return payload
    return b""
