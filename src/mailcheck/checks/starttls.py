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
from collections.abc import Awaitable, Sequence
from typing import TYPE_CHECKING

from mailcheck.area_errors import crashed, lookup_failed
from mailcheck.catalogue.spec import CheckSpec, Example
from mailcheck.checks import dane, mta_sts
from mailcheck.checks.context import DomainContext
from mailcheck.checks.mx_sessions import MxUnknown, NotProbed, Probed, StartTlsResults, start_sessions
from mailcheck.dns.errors import DnsUnavailable, NoRecords, NoSuchDomain
from mailcheck.model import Check, Status
from mailcheck.smtp import tls_certificate

if TYPE_CHECKING:  # the SMTP session code loads when a run talks SMTP (not with --no-smtp)
    from mailcheck.smtp.starttls_probe import MxProbe

CONNECT = CheckSpec(
    id="smtp.connect",
    title="Each MX address accepts an SMTP session",
    verifies=(
        "`mailcheck domain` connects to port 25 (or --port) of every address of every MX "
        "host and reads the greeting: a 220 greeting passes, any other greeting warns, and "
        "so does an address that cannot be reached while others answer. An address that "
        "accepts the connection and never greets is an error (could not tell); one that "
        "speaks something other than SMTP or hangs up is named so, and fails when no MX "
        "gave a session. When every MX address refuses the connection, one fail says the "
        "domain cannot receive mail; when none accepted it and one timed out, one error says "
        "it could not tell (outbound port 25 is often blocked where mailcheck runs)."
    ),
    why=(
        "Senders queue the mail when no MX accepts a session, and fall back to the other "
        "MX hosts when one is down, which delays mail and moves load onto them. A greeting "
        "other than 220 (such as 554) turns every sender away."
    ),
    example=Example(
        bad="S: 554 5.3.2 mx2.example.com Service unavailable   (192.0.2.20:25)",
        good="S: 220 mx2.example.com ESMTP ready   (192.0.2.20:25)",
        why="The host greets with 220, so senders can go on to EHLO and STARTTLS.",
    ),
    refs=("RFC 5321 §4.3.2",),
)

BANNER = CheckSpec(
    id="smtp.banner",
    title="The MX greeting names the host its PTR names",
    verifies=(
        "Compares the first word of an MX address's 220 greeting with the PTR records of "
        "that address. Always info: it reports a match, a mismatch, a missing PTR, or that "
        "the PTR lookup failed, and never warns or fails."
    ),
    why=(
        "The greeting is how the server introduces itself; a name that agrees with its "
        "reverse DNS makes it easy to identify in senders' logs and bounces. Where the same "
        "host also sends mail, some receivers score a name that disagrees with the PTR."
    ),
    example=Example(
        bad=("10.2.0.192.in-addr.arpa. PTR host-10.hosting.example.\nS: 220 mx.example.com ESMTP"),
        good="10.2.0.192.in-addr.arpa. PTR mx.example.com.\nS: 220 mx.example.com ESMTP",
        why="The address's PTR now names the host the greeting names.",
    ),
    refs=("RFC 5321 §4.3.1",),
)

SMTP_STARTTLS = CheckSpec(
    id="smtp.starttls",
    title="Each MX offers STARTTLS and TLS starts",
    verifies=(
        "`mailcheck domain` sends EHLO to every MX address that greets with 220 and, when "
        "STARTTLS is advertised, starts TLS 1.2 or newer. Pass when TLS starts, warn when "
        "STARTTLS is not advertised, fail when it is advertised but refused or the handshake "
        "fails (a server that speaks only TLS 1.1 or older is reported as tls.version "
        "instead). Error when the session breaks off before STARTTLS, or when the MX lookup or "
        "every MX host's address lookup could not be answered; skip with --no-smtp or when no "
        "MX host has an address."
    ),
    why=(
        "Without STARTTLS, mail to the domain crosses the network in clear text. Advertising "
        "STARTTLS and then failing the handshake is worse: senders that require TLS cannot "
        "deliver, and not all of them retry in plain text."
    ),
    example=Example(
        bad="S: 250-mx.example.com\nS: 250-PIPELINING\nS: 250 8BITMIME   (no STARTTLS)",
        good=("S: 250-mx.example.com\nS: 250-STARTTLS\nS: 250 8BITMIME\nC: STARTTLS\nS: 220 2.0.0 Ready to start TLS"),
        why="The server advertises STARTTLS in its EHLO reply and completes the handshake.",
    ),
    refs=("RFC 3207", "RFC 3207 §4", "RFC 8461 §4"),
)

