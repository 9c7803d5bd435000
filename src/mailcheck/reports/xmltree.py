"""XML from strangers, parsed safely and as far as it goes.

defusedxml refuses entity declarations and external references (no billion laughs, no
file or URL fetched). On top of it this module adds what reading real reports needs:
namespaces dropped (RFC 7489 and RFC 9990 reports name the same elements), the line
each element starts on (so a complaint can name it), and recovery: a document cut
short or broken part-way keeps every element before the break, as parsedmarc's
lenient parser does, and the break is reported as damage.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from mailcheck.reports.values import NotAReport

# A bare "&" (AT&T in an org name) is the commonest break in real reports.
_BARE_AMPERSAND = re.compile(rb"&(?!(?:[A-Za-z][A-Za-z0-9]*|#[0-9]+|#x[0-9A-Fa-f]+);)")
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# The same bytes for bytes.translate: whether a document has any is a C loop over it,
# several times cheaper than the class search, which then runs only on the few that do.
_CONTROL_DELETE = bytes(range(0x09)) + b"\x0b\x0c" + bytes(range(0x0E, 0x20))
_ASCII_COMPATIBLE = frozenset({"utf-8", "utf8", "us-ascii", "ascii"})
_DECLARED_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")


@dataclass(frozen=True)
class ParsedXml:
    """A document's element tree, its namespace, and what had to be repaired to read it."""

    root: ET.Element
    # The line each element starts on, by id() of the element (the tree keeps them alive).
    lines: dict[int, int]
    namespace: str | None
    damage: tuple[str, ...]
    # Where the XML broke, when it was read only up to there.
    broken: str | None = None

    def line(self, element: ET.Element | None) -> int | None:
        return None if element is None else self.lines.get(id(element))


class _Builder:
    """A TreeBuilder that drops namespaces, records lines, and knows what is open."""

    def __init__(self) -> None:
        self.tree = ET.TreeBuilder()
        self.open: list[str] = []
        self.lines: dict[int, int] = {}
        self.namespace: str | None = None
        self.parser: DefusedXMLParser | None = None

    def start(self, tag: str, attrs: dict[str, str]) -> ET.Element:
        namespace, _, local = tag.rpartition("}")
        if namespace and self.namespace is None:
            self.namespace = namespace.lstrip("{")
        self.open.append(local)
        element = self.tree.start(local, {})
        if self.parser is not None:
            self.lines[id(element)] = self.parser.parser.CurrentLineNumber
        return element

    def end(self, tag: str) -> ET.Element:
        self.open.pop()
        return self.tree.end(tag.rpartition("}")[2])

    def data(self, text: str) -> None:
        self.tree.data(text)

    def close(self) -> ET.Element:
        return self.tree.close()


def parse_xml(data: bytes, *, with_lines: bool = False) -> ParsedXml:
    """The element tree of ``data``; NotAReport when there is nothing to read.

    ``with_lines`` records the line of every element (the slower parser), for the
    message of a document that turned out invalid."""
    damage: list[str] = []
    data = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    declared = _DECLARED_ENCODING.match(data)
    encoding = declared.group(1).decode().lower() if declared else "utf-8"
    if encoding in _ASCII_COMPATIBLE:
        data = _repair_utf8(data, damage)
    if len(data.translate(None, _CONTROL_DELETE)) != len(data):
        where = _line_at(data, _CONTROL_BYTES.search(data).start())  # type: ignore[union-attr]
        damage.append(f"control bytes (first at line {where}) are not allowed in XML; left out")
        data = _CONTROL_BYTES.sub(b"", data)
    if b"&" in data and _BARE_AMPERSAND.search(data):
        where = _line_at(data, _BARE_AMPERSAND.search(data).start())  # type: ignore[union-attr]
        damage.append(f"a bare '&' at line {where} is not XML; read as '&amp;'")
        data = _BARE_AMPERSAND.sub(b"&amp;", data)
    if with_lines or not _safe_for_fast_path(data, encoding):
        return _parse_defused(data, damage)
    try:
        root = ET.fromstring(data)  # noqa: S314  (no DTD, so no entity and no external reference: see above)
    except ET.ParseError:
        # Broken XML: the careful parser finds where, and keeps what came before.
        return _parse_defused(data, damage)
    namespace = None
    if root.tag.startswith("{"):
        namespace = root.tag[1:].partition("}")[0]
        for element in root.iter():
            element.tag = element.tag.rpartition("}")[2]
    return ParsedXml(root, {}, namespace, tuple(damage))


def _safe_for_fast_path(data: bytes, encoding: str) -> bool:
    """Whether the C parser may read ``data`` directly.

    Entity declarations and external references can only come from a DTD. In UTF-8 or
    ASCII bytes a DTD cannot hide: it starts with the bytes ``<!DOCTYPE``. A document
    without them is parsed by the standard library's C parser, several times faster
    than defusedxml's Python callbacks; every other document goes through defusedxml,
    which refuses the DTD's entities and references.
    """
    if encoding not in _ASCII_COMPATIBLE:
        return False
    # "<!" opens a DTD, a comment or a CDATA section; most reports have none of them.
    return b"<!" not in data or (b"<!DOCTYPE" not in data and b"<!doctype" not in data.lower())


def _parse_defused(data: bytes, damage: list[str]) -> ParsedXml:
    builder = _Builder()
    parser = DefusedXMLParser(target=builder)
    builder.parser = parser
    try:
        parser.feed(data)
        root = parser.close()
    except DefusedXmlException as exc:
        raise NotAReport(f"refused: {_defused_reason(exc)} (reports never need them)", parser.parser.CurrentLineNumber) from None
    except ET.ParseError as exc:
        line, column = exc.position
        reason = str(exc).split(":")[0]
        if not builder.open:
            raise NotAReport(f"not well-formed XML ({reason}, column {column + 1})", line) from None
        broken = f"the XML breaks at line {line}, column {column + 1} ({reason}) inside <{builder.open[-1]}>"
        damage.append(f"{broken}; read what came before")
        root = _close_open(builder)
        return ParsedXml(root, builder.lines, builder.namespace, tuple(damage), broken)
    return ParsedXml(root, builder.lines, builder.namespace, tuple(damage))


def _close_open(builder: _Builder) -> ET.Element:
    for tag in reversed(builder.open):
        builder.tree.end(tag)
    builder.open.clear()
    return builder.tree.close()


def _repair_utf8(data: bytes, damage: list[str]) -> bytes:
    try:
        data.decode("utf-8")
        return data
    except UnicodeDecodeError as exc:
        damage.append(f"bytes that are not UTF-8 (first at line {_line_at(data, exc.start)}); read as U+FFFD")
        return data.decode("utf-8", "replace").encode("utf-8")


def _line_at(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _defused_reason(exc: DefusedXmlException) -> str:
    name = type(exc).__name__
    if name == "EntitiesForbidden":
        return "an entity declaration"
    if name == "ExternalReferenceForbidden":
        return "an external reference"
    if name == "DTDForbidden":
        return "a DTD"
    return name
