"""Every link in a message or an HTML page: href and src attributes, and plain-text URLs.

A message is walked part by part; the email package undoes quoted-printable and base64
and the charset, and html.parser (a real, forgiving HTML tokenizer) reads HTML parts.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from html.parser import HTMLParser
from pathlib import Path

from mailcheck.errors import BadInput

# Attributes that carry a URL a reader's client may fetch or open.
URL_ATTRIBUTES = frozenset({"href", "src", "action", "background", "poster", "cite"})
# http(s) URLs and bare www. hosts in text; the URL ends at space, quotes or angle brackets.
TEXT_URL = re.compile(r"""(?i)\b(?:https?://|www\.)[^\s<>"'`{}|\\^\[\]]+""")
# Closing punctuation that ends a sentence rather than the URL.
TRAILING = ".,;:!?)]}>'\""
LINK_SCHEMES = ("http", "https", "mailto")

# What one input may cost. The big providers refuse messages over about 25 MB, so a
# larger file is not mail anyone receives; its first 25 MB are read and the rest is said
# to be unread. Links past the first 1,000 distinct ones are counted, not checked: a
# real message carries dozens, and each checked link costs lookups and a report entry.
MAX_INPUT_BYTES = 25 * 1024 * 1024
MAX_LINKS = 1000
# Browsers, servers and CDNs commonly refuse request lines over 8 KB: a longer URL is
# not a link a reader can follow, so it is reported, not looked up.
MAX_URL_CHARS = 8192
# Past this a URL is shortened wherever it is shown (the lookups still use all of it).
SHOWN_URL_CHARS = 200
# Mail clients show a handful of levels; the email package recurses once per level
# and has no limit of its own, so a hostile message could exhaust the stack.
MAX_MIME_DEPTH = 50


@dataclass(frozen=True)
class Link:
    url: str
    where: str  # "text/html part 2, <a href>" - where in the input it was found


Sink = Callable[[Link], None]


@dataclass(frozen=True)
class LongUrl:
    """A URL over MAX_URL_CHARS: its start, its length, and where it was."""

    shown: str
    length: int
    where: str


@dataclass(frozen=True)
class Extraction:
    """The links of one input, and what the limits left out of them."""

    links: tuple[Link, ...]
    input_bytes: int = 0  # the file's size
    read_bytes: int = 0  # how much of it was read (less when it was over MAX_INPUT_BYTES)
    links_left_out: int = 0  # distinct links past the first MAX_LINKS
    too_long: tuple[LongUrl, ...] = ()  # every distinct URL over MAX_URL_CHARS (the first few kept)
    too_long_count: int = 0

    @property
    def cut(self) -> bool:
        return self.read_bytes < self.input_bytes or bool(self.links_left_out or self.too_long_count)


def shown_url(url: str) -> str:
    """``url`` as a report shows it: whole up to SHOWN_URL_CHARS, else its start and what was cut."""
    if len(url) <= SHOWN_URL_CHARS:
        return url
    return f"{url[:SHOWN_URL_CHARS]}… ({len(url) - SHOWN_URL_CHARS:,} characters cut)"


def links_in_file(path: str) -> Extraction:
    """Links of an .html/.htm file, or of a message (any other file), within the limits."""
    try:
        with open(path, "rb") as file:
            data = file.read(MAX_INPUT_BYTES)
            size = max(Path(path).stat().st_size, len(data))
    except OSError as exc:
        raise BadInput(f"{path}: {exc.strerror or exc}") from None
    return links_in_data(data, size, path, html=path.lower().endswith((".html", ".htm")))


def links_in_data(data: bytes, size: int, source: str, *, html: bool) -> Extraction:
    """Links of a page or a message already read (``size``: the whole input's length)."""
    collector = _Collector()
    if html:
        links_in_html(data.decode("utf-8", "replace"), "HTML", collector.add)
    else:
        _message_links(_parse_message(source, data), collector.add)
    return collector.extraction(size, len(data))


def links_in_message(data: bytes) -> list[Link]:
    collector = _Collector()
    _message_links(_parse_message("message", data), collector.add)
    return list(collector.links.values())


def _parse_message(source: str, data: bytes) -> EmailMessage:
    too_deep = f"{source}: MIME parts nested more than {MAX_MIME_DEPTH} levels deep; no mail client shows such a message"
    try:
        message = BytesParser(policy=policy.default).parsebytes(data)
    except RecursionError:
        raise BadInput(too_deep) from None
    if _mime_depth(message) > MAX_MIME_DEPTH:
        raise BadInput(too_deep)
    return message  # policy.default makes EmailMessage


def _mime_depth(message: EmailMessage) -> int:
    """How deeply parts nest, without recursing (walk() itself recurses per level)."""
    deepest = 0
    pending: list[tuple[EmailMessage, int]] = [(message, 1)]
    while pending:
        part, depth = pending.pop()
        deepest = max(deepest, depth)
        if deepest > MAX_MIME_DEPTH:
            break
        if part.is_multipart():
            # A multipart's payload, and a message/rfc822's (which walk() also enters), is a list.
            children: list[EmailMessage] = part.get_payload()  # type: ignore[assignment]
            pending.extend((child, depth + 1) for child in children)
    return deepest


def _message_links(message: EmailMessage, sink: Sink) -> None:
    for number, part in enumerate(message.walk(), start=1):
        if part.is_multipart():
            continue
        content_type = part.get_content_type()
        if content_type not in ("text/html", "text/plain") or part.get_content_disposition() == "attachment":
            continue
        try:
            text = part.get_content()  # transfer encoding and charset undone
        except (LookupError, ValueError):  # an unknown charset: read it as UTF-8
            payload = part.get_payload(decode=True)
            text = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
        where = f"{content_type} part {number}"
        if content_type == "text/html":
            links_in_html(text, where, sink)
        else:
            for link in links_in_text(text, where):
                sink(link)


def links_in_html(html: str, where: str, sink: Sink) -> None:
    # Fed whole: fed in slices, html.parser rescans an unfinished tag from its start on
    # every slice, which turns one 25 MB attribute into minutes.
    parser = _LinkParser(where, sink)
    parser.feed(html)
    parser.close()


def links_in_text(text: str, where: str) -> Iterator[Link]:
    for match in TEXT_URL.finditer(text):
        url = match.group(0).rstrip(TRAILING)
        if url.lower().startswith("www."):
            url = "http://" + url
        yield Link(url, f"{where}, text")


def unique(links: Iterable[Link]) -> list[Link]:
    """First sighting of each URL, in order; non-web schemes (cid:, tel:, data:) dropped."""
    collector = _Collector()
    for link in links:
        collector.add(link)
    return list(collector.links.values())


class _Collector:
    """Keeps the first MAX_LINKS distinct web links in order; counts the rest, sets long ones apart.

    Links arrive one at a time from the parsers, so a page of a million links never holds
    them all; past the cap only hashes are kept, enough to count distinct URLs.
    """

    def __init__(self) -> None:
        self.links: dict[str, Link] = {}
        self.beyond: set[int] = set()
        self.too_long: dict[int, LongUrl] = {}

    def add(self, link: Link) -> None:
        url = link.url
        if url in self.links or url.split(":", 1)[0].lower() not in LINK_SCHEMES:
            return
        if len(url) > MAX_URL_CHARS:
            key = hash(url)
            if key not in self.too_long:
                self.too_long[key] = LongUrl(shown_url(url), len(url), link.where)
        elif len(self.links) < MAX_LINKS:
            self.links[url] = link
        else:
            self.beyond.add(hash(url))

    def extraction(self, input_bytes: int, read_bytes: int) -> Extraction:
        return Extraction(
            links=tuple(self.links.values()),
            input_bytes=input_bytes,
            read_bytes=read_bytes,
            links_left_out=len(self.beyond),
            too_long=tuple(self.too_long.values())[:5],
            too_long_count=len(self.too_long),
        )


class _LinkParser(HTMLParser):
    def __init__(self, where: str, sink: Sink) -> None:
        super().__init__(convert_charrefs=True)
        self.where = where
        self.sink = sink
        self._skip = 0  # inside <script>/<style>, where text is not text

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in URL_ATTRIBUTES and value and value.strip():
                self.sink(Link(value.strip(), f"{self.where}, <{tag} {name}>"))
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            for link in links_in_text(data, self.where):
                self.sink(link)
