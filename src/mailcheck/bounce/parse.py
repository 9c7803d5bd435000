"""Reading a returned message: its MIME parts, RFC 3464 and RFC 5965 fields, its prose.

The standard library's ``email`` parser (compat32 policy) reads the MIME tree; it
never raises on broken MIME, 8-bit headers or garbage, it records defects instead.
Line endings are made LF first, so CR, LF and CRLF messages read the same.
"""

from __future__ import annotations

import contextlib
import email.parser
import email.policy
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.header import decode_header, make_header
from email.message import Message

# A part bigger than this is not read as text (an attachment, not a notice).
_MAX_TEXT_PART = 512 * 1024
_PARSER = email.parser.BytesParser(policy=email.policy.compat32)
# Text from the network is shown to people: control characters never pass raw.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_FIELD = re.compile(r"^([A-Za-z][A-Za-z0-9-]*)[ \t]*:[ \t]*(.*)$")


def read_message(data: bytes) -> Message:
    """The message tree of ``data``; never raises on malformed input."""
    normalized = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    return _PARSER.parsebytes(normalized)


def header(message: Message, name: str) -> str:
    """A header's value decoded (RFC 2047) and unfolded, '' when absent or unreadable."""
    raw = message.get(name)
    if raw is None:
        return ""
    return decode_text(raw)


def decode_text(raw: object) -> str:
    text = raw if isinstance(raw, str) else str(raw)
    if "=?" in text:
        with contextlib.suppress(Exception):  # (a broken encoded-word stays as written)
            text = str(make_header(decode_header(text)))
    return " ".join(_CONTROL.sub(" ", text).split())


def content_type(part: Message) -> str:
    try:
        # A header missing its ";" ("text/plain charset=...") still names its type first.
        kind = part.get_content_type().lower().split()[0]
    except Exception:  # noqa: BLE001
        return "text/plain"
    return kind if "/" in kind else "text/plain"


def parts(message: Message) -> Iterator[Message]:
    """Every part, depth first; a broken tree yields what could be read."""
    try:
        yield from message.walk()
    except Exception:  # noqa: BLE001
        yield message


def part_text(part: Message) -> str:
    """A leaf part's text, transfer-decoded, in its charset (or Latin-1 if unknown)."""
    try:
        payload = part.get_payload(decode=True)
    except Exception:  # noqa: BLE001
        payload = None
    if payload is None:
        raw = part.get_payload()
        if isinstance(raw, list):
            # message/* parts hold messages: their text is the nested message as written.
            return "\n".join(nested.as_string() for nested in raw if isinstance(nested, Message))[:_MAX_TEXT_PART]
        return str(raw or "")[:_MAX_TEXT_PART]
    if not isinstance(payload, bytes):
        return str(payload)[:_MAX_TEXT_PART]
    payload = payload[:_MAX_TEXT_PART]
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, errors="replace")
    except LookupError:
        return payload.decode("latin-1")


def body_text(message: Message) -> str:
    """The human-readable notice: text/plain parts (or HTML stripped of tags) before any
    returned copy of the original message."""
    texts: list[str] = []
    html: list[str] = []
    for part in _notice_parts(message):
        kind = content_type(part)
        if kind == "text/plain" or kind.startswith("multipart/"):
            # (A multipart part reaching here lost its boundary, a header folded
            # wrongly: its body is read as the text it is.)
            texts.append(part_text(part))
        elif kind == "text/html":
            html.append(_strip_html(part_text(part)))
    return "\n".join(texts or html)


def _notice_parts(message: Message) -> Iterator[Message]:
    if not message.is_multipart():
        yield message
        return
    stack = [message]
    while stack:
        node = stack.pop(0)
        if node.is_multipart():
            kind = content_type(node)
            if kind.startswith("message/"):
                continue  # the returned original: not part of the notice
            payload = node.get_payload()
            if isinstance(payload, list):
                stack[0:0] = [p for p in payload if isinstance(p, Message)]
            continue
        yield node


_TAG = re.compile(r"<(script|style)\b.*?</\1>|<br\s*/?>|</p>|</div>|</tr>|<[^>]+>", re.I | re.S)
_ENTITIES = {"&lt;": "<", "&gt;": ">", "&amp;": "&", "&nbsp;": " ", "&quot;": '"', "&#39;": "'"}


def _strip_html(html: str) -> str:
    def replace(match: re.Match[str]) -> str:
        tag = match.group(0).lower()
        return "\n" if tag.startswith(("<br", "</p", "</div", "</tr")) else ""

    text = _TAG.sub(replace, html)
    for entity, char in _ENTITIES.items():
        text = text.replace(entity, char)
    return text


@dataclass(frozen=True)
class FieldBlock:
    """One block of ``Name: value`` fields (a DSN's per-message or per-recipient part,
    an ARF report); names lower-cased, continuation lines unfolded, first value kept
    (``all`` keeps every value, for ARF's repeatable fields)."""

    fields: dict[str, str] = field(default_factory=dict)
    all: dict[str, list[str]] = field(default_factory=dict)

    def get(self, name: str) -> str:
        return self.fields.get(name, "")


def field_blocks(text: str) -> list[FieldBlock]:
    """Split RFC 822-style field groups separated by blank lines; lines that are not
    fields (garbage) are ignored rather than fatal."""
    blocks: list[FieldBlock] = []
    current: FieldBlock | None = None
    last: str | None = None
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if not line.strip():
            if current is not None and current.fields:
                blocks.append(current)
            current, last = None, None
            continue
        if line[:1] in (" ", "\t") and current is not None and last is not None:
            more = " ".join(_CONTROL.sub(" ", line).split())
            current.fields[last] += " " + more
            current.all[last][-1] += " " + more
            continue
        match = _FIELD.match(line)
        if match is None:
            last = None
            continue
        if current is None:
            current = FieldBlock()
        name, value = match.group(1).lower(), " ".join(_CONTROL.sub(" ", match.group(2)).split())
        current.fields.setdefault(name, value)
        current.all.setdefault(name, []).append(value)
        last = name
    if current is not None and current.fields:
        blocks.append(current)
    return blocks


def typed_value(value: str) -> str:
    """``rfc822; a@b`` → ``a@b``; ``smtp; 550 ...`` → ``550 ...``."""
    if ";" in value:
        kind, rest = value.split(";", 1)
        if re.fullmatch(r"\s*[A-Za-z0-9-]+\s*", kind):
            return rest.strip()
    return value.strip()


_ADDRESS = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*"
)


def address_in(text: str) -> str:
    """The first address-looking token of a field value or line, '' if none."""
    match = _ADDRESS.search(text)
    return match.group(0).strip(".").lower() if match else ""


def addresses_in(text: str) -> list[str]:
    return [m.group(0).strip(".").lower() for m in _ADDRESS.finditer(text)]
