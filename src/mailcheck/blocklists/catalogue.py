"""The lists mailcheck knows: what each one lists, where to ask, what its answers mean.

Return codes come from the operators' documentation (see /docs/reputation.md); an
answer that is an error code is never a listing. Lists known to be dead (SORBS shut
down in June 2024) are not here: querying them gives noise, not reputation.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from mailcheck.errors import BadInput

Kind = Literal["ip", "domain"]

LOOPBACK_V4 = ipaddress.ip_network("127.0.0.0/8")
SPAMHAUS_ERRORS = ipaddress.ip_network("127.255.255.0/24")
OWN_RESOLVER_FIX = (
    "Query from your own recursive resolver (not 8.8.8.8, 1.1.1.1 or your ISP's), or use a free Spamhaus DQS key with --dqs-key."
)
REFUSED_FIX = "Query from your own recursive resolver (not a public one), or register for the list's data feed."


@dataclass(frozen=True)
class BlockList:
    """One DNS blocklist and how to read its answers."""

    key: str  # short name for --only/--skip
    name: str
    kind: Kind
    zone: str
    terms: str  # usage terms, one line
    # Exact answers and what they mean ("127.0.0.2" -> "SBL: ...").
    codes: Mapping[str, str] = field(default_factory=dict)
    # Lists that answer with a bitmask in the last octet: bit -> meaning.
    bits: Mapping[int, str] = field(default_factory=dict)
    # Answers that mean the query was refused or malformed: never a listing.
    errors: Mapping[str, str] = field(default_factory=dict)
    error_range: ipaddress.IPv4Network | ipaddress.IPv6Network | None = None
    error_fix: str = REFUSED_FIX
    default: bool = True  # queried unless --only names other lists
    ipv6: bool = False  # whether an IP list answers for IPv6 addresses
    # Domain lists that list registered domains only (not host names under them).
    registered_domain: bool = False
    test_point: str | None = None  # None: RFC 5782's 127.0.0.2 or TEST
    delisting: str | None = None
    # How the zone is shown when it holds a secret (a DQS key); None shows the zone.
    shown_zone: str | None = None
    secret: str | None = None

    @property
    def label(self) -> str:
        return self.shown_zone or self.zone

    def shown_query(self, name: str) -> str:
        """A query name with any DQS key masked, so the key never reaches a report."""
        return name.replace(self.secret, "<key>") if self.secret else name

    @property
    def positive_test(self) -> str:
        return self.test_point or ("127.0.0.2" if self.kind == "ip" else "test")

    @property
    def negative_test(self) -> str:
        return "127.0.0.1" if self.kind == "ip" else "invalid"

    def meaning(self, code: str) -> str:
        """What a listing answer means on this list."""
        if code in self.codes:
            return self.codes[code]
        if self.bits:
            last = int(code.rsplit(".", 1)[1])
            found = [text for bit, text in sorted(self.bits.items()) if last & bit]
            if found:
                return "; ".join(found)
        return "listed"

    def error_reason(self, code: str) -> str | None:
        """Why an answer is an error rather than a listing, or None for a listing."""
        if code in self.errors:
            return self.errors[code]
        if self.error_range is not None and ipaddress.ip_address(code) in self.error_range:
            return f"{code} is an error code of {self.name}, not a listing"
        if ipaddress.ip_address(code) not in LOOPBACK_V4:
            return f"{code} is outside 127.0.0.0/8 (a resolver rewriting NXDOMAIN, or a zone that is no blocklist)"
        return None


_SPAMHAUS_ERRORS = {
    "127.255.255.252": "typo in the DNSBL zone name (Spamhaus answered 127.255.255.252)",
    "127.255.255.254": "Spamhaus refused the query: it came through a public/open resolver (127.255.255.254)",
    "127.255.255.255": "Spamhaus refused the query: too many queries, over the free-use limit (127.255.255.255)",
}
_SPAMHAUS_TERMS = (
    "Free for low-volume, non-commercial use through your own resolver; commercial or high-volume use needs a (free) DQS key."
)

ZEN = BlockList(
    key="zen",
    name="Spamhaus ZEN",
    kind="ip",
    zone="zen.spamhaus.org",
    terms=_SPAMHAUS_TERMS,
    codes={
        "127.0.0.2": "SBL: a known spam source or spam operation (Spamhaus Block List)",
        "127.0.0.3": "CSS: a low-reputation sender, e.g. snowshoe spam (Spamhaus CSS)",
        "127.0.0.4": "XBL: an exploited host, e.g. a botnet or open proxy (Exploits Block List)",
        "127.0.0.5": "XBL: an exploited host (Exploits Block List)",
        "127.0.0.6": "XBL: an exploited host (Exploits Block List)",
        "127.0.0.7": "XBL: an exploited host (Exploits Block List)",
        "127.0.0.9": "DROP: a hijacked or spammer-run network (Don't Route Or Peer)",
        "127.0.0.10": "PBL: an end-user range whose ISP says it must not send mail directly",
        "127.0.0.11": "PBL: an end-user range that should not send mail directly (Spamhaus-maintained)",
    },
    errors=_SPAMHAUS_ERRORS,
    error_range=SPAMHAUS_ERRORS,
    error_fix=OWN_RESOLVER_FIX,
    ipv6=True,
    delisting="https://check.spamhaus.org/",
)

DBL = BlockList(
    key="dbl",
    name="Spamhaus DBL",
    kind="domain",
    zone="dbl.spamhaus.org",
    terms=_SPAMHAUS_TERMS,
    codes={
        "127.0.1.2": "spam domain",
        "127.0.1.4": "phishing domain",
        "127.0.1.5": "malware domain",
        "127.0.1.6": "botnet command-and-control domain",
        "127.0.1.102": "abused legitimate domain, used for spam",
        "127.0.1.103": "abused legitimate spammed redirector or URL shortener",
        "127.0.1.104": "abused legitimate domain, used for phishing",
        "127.0.1.105": "abused legitimate domain, used for malware",
        "127.0.1.106": "abused legitimate domain, used for botnet command-and-control",
    },
    errors={**_SPAMHAUS_ERRORS, "127.0.1.255": "an IP address was queried on DBL, which lists domains only (127.0.1.255)"},
    error_range=SPAMHAUS_ERRORS,
    error_fix=OWN_RESOLVER_FIX,
    test_point="dbltest.com",
    delisting="https://check.spamhaus.org/",
)

SPAMCOP = BlockList(
    key="spamcop",
    name="SpamCop",
    kind="ip",
    zone="bl.spamcop.net",
    terms="Free; listings expire by themselves about 24 hours after the reports stop.",
    codes={"127.0.0.2": "reported as a spam source by SpamCop users"},
    delisting="https://www.spamcop.net/bl.shtml",
)

URIBL = BlockList(
    key="uribl",
    name="URIBL",
    kind="domain",
    zone="multi.uribl.com",
    terms="Free for low volume through your own resolver; public resolvers and heavy users are refused.",
    bits={
        2: "black: domain seen in spam, high confidence",
        4: "grey: domain of bulk senders, may be solicited mail",
        8: "red: domain seen in spam from newly registered or compromised accounts",
    },
    errors={"127.0.0.1": "URIBL refused the query (127.0.0.1): public resolver or over the free-use limit"},
    registered_domain=True,
    test_point="test.uribl.com",
    delisting="https://admin.uribl.com/",
)

SURBL = BlockList(
    key="surbl",
    name="SURBL",
    kind="domain",
    zone="multi.surbl.org",
    terms="Free for low volume through your own resolver; public resolvers and heavy users are refused.",
    bits={
        8: "PH: phishing site",
        16: "MW: malware site",
        64: "ABUSE: spam and other abuse",
        128: "CR: cracked (compromised) site",
    },
    errors={"127.0.0.1": "SURBL refused the query (127.0.0.1): public resolver or over the free-use limit"},
    registered_domain=True,
    test_point="test.surbl.org",
    delisting="https://www.surbl.org/surbl-analysis",
)

BARRACUDA = BlockList(
    key="barracuda",
    name="Barracuda BRBL",
    kind="ip",
    zone="b.barracudacentral.org",
    terms="Free, but only for resolvers whose IP is registered at barracudacentral.org; ask for it with --only barracuda.",
    codes={"127.0.0.2": "listed on the Barracuda Reputation Block List (poor sending reputation)"},
    default=False,
    delisting="https://www.barracudacentral.org/rbl/removal-request",
)

CATALOGUE: tuple[BlockList, ...] = (ZEN, SPAMCOP, BARRACUDA, DBL, URIBL, SURBL)


def custom_list(spec: str) -> BlockList:
    """A list from ``--list ip:ZONE`` or ``--list domain:ZONE``."""
    from mailcheck.names import parse_domain

    kind, sep, zone = spec.partition(":")
    kind = kind.strip().lower()
    if not sep or kind not in ("ip", "domain"):
        raise BadInput(f"--list {spec!r}: write ip:ZONE or domain:ZONE")
    try:
        name = parse_domain(zone.strip()).ascii
    except BadInput as exc:
        raise BadInput(f"--list {spec!r}: {exc}") from None
    return BlockList(
        key=name,
        name=name,
        kind=kind,  # type: ignore[arg-type]
        zone=name,
        terms="a list you named with --list; its terms are its operator's",
    )


def with_dqs_key(blocklist: BlockList, key: str) -> BlockList:
    """The Spamhaus list asked through Data Query Service: KEY.zen.dq.spamhaus.net."""
    short = blocklist.zone.split(".", 1)[0]
    return dataclasses.replace(
        blocklist,
        zone=f"{key}.{short}.dq.spamhaus.net",
        shown_zone=f"{short}.dq.spamhaus.net",
        secret=key,
        name=f"{blocklist.name} (DQS)",
        terms="Spamhaus Data Query Service, under your key's terms.",
        error_fix="Check that your DQS key is valid and its subscription active.",
    )


def select_lists(
    only: Sequence[str] = (),
    skip: Sequence[str] = (),
    custom: Sequence[str] = (),
    dqs_key: str | None = None,
) -> tuple[BlockList, ...]:
    """The lists of a run: the catalogue's defaults (or --only), minus --skip, plus --list."""
    known = {b.key: b for b in CATALOGUE}
    for key in (*only, *skip):
        if key.lower() not in known:
            raise BadInput(f"unknown list {key!r}; known lists: {', '.join(known)}")
    wanted = {k.lower() for k in only}
    unwanted = {k.lower() for k in skip}
    chosen = [b for b in CATALOGUE if (b.key in wanted if wanted else b.default) and b.key not in unwanted]
    if dqs_key is not None:
        if not (dqs_key.isascii() and dqs_key.isalnum()):
            raise BadInput("--dqs-key must be the letters and digits of your Spamhaus DQS key")
        chosen = [with_dqs_key(b, dqs_key.lower()) if b.key in ("zen", "dbl") else b for b in chosen]
    chosen.extend(custom_list(spec) for spec in custom)
    if not chosen:
        raise BadInput("no list left to query: --only/--skip removed them all and no --list was given")
    return tuple(dict((b.zone, b) for b in chosen).values())