TLS_VERSION = CheckSpec(
    id="tls.version",
    title="The MX speaks TLS 1.2 or newer",
    verifies=(
        "`mailcheck domain` reads the TLS version each MX address negotiates after "
        "STARTTLS: TLS 1.3 passes, and so does TLS 1.2 (with a hint to enable 1.3). A "
        "server whose handshake fails at 1.2 and that completes one only with TLS 1.1 or "
        "older, tried in a second session, fails."
    ),
    why=(
        "TLS 1.0 and 1.1 are deprecated, and senders that require TLS 1.2 cannot encrypt to "
        "such a server: they send in clear text or, if they insist on TLS, not at all."
    ),
    example=Example(
        bad="C: STARTTLS\nS: 220 2.0.0 Ready to start TLS\n(handshake: the server offers TLSv1.1 at most)",
        good="C: STARTTLS\nS: 220 2.0.0 Ready to start TLS\n(handshake: TLSv1.3, TLS_AES_256_GCM_SHA384)",
        why="The server enables TLS 1.2 and 1.3 and disables 1.0 and 1.1.",
    ),
    refs=("RFC 8996", "RFC 9325 §3.1.1"),
)

# Declared below checks/ because `mailcheck probe` (smtp/findings.py) emits it too; named
# here, after tls.version, so the catalogue lists it where it always stood.
TLS_CERTIFICATE = tls_certificate.TLS_CERTIFICATE

EXPIRY_WARNING_DAYS = 14


