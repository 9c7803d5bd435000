"""smtp.helo: is the name the probe says HELO with a real public name?

Receivers compare the HELO name with DNS; a made-up one (or somebody else's, such as
``gmail.com``) is a classic spam trait and gets the prober's IP listed (reference.md,
"Known failures of existing verifiers").
"""

from __future__ import annotations

import ipaddress
import socket

from mailcheck.dns.errors import DnsUnavailable, NoRecords, NoSuchDomain
from mailcheck.dns.resolver import Resolver
from mailcheck.model import Check, Status

# Names that never exist in public DNS (RFC 6761, RFC 6762, RFC 8375) or are only
# used inside networks; ".example" and ".test" are left out on purpose so that the
# fixture world of the tests and demos can use a resolvable name.
PRIVATE_SUFFIXES = ("localhost", "local", "localdomain", "lan", "home", "home.arpa", "internal", "intranet", "corp", "private", "invalid")
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
        return Check("smtp.helo", Status.WARN, helo, f"HELO name {helo} {reason}; fake HELO names get the prober's IP listed", fix=fix, refs=REFS)

    if name.startswith("[") and name.endswith("]"):
        return Check("smtp.helo", Status.INFO, helo, f"HELO with the address literal {helo}; some receivers refuse literals", refs=REFS)
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
        return Check("smtp.helo", Status.INFO, helo, f"could not check HELO name {helo} in DNS: {exc.reason}")
    return Check(
        "smtp.helo",
        Status.PASS,
        helo,
        f"HELO name {helo} resolves to {', '.join(addresses)}",
        details={"addresses": addresses},
        refs=REFS,
    )
