"""What can be looked up: IP addresses, domains, and the hosts of URLs and addresses."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from mailcheck.blocklists.catalogue import BlockList, Kind
from mailcheck.errors import BadInput
from mailcheck.suffixes import registered_domain


@dataclass(frozen=True)
class Target:
    """One thing to look up: ``value`` is an IP address or an ASCII domain name."""

    text: str  # as the user gave it
    kind: Kind
    value: str
    # What the address is to the user ("MX mx1.example.com"), shown in summaries.
    role: str | None = None
    # Ask for the name as it is: test points are not reduced to a registered domain.
    as_given: bool = False

    @property
    def shown(self) -> str:
        return f"{self.value} ({self.role})" if self.role else self.value

    @property
    def is_ipv6(self) -> bool:
        return self.kind == "ip" and ":" in self.value


def parse_target(text: str) -> Target:
    """An IP, domain, URL (its host) or email address (its domain); BadInput otherwise."""
    raw = text.strip()
    if not raw:
        raise BadInput("empty target")
    if "://" in raw:
        host = _url_host(raw)
    elif "@" in raw:
        host = raw.rpartition("@")[2]
        if host.startswith("[") and host.endswith("]"):  # a domain literal, [192.0.2.1]
            host = host[1:-1].removeprefix("IPv6:").removeprefix("ipv6:")
    else:
        host = raw
    return host_target(raw, host)


def host_target(text: str, host: str) -> Target:
    """The target for a host taken from ``text`` (an IP goes to the IP lists)."""
    from mailcheck.names import parse_domain

    address = _address(host)
    if address is not None:
        return Target(text, "ip", address)
    try:
        domain = parse_domain(host).ascii
        if domain.rsplit(".", 1)[-1].isdigit():  # no TLD is numeric (RFC 3696 §2)
            raise BadInput(f"{host!r} is neither an IP address nor a domain name")
        return Target(text, "domain", domain)
    except BadInput as exc:
        raise BadInput(f"{text!r} is not an IP address, domain, URL or email address ({exc})") from None


def parse_targets(texts: Iterable[str]) -> tuple[Target, ...]:
    """All targets, in order and without repeats; one BadInput naming every bad one."""
    targets: dict[tuple[str, str], Target] = {}
    bad: list[str] = []
    for text in texts:
        try:
            target = parse_target(text)
        except BadInput:
            bad.append(repr(text.strip()) if text.strip() else "an empty line")
            continue
        targets.setdefault((target.kind, target.value), target)
    if bad:
        noun = "target" if len(bad) == 1 else "targets"
        raise BadInput(f"invalid {noun} {', '.join(bad)}: give IP addresses, domains, URLs or email addresses")
    return tuple(targets.values())


def answers_for(target: Target, blocklist: BlockList) -> bool:
    """Whether ``blocklist`` can be asked about ``target`` at all: a list of its kind,
    and for an IPv6 address one that answers for IPv6."""
    if target.kind != blocklist.kind:
        return False
    return not (target.is_ipv6 and not blocklist.ipv6)


def kind_words(target: Target) -> str:
    """'IPv4 addresses', 'IPv6 addresses' or 'domains': the targets a list must take."""
    if target.kind == "domain":
        return "domains"
    return "IPv6 addresses" if target.is_ipv6 else "IPv4 addresses"


def query_name(target: Target, blocklist: BlockList) -> str | None:
    """The name to ask ``blocklist`` about ``target`` (RFC 5782 §2.1, §2.4, §3), or None
    when the list cannot answer for it (an IPv6 address on an IPv4-only list)."""
    if not answers_for(target, blocklist):
        return None
    if target.kind == "ip":
        return f"{reversed_address(target.value)}.{blocklist.zone}"
    reduce = blocklist.registered_domain and not target.as_given
    # URIBL and SURBL list registered domains, not host names.
    name = registered_domain(target.value) if reduce else target.value
    return f"{name}.{blocklist.zone}"


def reversed_address(address: str) -> str:
    """IPv4 octets or IPv6 nibbles, reversed (the reverse_pointer without its arpa zone)."""
    pointer = ipaddress.ip_address(address).reverse_pointer
    return pointer.removesuffix(".in-addr.arpa").removesuffix(".ip6.arpa")


def _url_host(url: str) -> str:
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError as exc:
        raise BadInput(f"{url!r} is not a valid URL: {exc}") from None
    if not host:
        raise BadInput(f"{url!r} has no host")
    return host


def _address(text: str) -> str | None:
    try:
        address = ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)
