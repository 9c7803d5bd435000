"""smtp.* and tls.*: STARTTLS on every MX address, and the checks that need its
certificates (mta-sts.certificate, dane.*), run as one area.

Each MX address gets one short session: banner, EHLO, STARTTLS, QUIT; never MAIL FROM.
It runs by default (a domain report without transport security would miss the most
common TLS failures), with at most 3 s to connect and the run's ``--timeout`` for each
later step; ``--no-smtp`` turns it off (the checks then say they were skipped).

Transport never passes without STARTTLS checked. Every MX address refusing the
connection means the domain cannot receive mail (fail). A connection that times out
anywhere, when none was accepted, may be our own network blocking outbound port 25,
so that is "could not tell" (error), as is every timeout of the domain's own servers
once they accepted the connection: no greeting, no reply to EHLO, a STARTTLS that
never completes. A server that accepts and speaks something other than SMTP, or hangs
up, is named as such. One MX that cannot be reached while others answer is a warning.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable, Sequence

from mailcheck.area_errors import crashed, lookup_failed
from mailcheck.checks.context import DomainContext
from mailcheck.checks.mx import is_null_mx, mx_records
from mailcheck.dns.errors import DnsError, DnsUnavailable, NoRecords, NoSuchDomain
from mailcheck.model import Check, Status
from mailcheck.smtp.starttls_probe import MxProbe

EXPIRY_WARNING_DAYS = 14


async def check_transport(context: DomainContext) -> list[Check]:
    """smtp/tls, mta-sts and dane together: the last two read the first's certificates.

    The STARTTLS sessions start at once and run while MTA-STS and TLSA records are
    fetched; each area waits for them only where it needs a certificate.
    """
    from mailcheck.checks import dane, mta_sts

    probing = asyncio.ensure_future(_probe_all(context)) if context.options.smtp else None

    async def probes() -> list[MxProbe] | None:
        return None if probing is None else await probing

    results = await asyncio.gather(
        _guard("smtp", context, _smtp_checks(context, probes)),
        _guard("mta-sts", context, mta_sts.check_mta_sts(context, probes)),
        _guard("dane", context, dane.check_dane(context, probes)),
    )
    return [check for result in results for check in result]


async def _guard(area: str, context: DomainContext, work: Awaitable[list[Check]]) -> list[Check]:
    """One sub-area's failure must not cost the others (as domain_report does per area)."""
    try:
        return await work
    except DnsUnavailable as exc:
        return [lookup_failed(area, context.domain.ascii, exc)]
    except Exception as exc:
        return [crashed(area, context.domain.ascii, exc)]


# -- probing ---------------------------------------------------------------------------


async def mx_addresses(context: DomainContext) -> list[tuple[str, list[str]]] | None:
    """(host, addresses) for every MX host; None when the domain has no usable MX.

    DnsUnavailable when the MX lookup, or every MX host's address lookup, could not be
    answered.
    """
    domain = context.domain.ascii
    try:
        records = await mx_records(context.resolver, domain)
    except NoSuchDomain:
        return None
    if not records or is_null_mx(records):
        return None
    hosts = list(dict.fromkeys(r.host for r in records))

    async def resolve(host: str) -> tuple[str, list[str]] | DnsUnavailable:
        try:
            return host, await context.resolver.addresses(host)
        except DnsUnavailable as exc:
            return exc
        except DnsError:
            return host, []

    resolved = await asyncio.gather(*(resolve(h) for h in hosts))
    found = [pair for pair in resolved if not isinstance(pair, DnsUnavailable)]
    unanswered = [exc for exc in resolved if isinstance(exc, DnsUnavailable)]
    if unanswered and not any(addresses for _, addresses in found):
        # Nothing to connect to because the lookups failed, not because there is no
        # address: that is "could not tell", which mx.host reports per host as well.
        raise unanswered[0]
    return found


async def _probe_all(context: DomainContext) -> list[MxProbe]:
    from mailcheck.smtp.starttls_probe import probe_starttls

    targets = await mx_addresses(context) or []
    options = context.options
    return list(
        await asyncio.gather(
            *(
                probe_starttls(host, address, options.smtp_port, timeout=context.timeout, ca_file=options.ca_file)
                for host, addresses in targets
                for address in addresses
            )
        )
    )


# -- smtp.* and tls.* ---------------------------------------------------------------------


