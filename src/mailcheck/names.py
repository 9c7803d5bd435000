"""Domain names as users type them: validated, trailing dot dropped, IDNs converted."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import idna

from mailcheck.errors import BadInput

MAX_NAME_LENGTH = 253
MAX_LABEL_LENGTH = 63


@dataclass(frozen=True)
class DomainName:
    ascii: str  # the A-label form, lower case, no trailing dot: what DNS is asked
    unicode: str  # the U-label form, for people

    def __str__(self) -> str:
        return self.ascii

    @property
    def is_idn(self) -> bool:
        return self.ascii != self.unicode


def parse_domain(text: str) -> DomainName:
    """Return the domain named by ``text`` or raise BadInput saying what is wrong."""
    raw = text.strip()
    if not raw:
        raise BadInput("empty domain name")
    if raw != text or any(ch.isspace() for ch in raw):
        raise BadInput(f"domain name {text!r} contains spaces")
    if _is_ip_literal(raw):
        raise BadInput(f"{text!r} is an IP address, not a domain name")
    name = raw[:-1] if raw.endswith(".") else raw
    if not name:
        raise BadInput("the root '.' is not a mail domain")
    labels = name.split(".")
    if any(label == "" for label in labels):
        raise BadInput(f"domain name {text!r} has an empty label ('..')")
    try:
        ascii_labels = [_to_ascii(label) for label in labels]
    except idna.IDNAError as exc:
        raise BadInput(f"domain name {text!r} is not a valid name: {exc}") from None
    for label in ascii_labels:
        if len(label) > MAX_LABEL_LENGTH:
            raise BadInput(f"domain name {text!r} has a label of {len(label)} characters (at most {MAX_LABEL_LENGTH})")
    ascii_name = ".".join(ascii_labels)
    if len(ascii_name) > MAX_NAME_LENGTH:
        raise BadInput(f"domain name {text!r} is {len(ascii_name)} characters long (at most {MAX_NAME_LENGTH})")
    if len(labels) < 2:
        raise BadInput(f"{text!r} is a single label; give a full domain name such as example.com")
    unicode_name = ".".join(_to_unicode(label) for label in ascii_labels)
    return DomainName(ascii=ascii_name, unicode=unicode_name)


def _to_ascii(label: str) -> str:
    if label.isascii():
        label = label.lower()
        # Underscore labels (_dmarc, _domainkey) and LDH labels pass as they are;
        # anything else ASCII is refused to keep shell typos out of DNS.
        allowed = set("abcdefghijklmnopqrstuvwxyz0123456789-_")
        if not set(label) <= allowed:
            bad = "".join(sorted(set(label) - allowed))
            raise idna.IDNAError(f"label {label!r} contains {bad!r}")
        if label.startswith("-") or label.endswith("-"):
            raise idna.IDNAError(f"label {label!r} starts or ends with a hyphen")
        if label.startswith("xn--"):
            idna.decode(label)  # raises on a broken A-label
        return label
    return idna.encode(label, uts46=True).decode("ascii")


def _to_unicode(label: str) -> str:
    if label.startswith("xn--"):
        try:
            return idna.decode(label)
        except idna.IDNAError:
            return label
    return label


def _is_ip_literal(text: str) -> bool:
    candidate = text.strip("[]")
    if candidate.lower().startswith("ipv6:"):
        candidate = candidate[5:]
    try:
        ipaddress.ip_address(candidate)
    except ValueError:
        return False
    return True
