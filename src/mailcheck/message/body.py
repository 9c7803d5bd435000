"""The readable text of a message's body: each text/plain and text/html part decoded
once (transfer encoding and charset), for the unsubscribe link and the links' hosts."""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from email.message import Message


@dataclass(frozen=True)
class TextPart:
    content_type: str  # text/plain or text/html
    text: str
    where: str  # "text/html part 2", as the links code names places


def text_parts(tree: Message) -> list[TextPart]:
    parts = []
    for number, part in enumerate(tree.walk(), start=1):
        kind = part.get_content_type()
        if part.is_multipart() or kind not in ("text/html", "text/plain") or part.get_content_disposition() == "attachment":
            continue
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            continue
        charset = part.get_content_charset()
        encoding = charset if charset and _known(charset) else "utf-8"
        parts.append(TextPart(kind, payload.decode(encoding, "replace"), f"{kind} part {number}"))
    return parts


def link_hosts(parts: list[TextPart]) -> list[str]:
    """The hosts of the web links in the body, first sighting first.

    The links command's extractors, over text already decoded here: its own entry
    point (links_in_message) would parse the message a second time.
    """
    from urllib.parse import urlsplit

    from mailcheck.links.extract import Link, links_in_html, links_in_text, unique

    links: list[Link] = []
    for part in parts:
        if part.content_type == "text/html":
            links_in_html(part.text, part.where, links.append)
        else:
            links.extend(links_in_text(part.text, part.where))
    hosts: dict[str, None] = {}
    for link in unique(links):
        if link.url.lower().startswith(("http://", "https://")):
            try:
                host = urlsplit(link.url).hostname
            except ValueError:
                continue
            if host:
                hosts.setdefault(host.lower().rstrip("."), None)
    return list(hosts)


def _known(charset: str | None) -> bool:
    if not charset:
        return False
    try:
        codecs.lookup(charset)
    except LookupError:
        return False
    return True