async def check_transport(context: DomainContext) -> list[Check]:
    """smtp/tls, mta-sts and dane together: the last two read the first's certificates.

    The STARTTLS sessions start at once and run while MTA-STS and TLSA records are
    fetched; each area waits for them only where it needs a certificate.
    """
    sessions = start_sessions(context)
    results = await asyncio.gather(
        _guard("smtp", context, _smtp_checks(context, sessions)),
        _guard("mta-sts", context, mta_sts.check_mta_sts(context, sessions)),
        _guard("dane", context, dane.check_dane(context, sessions)),
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


# -- smtp.* and tls.* ---------------------------------------------------------------------


async def _smtp_checks(context: DomainContext, sessions: Awaitable[StartTlsResults]) -> list[Check]:
    domain = context.domain.ascii
    match await sessions:
        case MxUnknown(exc):
            return [
                SMTP_STARTTLS.error(
                    domain, f"STARTTLS not checked: could not look up the MX hosts ({exc.name} {exc.rdtype}: {exc.reason})"
                )
            ]
        case NotProbed():
            return [SMTP_STARTTLS.skip(domain, "STARTTLS on the MX hosts not checked: --no-smtp")]
        case Probed(probes):
            return await _probed(context, probes)


async def _probed(context: DomainContext, results: tuple[MxProbe, ...]) -> list[Check]:
    domain = context.domain.ascii
    if not results:
        return [SMTP_STARTTLS.skip(domain, f"STARTTLS not checked: {domain} has no MX host with an address")]
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
    details = {
        "port": port,
        "attempts": [{"host": p.host, "address": p.address, "error": p.error} for p in results],
    }
    hosts = ", ".join(dict.fromkeys(p.host for p in results))
    if all(p.connect_failure == "refused" for p in results):
        return CONNECT.fail(
            domain,
            f"no MX address accepts connections on port {port} ({len(results)} tried, each refused): "
            f"{domain} cannot receive mail; STARTTLS was not checked",
            details=details,
            fix=f"Run the mail server on {hosts} listening on port {port}, or point the MX records at hosts that do; "
            f"if it does listen, a firewall between here and it refuses port {port}: check from another network.",
            refs=("RFC 5321 §5.1",),
        )
    return CONNECT.error(
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
        CONNECT.result(
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
            SMTP_STARTTLS.warn(
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
            TLS_VERSION.fail(
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
            SMTP_STARTTLS.error(
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
            SMTP_STARTTLS.fail(
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
        SMTP_STARTTLS.ok(probe.subject, f"{where} offers STARTTLS; TLS starts ({tls.version}, {tls.cipher})", refs=("RFC 3207",))
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
        return CONNECT.error(
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
        return CONNECT.result(
            Status.WARN if other_sessions else Status.FAIL,
            probe.subject,
            f"{where} accepted the connection but {what}: {probe.error}{others}{alone}",
            details=details,
            fix=f"What answers on port {probe.port} of {probe.host} is not a working mail server: run the SMTP service "
            "there, or point the MX at the host that runs it.",
            refs=("RFC 5321 §3.1",),
        )
    return CONNECT.warn(
        probe.subject,
        f"no SMTP session with {where}: {probe.error}{others}",
        details=details,
        fix=f"Make {probe.host} accept connections on port {probe.port}, or remove the address.",
    )


def _broken_session(probe: MxProbe, where: str) -> Check:
    """The session broke off after the greeting, before STARTTLS could be asked."""
    if probe.session_failure == "timeout":
        return SMTP_STARTTLS.error(
            probe.subject,
            f"{where} stopped answering before STARTTLS: {probe.error}; could not tell whether it offers TLS",
            fix=f"{probe.host} greets and then lets EHLO time out: check its load and its DNS lookups of clients.",
        )
    if probe.session_failure in ("not-smtp", "hung-up"):
        return SMTP_STARTTLS.fail(
            probe.subject,
            f"SMTP session with {where} broke off before STARTTLS: {probe.error}; senders cannot deliver through it",
            fix=f"Fix the SMTP service of {probe.host}: it greets, then fails EHLO.",
            refs=("RFC 5321 §4.1.1.1",),
        )
    return SMTP_STARTTLS.warn(
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
        return BANNER.info(probe.subject, f"banner names {name or '(nothing)'}; PTR of {probe.address} unknown: {exc.reason}")
    shown = ", ".join(ptr) or "no PTR"
    details = {"banner_host": name, "ptr": ptr}
    if name and name in ptr:
        return BANNER.info(probe.subject, f"banner host name {name} matches the PTR of {probe.address}", details=details)
    return BANNER.info(
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
        return TLS_VERSION.ok(probe.subject, f"{probe.label} negotiates {version}")
    if version == "TLSv1.2":
        return TLS_VERSION.ok(
            probe.subject,
            f"{probe.label} negotiates {version} (acceptable; TLS 1.3 is better)",
            fix=f"Enable TLS 1.3 on {probe.host}.",
        )
    return TLS_VERSION.fail(
        probe.subject,
        f"{probe.label} negotiates {version}, which is obsolete (RFC 8996) and refused by many senders",
        fix=f"Enable TLS 1.2 and 1.3 on {probe.host} and disable TLS 1.0/1.1.",
        refs=("RFC 8996", "RFC 9325 §3.1.1"),
    )


def _certificate(probe: MxProbe) -> Check:
    tls = probe.tls
    assert tls is not None
    now = dt.datetime.now(dt.UTC)
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
    }
    problems = []
    if days_left < 0:
        problems.append(f"expired on {not_after:%Y-%m-%d}")
    elif not tls.trusted:
        problems.append(f"does not validate: {tls.trust_error}")
    if not tls.hostname_match:
        # A CN alone names nothing to a client: RFC 6125 §6.4.4 leaves it out once SANs are the rule.
        why = f"names: {names}" if tls.sans else "no subjectAltName; clients ignore the CN"
        problems.append(f"does not name {probe.host} ({why})")
    if problems:
        return TLS_CERTIFICATE.warn(
            probe.subject,
            f"certificate of {probe.label} {'; '.join(problems)}; senders using MTA-STS or DANE refuse it, others deliver anyway",
            details=details,
            fix=f"Install a certificate for {probe.host} from a public CA (e.g. Let's Encrypt) with its full chain.",
            refs=("RFC 8461 §4.2", "RFC 7672 §3.1"),
        )
    if days_left < EXPIRY_WARNING_DAYS:
        return TLS_CERTIFICATE.warn(
            probe.subject,
            f"certificate of {probe.label} expires in {int(days_left)} days ({not_after:%Y-%m-%d})",
            details=details,
            fix=f"Renew the certificate of {probe.host}, and automate renewal.",
        )
    return TLS_CERTIFICATE.ok(
        probe.subject,
        f"certificate of {probe.label} is valid for {probe.host}, issued by {tls.issuer}, expires {not_after:%Y-%m-%d} ({int(days_left)} days)",
        details=details,
    )


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
