"""Received fields (RFC 5321 §4.4) read the tolerant way: every MTA writes them a little
differently (Gmail, Microsoft 365, Yahoo, Postfix, Exim), so each clause is looked for
on its own rather than by one grammar that real headers would break.
"""

from __future__ import annotations

import email.utils
import ipaddress
import re
from dataclasses import dataclass
from datetime import datetime

_FROM = re.compile(r"^\s*from\s+(\S+)", re.I)
_BY = re.compile(r"\bby\s+([^\s;()]+)", re.I)
_WITH = re.compile(r"\bwith\s+([A-Za-z][A-Za-z0-9-]*(?:\s+SMTP\s+Server)?)", re.I)
_EHLO = re.compile(r"\((?:EHLO|HELO)\s+([^\s()]+)\)", re.I)
_BRACKETED = re.compile(r"\[(?:IPv6:)?([0-9A-Fa-f:.]+)\]")
_PAREN_IP = re.compile(r"\(([0-9A-Fa-f:.]+)\)")
_TLS = re.compile(r"\b(TLSv?1[._]?[0-3]|TLS1_[0-3]|version=TLS[^\s,;)]*|using\s+TLS[^\s)]*|cipher=)", re.I)
_TLS_VERSION = re.compile(r"(TLSv?1[._]?[0-3]|TLS1_[0-3])", re.I)
# Private networks, and localhost itself (only 127.0.0.1: the fixtures' senders live
# elsewhere in 127.0.0.0/8, as every fixture host must be on loopback).
_INTERNAL = [
    ipaddress.ip_network(n)
    for n in (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "127.0.0.1/32",
        "100.64.0.0/10",
        "169.254.0.0/16",
        "::1/128",
        "fc00::/7",
        "fe80::/10",
    )
]
# Protocols a provider uses between its own machines, never from the internet.
_INSIDE_PROTOCOLS = ("HTTP", "HTTPS", "LMTP", "LMTPS", "LOCAL", "MAPI")


@dataclass(frozen=True)
class Hop:
    """One Received field: who handed the message to whom, how, and when."""

    index: int  # 1 for the topmost (the last hop)
    text: str
    from_name: str | None
    helo: str | None
    ip: str | None
    by: str | None
    protocol: str | None
    tls: bool | None  # None when the field does not say
    tls_version: str | None
    when: datetime | None

    @property
    def internal(self) -> bool:
        """A hop between a provider's own machines: a private address, an internal
        protocol, or both ends under the same domain (outlook.com to outlook.com)."""
        if self.ip is None or (self.protocol or "") in _INSIDE_PROTOCOLS:
            return True
        if self.from_name and self.by and _operator(self.from_name) == _operator(self.by):
            return True
        address = ipaddress.ip_address(self.ip)
        return any(address in network for network in _INTERNAL)


def parse_hops(values: list[str]) -> list[Hop]:
    return [parse_received(index, value) for index, value in enumerate(values, start=1)]


def parse_received(index: int, value: str) -> Hop:
    text = " ".join(value.split())
    clauses, _, date = text.rpartition(";")
    if not clauses:
        clauses, date = text, ""
    from_match = _FROM.match(clauses)
    by_clause = _BY.search(clauses)
    from_part = clauses[: by_clause.start()] if by_clause else clauses
    ehlo = _EHLO.search(from_part)
    from_name = from_match.group(1) if from_match else None
    helo = ehlo.group(1) if ehlo else from_name
    ip = _ip_in(from_part)
    if from_name and ip is None and _valid_ip(from_name.strip("[]")):
        ip = from_name.strip("[]")
    if helo and _valid_ip(helo.strip("[]")) and ehlo is None:
        # "from 192.0.2.1 (EHLO name)" is handled above; a bare literal stays the HELO.
        helo = from_name
    by = by_clause
    protocol = _WITH.search(clauses)
    proto = protocol.group(1).upper() if protocol else None
    tls_version = _TLS_VERSION.search(clauses)
    tls = _tls(proto, clauses)
    return Hop(
        index=index,
        text=text,
        from_name=from_name,
        helo=helo,
        ip=ip,
        by=by.group(1).rstrip(".").lower() if by else None,
        protocol=proto,
        tls=tls,
        tls_version=tls_version.group(1).upper().replace("_", ".").replace("TLSV", "TLS") if tls_version else None,
        when=_date(date),
    )


def _tls(protocol: str | None, clauses: str) -> bool | None:
    # RFC 3848: ESMTPS/ESMTPSA/LMTPS name TLS; Microsoft and Postfix write the version.
    if _TLS.search(clauses):
        return True
    if protocol is None:
        return None
    if protocol.endswith(("SMTPS", "SMTPSA", "LMTPS")) or protocol in ("UTF8SMTPS", "UTF8SMTPSA"):
        return True
    if protocol in ("SMTP", "ESMTP", "ESMTPA", "LMTP", "UTF8SMTP", "UTF8SMTPA"):
        return False
    return None  # HTTP, local, "Microsoft SMTP Server" without a version: not said


def _operator(host: str) -> str:
    # The last two labels stand in for the registered domain: enough to tell a
    # provider's own relays apart (the Public Suffix List is not needed for that).
    return ".".join(host.lower().rstrip(".").split(".")[-2:])


def _ip_in(text: str) -> str | None:
    for pattern in (_BRACKETED, _PAREN_IP):
        for candidate in pattern.findall(text):
            if _valid_ip(candidate):
                return str(ipaddress.ip_address(candidate))
    return None


def _valid_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _date(text: str) -> datetime | None:
    try:
        when = email.utils.parsedate_to_datetime(text.strip())
    except (TypeError, ValueError, IndexError):
        return None
    return when if when.tzinfo is not None else None