async def _smtp_checks(context: DomainContext, probes: Callable[[], Awaitable[list[MxProbe] | None]]) -> list[Check]:
    domain = context.domain.ascii
    try:
        results = await probes()
    except DnsUnavailable as exc:
        return [
            Check(
                "smtp.starttls",
                Status.ERROR,
                domain,
                f"STARTTLS not checked: could not look up the MX hosts ({exc.name} {exc.rdtype}: {exc.reason})",
            )
        ]
    if results is None:
        return [Check("smtp.starttls", Status.SKIP, domain, "STARTTLS on the MX hosts not checked: --no-smtp")]
    if not results:
        return [Check("smtp.starttls", Status.SKIP, domain, f"STARTTLS not checked: {domain} has no MX host with an address")]
    if all(p.blocked for p in results):
        return [_no_connection(domain, results)]
    sessions = sum(1 for p in results if p.greeted)
    per_probe = await asyncio.gather(
        *(_probe_checks(context, probe, sessions - (1 if probe.greeted else 0)) for probe in results)
    )
    return [check for checks in per_probe for check in checks]


def _no_connection(domain: str, results: Sequence[MxProbe]) -> Check:
    """No MX address accepted a TCP connection: refused everywhere, the domain cannot
    receive mail; a timeout anywhere, and it may be our own network that blocks port
    25, so that is "could not tell", as every timeout of the domain's servers is."""
    port = results[0].port
    seen = [f"{p.label}: {p.error}" for p in results]
    details = {
        "port": port,
        "attempts": [{"host": p.host, "address": p.address, "error": p.error} for p in results],
        "lines": seen,
    }
    hosts = ", ".join(dict.fromkeys(p.host for p in results))
    if all(p.connect_failure == "refused" for p in results):
        return Check(
            "smtp.connect",
            Status.FAIL,
            domain,
            f"no MX address accepts connections on port {port} ({len(results)} tried, each refused): "
            f"{domain} cannot receive mail; STARTTLS was not checked",
            details=details,
            fix=f"Run the mail server on {hosts} listening on port {port}, or point the MX records at hosts that do; "
            f"if it does listen, a firewall between here and it refuses port {port}: check from another network.",
            refs=("RFC 5321 §5.1",),
        )
    return Check(
        "smtp.connect",
        Status.ERROR,
        domain,
        f"no MX address answered on port {port} ({len(results)} tried; {results[0].error}): could not tell whether "
        f"{domain} can receive mail; outbound port {port} may be blocked from this network; STARTTLS was not checked",
        details=details,
        fix=f"Run from a network that allows outbound port {port} (many ISPs and clouds block it), or pass --no-smtp.",
    )


async def _probe_checks(context: DomainContext, probe: MxProbe, other_sessions: int) -> list[Check]:
    where = f"{probe.label}:{probe.port}"
    if not probe.reachable:
        return [_no_session(context.domain.ascii, probe, other_sessions)]
    checks = [
        Check(
            "smtp.connect",
            Status.PASS if probe.banner_code == 220 else Status.WARN,
            probe.subject,
            f"{where} greets: {probe.banner_code} {probe.banner}".rstrip()
            + ("" if probe.banner_code == 220 else "; it refuses the session, so STARTTLS was not checked"),
            details={
                "host": probe.host,
                "address": probe.address,
                "port": probe.port,
                "banner": probe.banner,
                "code": probe.banner_code,
            },
            fix=None if probe.banner_code == 220 else f"{probe.host} should greet with 220.",
            refs=("RFC 5321 §4.3.2",),
        )
    ]
    if probe.banner_code != 220:
        return checks  # the server turned us away; there is no session to look at
    checks.append(await _banner_vs_ptr(context, probe))
    if probe.error is not None and not probe.starttls_offered:
        checks.append(_broken_session(probe, where))
        return checks
    if not probe.starttls_offered:
        checks.append(
            Check(
                "smtp.starttls",
                Status.WARN,
                probe.subject,
                f"{where} does not offer STARTTLS: mail to it travels in clear text",
                fix=f"Enable STARTTLS on {probe.host} with a certificate for {probe.host}.",
                refs=("RFC 3207", "RFC 8461 §4"),
            )
        )
        return checks
    if probe.tls is None and (probe.legacy_version or _obsolete_protocol(probe.tls_error)):
        spoken = probe.legacy_version or "TLS 1.1 or older"
        checks.append(
            Check(
                "tls.version",
                Status.FAIL,
                probe.subject,
                f"{where} offers STARTTLS but speaks only {spoken}, which is obsolete (RFC 8996); "
                "senders requiring TLS 1.2 cannot encrypt to it",
                details={"error": probe.tls_error},
                fix=f"Enable TLS 1.2 and 1.3 on {probe.host} and disable TLS 1.0/1.1.",
                refs=("RFC 8996", "RFC 9325 §3.1.1"),
            )
        )
        return checks
    if probe.tls is None and probe.session_failure == "timeout":
        checks.append(
            Check(
                "smtp.starttls",
                Status.ERROR,
                probe.subject,
                f"{where} offers STARTTLS but stopped answering: {probe.tls_error}; could not tell whether TLS starts",
                details={"error": probe.tls_error},
                fix=f"{probe.host} lets the STARTTLS step time out: check its TLS set-up and load, then run again.",
                refs=("RFC 3207 §4",),
            )
        )
        return checks
    if probe.tls is None:
        checks.append(
            Check(
                "smtp.starttls",
                Status.FAIL,
                probe.subject,
                f"{where} offers STARTTLS but TLS does not start: {probe.tls_error}",
                details={"error": probe.tls_error},
                fix=f"Fix the TLS set-up of {probe.host}: senders that see STARTTLS offered and then fail may not retry in clear text.",
                refs=("RFC 3207 §4",),
            )
        )
        return checks
    tls = probe.tls
    checks.append(
        Check(
            "smtp.starttls",
            Status.PASS,
            probe.subject,
            f"{where} offers STARTTLS; TLS starts ({tls.version}, {tls.cipher})",
            refs=("RFC 3207",),
        )
    )
    checks.append(_version(probe))
    checks.append(_certificate(probe))
    return checks


