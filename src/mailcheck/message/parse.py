"""Read a message's bytes into its header fields, body and MIME tree, tolerating what
real mail gets wrong and noting it, so the format checks can report it.

The header block is split by hand rather than by ``email.parser``: the standard
parser silently repairs a header line without a colon, a line over 998 characters or
a duplicated From, and those are exactly what the format checks must see. The MIME
tree (parts, boundaries, defects) is the standard parser's.
"""

from __future__ import annotations

import email
import email.policy
import email.utils
import functools
import re
from dataclasses import dataclass, field
from email.message import Message

MAX_LINE = 998  # RFC 5322 §2.1.1, without the CRLF
_FIELD_NAME = re.compile(rb"^[\x21-\x39\x3b-\x7e]+$")
_HEADER_END = re.compile(rb"\r?\n\r?\n")


_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")
_FOLD = re.compile(rb"\r?\n([ \t])")


def printable(text: str) -> str:
    """``text`` with control characters written as escapes (\\x1b): header fields,
    bodies and DNS answers are the sender's to fill, and a terminal obeys what it
    prints raw."""
    if _CONTROL.search(text) is None:
        return text  # the usual case: no new string
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group(0)):02x}", text)


class NotAMessage(ValueError):
    """The bytes are not an RFC 5322 message at all (binary, empty, only a body)."""


@dataclass(frozen=True)
class Header:
    name: str
    # Unfolded, decoded as UTF-8 (invalid bytes replaced) for reading and display.
    value: str
    raw: bytes  # the whole field as it stands, folding included, for line checks


@dataclass(frozen=True)
class ParsedMessage:
    data: bytes
    headers: tuple[Header, ...]
    body: bytes
    tree: Message
    # Lines of the header block that are not "name: value" (kept to report them).
    stray_lines: tuple[str, ...] = ()
    truncated: bool = False
    size: int = 0
    long_lines: tuple[int, ...] = field(default=())  # line numbers over 998 characters
    longest_line: int = 0

    def all(self, name: str) -> list[str]:
        """Every value of the field ``name``, top first."""
        wanted = name.lower()
        return [h.value for h in self.headers if h.name.lower() == wanted]

    def first(self, name: str) -> str | None:
        values = self.all(name)
        return values[0] if values else None

    @property
    def header_block(self) -> bytes:
        return b"".join(h.raw for h in self.headers)


def parse_message(data: bytes, *, size: int | None = None) -> ParsedMessage:
    """The message in ``data``; NotAMessage (with the reason) when it is none."""
    if not data.strip():
        raise NotAMessage("the input is empty")
    head, body = _split(data)
    if b"\x00" in head:
        raise NotAMessage("the input is binary (NUL bytes where header fields should be)")
    headers, stray = _header_fields(head)
    if not headers:
        first = printable(head.split(b"\n", 1)[0][:60].decode("utf-8", "replace"))
        raise NotAMessage(f"no header fields: the first line {first!r} is not 'Name: value' (only a body?)")
    if len(stray) > len(headers):
        raise NotAMessage(f"not a message: {len(stray)} of {len(stray) + len(headers)} header lines are not 'Name: value'")
    tree = email.message_from_bytes(data, policy=email.policy.compat32)
    long_lines, longest = _long_lines(data)
    return ParsedMessage(
        data=data,
        headers=tuple(headers),
        body=body,
        tree=tree,
        stray_lines=tuple(stray),
        truncated=size is not None and size > len(data),
        size=size if size is not None else len(data),
        long_lines=long_lines,
        longest_line=longest,
    )


def _split(data: bytes) -> tuple[bytes, bytes]:
    # A message may start with its body separator when it has no headers at all.
    if data.startswith((b"\n", b"\r\n")):
        return b"", data
    match = _HEADER_END.search(data)
    if match is None:
        return data, b""
    cut = match.start() + (2 if data[match.start() : match.start() + 2] == b"\r\n" else 1)
    return data[:cut], data[match.end() :]


def _header_fields(head: bytes) -> tuple[list[Header], list[str]]:
    fields: list[list[bytes]] = []
    stray: list[str] = []
    for line in head.splitlines(keepends=True):
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1].append(line)
            continue
        name, colon, _ = line.partition(b":")
        if colon and _FIELD_NAME.match(name.rstrip(b" \t")):
            fields.append([line])
        elif line.strip():
            stray.append(printable(line.rstrip(b"\r\n")[:80].decode("utf-8", "replace")))
    headers = []
    for lines in fields:
        raw = b"".join(lines)
        name, _, value = raw.partition(b":")
        # A field of one line has nothing to unfold.
        unfolded = (_FOLD.sub(rb"\1", value) if len(lines) > 1 else value).strip()
        headers.append(Header(name.rstrip(b" \t").decode("ascii"), printable(unfolded.decode("utf-8", "replace")), raw))
    return headers, stray


def _long_lines(data: bytes) -> tuple[tuple[int, ...], int]:
    numbers = []
    longest = 0
    for number, line in enumerate(data.split(b"\n"), start=1):
        length = len(line.rstrip(b"\r"))
        longest = max(longest, length)
        if length > MAX_LINE:
            numbers.append(number)
    return tuple(numbers[:20]), longest


def addresses(value: str) -> list[tuple[str, str]]:
    """(display name, address) pairs of an address header, as receivers read them."""
    return list(_addresses(value))


@functools.lru_cache(maxsize=64)
def _addresses(value: str) -> tuple[tuple[str, str], ...]:
    # Kept for a while: a message's From is read for DMARC and again for its format check.
    return tuple((name, addr) for name, addr in email.utils.getaddresses([value]) if addr or name)


def domain_of(address: str) -> str | None:
    """The domain of ``local@domain``, lower-cased; None when the address has none."""
    local, at, domain = address.strip().strip("<>").rpartition("@")
    domain = domain.strip().rstrip(".").lower()
    if not at or not local or not domain or not re.fullmatch(r"[a-z0-9._-]+", domain) or "." not in domain:
        return None
    return domain
