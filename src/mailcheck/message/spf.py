"""check_host() (RFC 7208) for the identities a client really sent: the MAIL FROM and
the HELO name, as given or as the receiver recorded them.

pyspf evaluates; what it is handed follows RFC 7208 first: a null sender is checked
as postmaster@HELO (§2.4), a HELO that is an address literal or a single label, and a
sender whose domain is not a domain name, give ``none`` without a lookup (§2.3, §4.3).
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
from dataclasses import dataclass
from typing import Literal

from mailcheck.catalogue.spec import CheckSpec, Example
from mailcheck.checks.spf_evaluation import RESULT_STATUS
from mailcheck.message.parse import printable
from mailcheck.model import Check, Status

SpfResult = Literal["pass", "fail", "softfail", "neutral", "none", "permerror", "temperror"]
Identity = Literal["mfrom", "helo"]
NULL_SENDERS = ("", "<>")
_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")

MFROM = CheckSpec(
    id="spf.mfrom",
    title="SPF for the MAIL FROM identity",
    verifies="check_host() for the sending IP and the envelope sender (MAIL FROM, or postmaster@HELO for the null sender), with the result, the explanation and the mechanism that matched.",
    why="The MAIL FROM result is the SPF result DMARC uses; a fail or softfail there is the most common reason a message is not authenticated.",
    example=Example(
        bad='example.com. TXT "v=spf1 include:_spf.oldprovider.example -all"  (mail sent from the new provider)',
        good='example.com. TXT "v=spf1 include:_spf.newprovider.example -all"',
        why="The record must list the servers that really send as the domain.",
    ),
    refs=("RFC 7208 §2.4", "RFC 7208 §4"),
)
HELO = CheckSpec(
    id="spf.helo",
    title="SPF for the HELO identity",
    verifies="check_host() for the sending IP and the HELO/EHLO name, or none when the name is an address literal or a single label (RFC 7208 §2.3).",
    why="Receivers check the HELO name too, and use it as the SPF identity for bounces (null sender); a HELO of gmail.com from your server fails.",
    example=Example(
        bad="EHLO localhost",
        good='EHLO mail.example.com  (with mail.example.com. TXT "v=spf1 a -all")',
        why="A real host name with its own SPF record lets receivers verify the HELO identity.",
    ),
    refs=("RFC 7208 §2.3", "RFC 7208 §4.3"),
)

# How the result reads in a message's report, as in the domain report (the mailcheck
# spf command has its own).
_STATUS = RESULT_STATUS


@dataclass(frozen=True)
class SpfOutcome:
    identity: Identity
    ip: str
    domain: str | None  # the domain check_host() ran for; None when none applies
    sender: str  # the <sender> of check_host()
    helo: str
    result: SpfResult
    explanation: str
    mechanism: str | None = None


def helo_domain(helo: str) -> str | None:
    """The HELO name as a domain check_host() can take, or None (literal, one label)."""
    name = helo.strip().rstrip(".").lower()
    if name.startswith("[") or _is_ip(name):
        return None
    labels = name.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        return None
    return name


def sender_domain(mail_from: str) -> str | None:
    """The domain of a MAIL FROM address, None when it is null or not local@domain."""
    address = mail_from.strip().strip("<>")
    local, at, domain = address.rpartition("@")
    if not at:
        return None
    return helo_domain(domain)


def is_null(mail_from: str) -> bool:
    return mail_from.strip() in NULL_SENDERS


async def evaluate_mfrom(ip: str, mail_from: str, helo: str) -> SpfOutcome:
    if is_null(mail_from):
        # RFC 7208 §2.4: the null sender is checked as postmaster at the HELO name.
        domain = helo_domain(helo)
        if domain is None:
            return SpfOutcome(
                "mfrom",
                ip,
                None,
                f"postmaster@{helo}",
                helo,
                "none",
                f"null sender and HELO {helo!r} is not a domain name: no identity to check (RFC 7208 §2.4)",
            )
        return await _check_host("mfrom", ip, f"postmaster@{domain}", domain, helo)
    address = mail_from.strip().strip("<>")
    domain = sender_domain(address)
    if domain is None:
        return SpfOutcome(
            "mfrom",
            ip,
            None,
            address,
            helo,
            "none",
            f"MAIL FROM {address!r} has no valid domain: check_host() gives none (RFC 7208 §4.3)",
        )
    local = address.rpartition("@")[0] or "postmaster"  # §4.3: no local-part is postmaster
    return await _check_host("mfrom", ip, f"{local}@{domain}", domain, helo)


async def evaluate_helo(ip: str, helo: str) -> SpfOutcome:
    domain = helo_domain(helo)
    if domain is None:
        kind = (
            "an address literal" if helo.strip().startswith("[") or _is_ip(helo.strip()) else "not a fully qualified domain name"
        )
        return SpfOutcome(
            "helo", ip, None, helo, helo, "none", f"HELO {helo!r} is {kind}: check_host() gives none (RFC 7208 §2.3)"
        )
    return await _check_host("helo", ip, f"postmaster@{domain}", domain, helo)


async def _check_host(identity: Identity, ip: str, sender: str, domain: str, helo: str) -> SpfOutcome:
    # pyspf's DNS goes through the run's resolver (mailcheck.dns.library); to_thread
    # copies the context that routes it there.
    return await asyncio.to_thread(_pyspf, identity, ip, sender, domain, helo)


def _pyspf(identity: Identity, ip: str, sender: str, domain: str, helo: str) -> SpfOutcome:
    from mailcheck.dns.library import pyspf

    spf = pyspf()

    try:
        query = spf.query(i=ip, s=sender, h=helo)
        result, _code, explanation = query.check()
    except (spf.TempError, TimeoutError) as exc:
        return SpfOutcome(identity, ip, domain, sender, helo, "temperror", str(exc))
    except (spf.PermError, ValueError) as exc:
        return SpfOutcome(identity, ip, domain, sender, helo, "permerror", str(exc))
    word: SpfResult = result if result in _STATUS else "permerror"
    # exp= explanations come from the sender's DNS.
    return SpfOutcome(identity, ip, domain, sender, helo, word, printable(explanation or ""), query.mechanism)


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text.strip("[]").removeprefix("IPv6:").removeprefix("ipv6:"))
    except ValueError:
        return False
    return True


# -- the message's checks ---------------------------------------------------------


def unknown_ip(identity: Identity, why: str) -> Check:
    details = {"result": None}
    if identity == "mfrom":
        return MFROM.skip("(no IP)", f"not evaluated: {why}", details=details)
    return HELO.skip("(no IP)", f"not evaluated: {why}", details=details)


def mfrom_check(outcome: SpfOutcome, facts_note: str) -> Check:
    status = _STATUS[outcome.result]
    summary, subject, details = _described(outcome, facts_note)
    return MFROM.result(status, subject, summary, details=details, fix=spf_fix(outcome) if status.severity else None)


def helo_check(outcome: SpfOutcome, facts_note: str) -> Check:
    # A HELO without SPF is common and harmless; only a HELO that fails asks for work.
    status = {"pass": Status.PASS, "none": Status.INFO, "temperror": Status.ERROR}.get(outcome.result, Status.WARN)
    summary, subject, details = _described(outcome, facts_note)
    return HELO.result(status, subject, summary, details=details, fix=spf_fix(outcome) if status.severity else None)


def _described(outcome: SpfOutcome, facts_note: str) -> tuple[str, str, dict[str, str | None]]:
    matched = f", matched {outcome.mechanism}" if outcome.mechanism else ""
    explanation = f": {outcome.explanation}" if outcome.explanation else ""
    who = outcome.sender if outcome.identity == "mfrom" else outcome.helo
    summary = f"spf={outcome.result} for {outcome.ip} as {who}{matched}{explanation}{facts_note}"
    details = {
        "result": outcome.result,
        "explanation": outcome.explanation,
        "mechanism": outcome.mechanism,
        "ip": outcome.ip,
        "domain": outcome.domain,
        "sender": outcome.sender,
        "helo": outcome.helo,
    }
    return summary, who, details


def spf_fix(outcome: SpfOutcome) -> str | None:
    domain = outcome.domain or outcome.helo
    term = f"ip6:{outcome.ip}" if ":" in outcome.ip else f"ip4:{outcome.ip}"
    if outcome.result in ("fail", "softfail", "neutral"):
        return f"If {outcome.ip} sends for {domain}, add {term} (or its provider's include:) to the SPF record of {domain}."
    if outcome.result == "none":
        if outcome.domain is None:
            return "Send a fully qualified HELO name and a MAIL FROM address with a real domain."
        return f"Publish an SPF record at {domain} listing {outcome.ip}."
    if outcome.result == "permerror":
        return f"Fix the SPF record of {domain}: run mailcheck domain {domain} for its errors."
    return None
