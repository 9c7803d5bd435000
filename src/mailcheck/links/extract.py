"""Every link in a message or an HTML page: href and src attributes, and plain-text URLs.

A message is walked part by part; the email package undoes quoted-printable and base64
and the charset, and html.parser (a real, forgiving HTML tokenizer) reads HTML parts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
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


@dataclass(frozen=True)
class Link:
    url: str
    where: str  # "text/html part 2, <a href>" - where in the input it was found


def links_in_file(path: str) -> list[Link]:
    """Links of an .html/.htm file, or of a message (any other file)."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise BadInput(f"{path}: {exc.strerror or exc}") from None
    if path.lower().endswith((".html", ".htm")):
        return unique(links_in_html(data.decode("utf-8", "replace"), "HTML"))
    return links_in_message(data)


def links_in_message(data: bytes) -> list[Link]:
    message = BytesParser(policy=policy.default).parsebytes(data)
    return unique(_message_links(message))


def _message_links(message: EmailMessage) -> Iterator[Link]:
    for number, part in enumerate(message.walk(), start=1):
        if part.is_multipart():
            continue
        content_type = part.get_content_type()
        if content_type not in ("text/html", "text/plain") or part.get_content_disposition() == "attachment":
            continue
        try:
            text = part.get_content()  # transfer encoding and charset undone
        except (LookupError, ValueError):  # an unknown charset: read it as UTF-8
            text = (part.get_payload(decode=True) or b"").decode("utf-8", "replace")
        where = f"{content_type} part {number}"
        if content_type == "text/html":
            yield from links_in_html(text, where)
        else:
            yield from links_in_text(text, where)


def links_in_html(html: str, where: str) -> list[Link]:
    parser = _LinkParser(where)
    parser.feed(html)
    parser.close()
    return parser.links


def links_in_text(text: str, where: str) -> Iterator[Link]:
    for match in TEXT_URL.finditer(text):
        url = match.group(0).rstrip(TRAILING)
        if url.lower().startswith("www."):
            url = "http://" + url
        yield Link(url, f"{where}, text")


def unique(links: Iterable[Link]) -> list[Link]:
    """First sighting of each URL, in order; non-web schemes (cid:, tel:, data:) dropped."""
    seen: dict[str, Link] = {}
    for link in links:
        scheme = link.url.split(":", 1)[0].lower()
        if scheme in LINK_SCHEMES and link.url not in seen:
            seen[link.url] = link
    return list(seen.values())


class _LinkParser(HTMLParser):
    def __init__(self, where: str) -> None:
        super().__init__(convert_charrefs=True)
        self.where = where
        self.links: list[Link] = []
        self._skip = 0  # inside <script>/<style>, where text is not text

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in URL_ATTRIBUTES and value and value.strip():
                self.links.append(Link(value.strip(), f"{self.where}, <{tag} {name}>"))
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.links.extend(links_in_text(data, self.where))
