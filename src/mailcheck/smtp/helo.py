"""smtp.helo: is the name the probe says HELO with a real public name?

Receivers compare the HELO name with DNS; a made-up one (or somebody else's, such as
``gmail.com``) is a classic spam trait and gets the prober's IP listed (reference.md,
"Known failures of existing verifiers").
"""

from __future__ import annotations

import ipaddress
import socket

from mailcheck.catalogue.spec import CheckSpec, Example
from mailcheck.dns.errors import DnsUnavailable, NoRecords, NoSuchDomain
from mailcheck.dns.resolver import Resolver
from mailcheck.model import Check

SMTP_HELO = CheckSpec(
    id="smtp.helo",
    title="The probe's HELO name is a real public name",
    verifies=(
        "`mailcheck probe` checks the name it says EHLO with (--helo, else the host's fully "
        "qualified name): pass when it resolves in DNS; warn when it is a bare IP address, "
        "has no dot, is under a private suffix (.local, .lan, .internal, ...), belongs to a "
        "big mailbox provider (gmail.com, outlook.com, ...), or does not resolve. A "
        "bracketed address literal, or a lookup that fails, is info; the check does not test "
        "that the name points back to the prober's own address."
    ),
    why=(
        "Receivers compare the HELO name with DNS, and a made-up or borrowed name is a "
        "common spam trait: it gets the probing address refused or listed, and the probe's "
        "answers then describe the prober rather than the mailbox."
    ),
    example=Example(
        bad="C: EHLO gmail.com",
        good=("C: EHLO probe.example.com\nprobe.example.com. A 192.0.2.25\n25.2.0.192.in-addr.arpa. PTR probe.example.com."),
        why="The probe gives its own name, which resolves to its address and matches its PTR.",
    ),
    refs=("RFC 5321 §4.1.1.1", "RFC 5321 §2.3.5"),
)

# Names that never exist in public DNS (RFC 6761, RFC 6762, RFC 8375) or are only
# used inside networks; ".example" and ".test" are left out on purpose so that the
# fixture world of the tests and demos can use a resolvable name.
PRIVATE_SUFFIXES = (
    "localhost",
    "local",
    "localdomain",
    "lan",
    "home",
    "home.arpa",
    "internal",
    "intranet",
    "corp",
    "private",
    "invalid",
)
# Big mailbox providers' own names: a prober claiming them is lying.
PROVIDER_NAMES = ("gmail.com", "google.com", "outlook.com", "hotmail.com", "yahoo.com", "icloud.com", "aol.com")

REFS = ("RFC 5321 §4.1.1.1", "RFC 5321 §2.3.5")


def default_helo() -> str:
    """The host's own name. gethostname(), not getfqdn(): getfqdn() asks the operating
    system's resolver, and every lookup of a run goes through the run's resolver."""
    return socket.gethostname()


async def check_helo(helo: str, resolver: Resolver) -> Check:
    name = helo.strip().rstrip(".").lower()
    fix = "Pass --helo with this host's public name: the name its reverse DNS (PTR) gives, which resolves back to its IP."

    def warn(reason: str) -> Check:
        return SMTP_HELO.warn(helo, f"HELO name {helo} {reason}; fake HELO names get the prober's IP listed", fix=fix, refs=REFS)

    if name.startswith("[") and name.endswith("]"):
        return SMTP_HELO.info(helo, f"HELO with the address literal {helo}; some receivers refuse literals", refs=REFS)
    try:
        ipaddress.ip_address(name)
        return warn("is a bare IP address (a literal must be in brackets)")
    except ValueError:
        pass
    if "." not in name:
        return warn("is not a fully qualified domain name")
    if any(name == s or name.endswith("." + s) for s in PRIVATE_SUFFIXES):
        return warn("is not a public DNS name")
    for other in PROVIDER_NAMES:
        if name == other or name.endswith("." + other):
            return warn(f"belongs to {other}, not to the prober")
    try:
        addresses = await resolver.addresses(name)
    except (NoSuchDomain, NoRecords):
        return warn("does not resolve in DNS")
    except DnsUnavailable as exc:
        return SMTP_HELO.info(helo, f"could not check HELO name {helo} in DNS: {exc.reason}")
    return SMTP_HELO.ok(helo, f"HELO name {helo} resolves to {', '.join(addresses)}", details={"addresses": addresses}, refs=REFS)