def _no_session(domain: str, probe: MxProbe, other_sessions: int) -> Check:
    """One MX address that gave no SMTP session, named by what it did."""
    where = f"{probe.label}:{probe.port}"
    details = {
        "host": probe.host,
        "address": probe.address,
        "port": probe.port,
        "error": probe.error,
        "failure": probe.session_failure or probe.connect_failure,
    }
    others = "; other MX addresses answered, so this one seems down" if other_sessions else ""
    if probe.session_failure == "silent":
        return Check(
            "smtp.connect",
            Status.ERROR,
            probe.subject,
            f"{where} accepted the connection but never greeted ({probe.error}): could not tell whether it receives mail",
            details=details,
            fix=f"The mail server behind {probe.host} accepts connections on port {probe.port} and sends no 220 greeting: "
            "check that it runs and is not overloaded (or a tarpit that delays every client).",
            refs=("RFC 5321 §3.1", "RFC 5321 §4.5.3.2.1"),
        )
    if probe.session_failure in ("not-smtp", "hung-up"):
        what = "does not speak SMTP" if probe.session_failure == "not-smtp" else "closed it without greeting"
        alone = "" if other_sessions else f"; no MX address gave an SMTP session, so {domain} cannot receive mail"
        return Check(
            "smtp.connect",
            Status.WARN if other_sessions else Status.FAIL,
            probe.subject,
            f"{where} accepted the connection but {what}: {probe.error}{others}{alone}",
            details=details,
            fix=f"What answers on port {probe.port} of {probe.host} is not a working mail server: run the SMTP service "
            "there, or point the MX at the host that runs it.",
            refs=("RFC 5321 §3.1",),
        )
    return Check(
        "smtp.connect",
        Status.WARN,
        probe.subject,
        f"no SMTP session with {where}: {probe.error}{others}",
        details=details,
        fix=f"Make {probe.host} accept connections on port {probe.port}, or remove the address.",
    )


def _broken_session(probe: MxProbe, where: str) -> Check:
    """The session broke off after the greeting, before STARTTLS could be asked."""
    if probe.session_failure == "timeout":
        return Check(
            "smtp.starttls",
            Status.ERROR,
            probe.subject,
            f"{where} stopped answering before STARTTLS: {probe.error}; could not tell whether it offers TLS",
            fix=f"{probe.host} greets and then lets EHLO time out: check its load and its DNS lookups of clients.",
        )
    if probe.session_failure in ("not-smtp", "hung-up"):
        return Check(
            "smtp.starttls",
            Status.FAIL,
            probe.subject,
            f"SMTP session with {where} broke off before STARTTLS: {probe.error}; senders cannot deliver through it",
            fix=f"Fix the SMTP service of {probe.host}: it greets, then fails EHLO.",
            refs=("RFC 5321 §4.1.1.1",),
        )
    return Check(
        "smtp.starttls",
        Status.WARN,
        probe.subject,
        f"{where} refused EHLO and HELO ({probe.error}), so STARTTLS was not checked",
        fix=f"{probe.host} should answer EHLO with 250 (RFC 5321 §4.1.1.1).",
        refs=("RFC 5321 §4.1.1.1",),
    )


