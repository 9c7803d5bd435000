"""The SMTP facts of a delivery (sending IP, HELO, MAIL FROM): as the user gave them,
or read from the receiver's trace headers and marked as inferred, naming the header.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from mailcheck.message.parse import ParsedMessage
from mailcheck.message.received import Hop, parse_hops

Origin = Literal["given", "inferred"]
_PAIR = re.compile(r"([a-z-]+)\s*=\s*(\"[^\"]*\"|[^;\s]+)", re.I)


@dataclass(frozen=True)
class Fact:
    value: str
    origin: Origin
    header: str | None = None  # where an inferred value was read

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "origin": self.origin, "header": self.header}


@dataclass(frozen=True)
class GivenFacts:
    """What the user said about the delivery (options), validated."""

    ip: str | None = None
    helo: str | None = None
    mail_from: str | None = None
    authserv_id: str | None = None
    trusted_hop: int | None = None


@dataclass(frozen=True)
class SmtpFacts:
    ip: Fact | None
    helo: Fact | None
    mail_from: Fact | None
    hop: Hop | None  # the receiving server's Received field the facts came from
    hops: tuple[Hop, ...]
    trust_note: str  # how the hop was chosen, for the report

    def to_dict(self) -> dict[str, Any]:
        return {
            "ip": self.ip.to_dict() if self.ip else None,
            "helo": self.helo.to_dict() if self.helo else None,
            "mail_from": self.mail_from.to_dict() if self.mail_from else None,
            "trusted_hop": self.hop.index if self.hop else None,
            "trust": self.trust_note,
        }

    def note(self, *facts: Fact | None) -> str:
        """' (inferred from ...)' when any of the facts was read from the headers."""
        headers = [f.header for f in facts if f is not None and f.origin == "inferred" and f.header]
        return f" (inferred from {', '.join(dict.fromkeys(headers))})" if headers else ""


def smtp_facts(message: ParsedMessage, given: GivenFacts) -> SmtpFacts:
    hops = tuple(parse_hops(message.all("received")))
    hop, trust = _trusted_hop(hops, given)
    spf_fields = _received_spf(message.first("received-spf"))
    ip = _given(given.ip)
    helo = _given(given.helo)
    mail_from = _given(given.mail_from)
    where = f"Received #{hop.index}" + (f" (by {hop.by})" if hop and hop.by else "") if hop else ""
    if ip is None and hop is not None and hop.ip:
        ip = Fact(hop.ip, "inferred", where)
    if helo is None and hop is not None and hop.helo:
        helo = Fact(hop.helo, "inferred", where)
    if mail_from is None:
        return_path = message.first("return-path")
        if return_path is not None:
            mail_from = Fact(return_path.strip().strip("<>").strip() or "<>", "inferred", "Return-Path")
    if ip is None and "client-ip" in spf_fields:
        ip = Fact(spf_fields["client-ip"], "inferred", "Received-SPF")
    if helo is None and "helo" in spf_fields:
        helo = Fact(spf_fields["helo"], "inferred", "Received-SPF")
    if mail_from is None and "envelope-from" in spf_fields:
        mail_from = Fact(spf_fields["envelope-from"].strip("<>") or "<>", "inferred", "Received-SPF")
    return SmtpFacts(ip, helo, mail_from, hop, hops, trust)


def _given(value: str | None) -> Fact | None:
    return Fact(value, "given") if value is not None else None


def _trusted_hop(hops: tuple[Hop, ...], given: GivenFacts) -> tuple[Hop | None, str]:
    if not hops:
        return None, "no Received fields"
    if given.trusted_hop is not None:
        if given.trusted_hop > len(hops):
            return None, f"--trusted-hop {given.trusted_hop}: the message has {len(hops)} Received fields"
        return hops[given.trusted_hop - 1], f"Received #{given.trusted_hop}, as chosen"
    if given.authserv_id:
        wanted = given.authserv_id.lower().rstrip(".")
        for hop in hops:
            if hop.by and (hop.by == wanted or hop.by.endswith("." + wanted)) and hop.ip:
                return hop, f"the topmost Received by {wanted} with a sending IP"
    # The receiver's border server: the topmost hop that came from outside its network
    # (its own relays use private addresses, or none at all).
    for hop in hops:
        if hop.ip and not hop.internal:
            return hop, "the topmost Received from a public address"
    for hop in hops:
        if hop.ip:
            return hop, "the topmost Received with an address"
    return None, "no Received field names a sending address"


def _received_spf(value: str | None) -> dict[str, str]:
    if value is None:
        return {}
    fields = {name.lower(): v.strip('"') for name, v in _PAIR.findall(value)}
    result = value.split(None, 1)[0].lower() if value.split() else ""
    if result:
        fields["result"] = result
    return fields
