"""The checks that stand in for an area's own when it could not run to the end.

Every command isolates its areas the same way: a lookup the area needed that could not
be answered becomes ``<area>.lookup``, an unexpected exception ``<area>.crash``. Both
are ``error`` (no verdict), and the other areas still report.
"""

from __future__ import annotations

from mailcheck.catalogue.spec import CheckSpec, Example
from mailcheck.dns.errors import DnsUnavailable
from mailcheck.model import Check

LOOKUP = CheckSpec(
    id="*.lookup",
    title="A lookup the area needs could not be answered",
    verifies=(
        "Reported instead of an area's checks (spf.lookup, dkim.lookup, ...) when a DNS query "
        "they depend on timed out, was refused or came back SERVFAIL."
    ),
    why=(
        "mailcheck cannot give a verdict on what it could not see, so it says error rather than "
        "guessing. Receivers that hit the same failure usually defer the mail (a temporary "
        "error), so a lookup that fails here may be failing for them too."
    ),
    example=Example(
        bad="example.com. TXT ?   (SERVFAIL: the zone's DNSSEC signatures expired)",
        good='example.com. TXT "v=spf1 mx -all"   (answered, signatures valid)',
        why="Fix the name server or the signatures, then run the check again; --timeout gives slow servers longer.",
    ),
    refs=("RFC 1035 §4.1.1", "RFC 8914"),
)

CRASH = CheckSpec(
    id="*.crash",
    title="An area's checks crashed",
    verifies=(
        "Reported instead of an area's checks (spf.crash, smtp.crash, ...) when the code "
        "checking it raised an unexpected exception. The other areas still run."
    ),
    why="It is a bug in mailcheck, not a finding about the domain: the area has no verdict.",
    example=Example(
        bad="spf.crash  error  the spf checks crashed: ValueError: ...",
        good="spf.record  pass  ...",
        why="Report it with the domain and the message; the other areas' results stand.",
    ),
    refs=("https://github.com/mailcheck/mailcheck/issues",),
)


def lookup_failed(area: str, subject: str, exc: DnsUnavailable) -> Check:
    # No refs: the failure is the network's or the name server's, not a rule broken.
    return LOOKUP.member(area).error(
        subject,
        f"could not look up {exc.name} {exc.rdtype}: {exc.reason}",
        details={"name": exc.name, "type": exc.rdtype, "reason": exc.reason},
        refs=(),
    )


def crashed(area: str, subject: str, exc: BaseException) -> Check:
    return CRASH.member(area).error(
        subject,
        f"the {area} checks crashed: {type(exc).__name__}: {exc}",
        details={"exception": type(exc).__name__, "message": str(exc)},
        refs=(),
    )