async def _banner_vs_ptr(context: DomainContext, probe: MxProbe) -> Check:
    words = probe.banner.split()
    name = words[0].lower().rstrip(".") if words else ""
    try:
        ptr = await context.resolver.ptr(probe.address)
    except (NoRecords, NoSuchDomain):
        ptr = []
    except DnsUnavailable as exc:
        return Check(
            "smtp.banner",
            Status.INFO,
            probe.subject,
            f"banner names {name or '(nothing)'}; PTR of {probe.address} unknown: {exc.reason}",
        )
    shown = ", ".join(ptr) or "no PTR"
    details = {"banner_host": name, "ptr": ptr}
    if name and name in ptr:
        return Check(
            "smtp.banner",
            Status.INFO,
            probe.subject,
            f"banner host name {name} matches the PTR of {probe.address}",
            details=details,
        )
    return Check(
        "smtp.banner",
        Status.INFO,
        probe.subject,
        f"banner host name {name or '(none)'} differs from the PTR of {probe.address} ({shown}); some receivers score the mismatch",
        details=details,
        refs=("RFC 5321 §4.3.1",),
    )


def _obsolete_protocol(error: str | None) -> bool:
    """OpenSSL's words when the server offers no protocol version we allow (1.2+)."""
    text = (error or "").upper()
    return any(
        mark in text for mark in ("PROTOCOL_VERSION", "UNSUPPORTED_PROTOCOL", "NO PROTOCOLS AVAILABLE", "WRONG_SSL_VERSION")
    )


def _version(probe: MxProbe) -> Check:
    version = probe.tls.version if probe.tls else ""
    if version == "TLSv1.3":
        return Check("tls.version", Status.PASS, probe.subject, f"{probe.label} negotiates {version}")
    if version == "TLSv1.2":
        return Check(
            "tls.version",
            Status.PASS,
            probe.subject,
            f"{probe.label} negotiates {version} (acceptable; TLS 1.3 is better)",
            fix=f"Enable TLS 1.3 on {probe.host}.",
        )
    return Check(
        "tls.version",
        Status.FAIL,
        probe.subject,
        f"{probe.label} negotiates {version}, which is obsolete (RFC 8996) and refused by many senders",
        fix=f"Enable TLS 1.2 and 1.3 on {probe.host} and disable TLS 1.0/1.1.",
        refs=("RFC 8996", "RFC 9325 §3.1.1"),
    )


def _certificate(probe: MxProbe) -> Check:
    tls = probe.tls
    assert tls is not None
    now = dt.datetime.now(dt.timezone.utc)
    not_after = _aware(tls.not_after)
    days_left = (not_after - now).total_seconds() / 86400
    names = ", ".join(tls.sans) or tls.subject
    details = {
        "subject": tls.subject,
        "sans": list(tls.sans),
        "issuer": tls.issuer,
        "not_before": _aware(tls.not_before).isoformat(),
        "not_after": not_after.isoformat(),
        "days_left": int(days_left),
        "trusted": tls.trusted,
        "trust_error": tls.trust_error,
        "hostname_match": tls.hostname_match,
        "lines": [
            f"subject: {tls.subject}",
            f"names:   {names}",
            f"issuer:  {tls.issuer}",
            f"valid:   {_aware(tls.not_before):%Y-%m-%d} to {not_after:%Y-%m-%d}",
            f"chain:   {'validates to a trusted root' if tls.trusted else tls.trust_error}",
        ],
    }
    problems = []
    if days_left < 0:
        problems.append(f"expired on {not_after:%Y-%m-%d}")
    elif not tls.trusted:
        problems.append(f"does not validate: {tls.trust_error}")
    if not tls.hostname_match:
        problems.append(f"does not name {probe.host} (names: {names})")
    if problems:
        return Check(
            "tls.certificate",
            Status.WARN,
            probe.subject,
            f"certificate of {probe.label} {'; '.join(problems)}; senders using MTA-STS or DANE refuse it, others deliver anyway",
            details=details,
            fix=f"Install a certificate for {probe.host} from a public CA (e.g. Let's Encrypt) with its full chain.",
            refs=("RFC 8461 §4.2", "RFC 7672 §3.1"),
        )
    if days_left < EXPIRY_WARNING_DAYS:
        return Check(
            "tls.certificate",
            Status.WARN,
            probe.subject,
            f"certificate of {probe.label} expires in {int(days_left)} days ({not_after:%Y-%m-%d})",
            details=details,
            fix=f"Renew the certificate of {probe.host}, and automate renewal.",
        )
    return Check(
        "tls.certificate",
        Status.PASS,
        probe.subject,
        f"certificate of {probe.label} is valid for {probe.host}, issued by {tls.issuer}, expires {not_after:%Y-%m-%d} ({int(days_left)} days)",
        details=details,
    )


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def by_host(probes: Sequence[MxProbe] | None) -> dict[str, list[MxProbe]]:
    grouped: dict[str, list[MxProbe]] = {}
    for probe in probes or ():
        grouped.setdefault(probe.host, []).append(probe)
    return grouped
