"""The three answers a check needs to tell apart, without importing dnspython.

Each failure also keeps its ``kind`` (which rcode, or what else went wrong) and the
name and type asked, so every message a user reads says what failed for which name
("SERVFAIL for _dmarc.x.example TXT"), and so the library adapters can hand pyspf,
dkimpy and checkdmarc the same facts instead of a generic timeout.
"""

from __future__ import annotations

import enum
from typing import Self


class Failure(enum.StrEnum):
    """What a lookup ran into; the value is what users read."""

    NXDOMAIN = "NXDOMAIN"
    NODATA = "NODATA"
    SERVFAIL = "SERVFAIL"
    REFUSED = "REFUSED"
    NOTIMP = "NOTIMP"
    FORMERR = "FORMERR"
    OTHER_RCODE = "unexpected rcode"
    CNAME_LOOP = "CNAME loop"
    TIMEOUT = "timeout"
    WRONG_OWNER = "wrong owner"
    OFFLINE = "offline"
    NO_NAMESERVERS = "no nameservers"
    NETWORK = "network error"


class DnsError(Exception):
    kind: Failure = Failure.NETWORK

    def __init__(self, name: str, rdtype: str, reason: str, kind: Failure | None = None) -> None:
        super().__init__(f"{name} {rdtype}: {reason}")
        self.name = name
        self.rdtype = rdtype
        self.reason = reason
        if kind is not None:
            self.kind = kind

    def copy(self) -> Self:
        """The same failure without a traceback, to raise again (see Resolver._settled)."""
        return type(self)(self.name, self.rdtype, self.reason, self.kind)

    @property
    def headline(self) -> str:
        """``KIND for NAME TYPE``: the one line that libraries and logs repeat."""
        return f"{self.kind.value} for {self.name} {self.rdtype}"

    @property
    def message(self) -> str:
        """What failed, for which name, and why: for libraries, whose messages would
        otherwise not say which query failed. (Checks put the name before ``reason``.)"""
        return f"{self.headline}: {self.reason}"


class NoSuchDomain(DnsError):
    """NXDOMAIN: the name does not exist."""

    kind = Failure.NXDOMAIN


class NoRecords(DnsError):
    """NODATA: the name exists but has no record of this type."""

    kind = Failure.NODATA


class DnsUnavailable(DnsError):
    """Could not tell: timeout, SERVFAIL, REFUSED, a CNAME loop, an answer about another
    name, or a name outside --offline zones; ``kind`` says which."""
