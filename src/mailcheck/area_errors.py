"""The checks that stand in for an area's own when it could not run to the end.

Every command isolates its areas the same way: a lookup the area needed that could not
be answered becomes ``<area>.lookup``, an unexpected exception ``<area>.crash``. Both
are ``error`` (no verdict), and the other areas still report.
"""

from __future__ import annotations

from mailcheck.dns.errors import DnsUnavailable
from mailcheck.model import Check, Status


def lookup_failed(area: str, subject: str, exc: DnsUnavailable) -> Check:
    return Check(
        id=f"{area}.lookup",
        status=Status.ERROR,
        subject=subject,
        summary=f"could not look up {exc.name} {exc.rdtype}: {exc.reason}",
        details={"name": exc.name, "type": exc.rdtype, "reason": exc.reason},
    )


def crashed(area: str, subject: str, exc: BaseException) -> Check:
    return Check(
        id=f"{area}.crash",
        status=Status.ERROR,
        subject=subject,
        summary=f"the {area} checks crashed: {type(exc).__name__}: {exc}",
        details={"exception": type(exc).__name__, "message": str(exc)},
    )
