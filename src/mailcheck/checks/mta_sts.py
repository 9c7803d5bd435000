"""mta-sts.*: the domain's MTA-STS record and policy (RFC 8461), tied to its real MX
hosts and to the certificates those hosts present.

checkdmarc parses the record and the policy well, so we use its parsers; but its own
fetch resolves through the OS and follows none of our options, so DNS and HTTPS are
ours (mailcheck.transport.https).
"""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mailcheck.catalogue.spec import CheckSpec, Example
from mailcheck.checks.context import DomainContext
from mailcheck.checks.mx_sessions import MxUnknown, NotProbed, Probed, StartTlsResults
from mailcheck.dns.errors import DnsUnavailable, NoRecords, NoSuchDomain
from mailcheck.model import Check, Status
from mailcheck.mxhosts import MxHosts, MxLookupFailed, NoDomain, mx_route

if TYPE_CHECKING:  # the SMTP session code loads when a run talks SMTP (not with --no-smtp)
    from mailcheck.smtp.starttls_probe import MxProbe

MTA_STS_RECORD = CheckSpec(
    id="mta-sts.record",
    title="The _mta-sts TXT record",
    verifies=(
        "Looks up TXT at _mta-sts.DOMAIN and keeps the records that start with v=STSv1. "
        "Exactly one that parses (v=STSv1 and an id of 1-32 letters or digits) passes, or "
        "warns when the parser notes a problem; two or more, or an invalid one, fail. None "
        "is info and the other mta-sts checks are not run; a lookup that fails is an error."
    ),
    why=(
        "Senders discover MTA-STS through this record, and its id tells them when to fetch "
        "the policy again. Without it they use opportunistic TLS, which an attacker on the "
        "path can strip."
    ),
    example=Example(
        bad='_mta-sts.example.com. TXT "v=STSv1; id=2026-01-15"',
        good='_mta-sts.example.com. TXT "v=STSv1; id=20260115"',
        why="The id may contain only letters and digits, so the hyphens are gone.",
    ),
    refs=("RFC 8461 §3.1",),
)

MTA_STS_POLICY = CheckSpec(
    id="mta-sts.policy",
    title="The MTA-STS policy file is served and valid",
    verifies=(
        "Fetches https://mta-sts.DOMAIN/.well-known/mta-sts.txt (through mailcheck's own "
        "resolver) and fails on an invalid certificate, a failed fetch, a redirect or any "
        "status but 200, a Content-Type other than text/plain, a body over 64 KiB, or a "
        "policy that does not parse (version, mode, mx, max_age). A valid policy passes, or "
        "warns on the parser's warnings or a max_age under one day in enforce mode."
    ),
    why=(
        "Senders use only a policy fetched exactly this way: with any of these faults they "
        "ignore it, and the domain has no MTA-STS protection although it published the "
        "record."
    ),
    example=Example(
        bad=(
            "GET https://mta-sts.example.com/.well-known/mta-sts.txt\n"
            "HTTP/1.1 301 Moved Permanently\n"
            "Location: https://www.example.com/mta-sts.txt"
        ),
        good=("HTTP/1.1 200 OK\nContent-Type: text/plain\n\nversion: STSv1\nmode: enforce\nmx: mx.example.com\nmax_age: 604800"),
        why="The policy is served at the well-known URL itself, as text/plain with status 200.",
    ),
    refs=("RFC 8461 §3.2", "RFC 8461 §3.3"),
)

MODE = CheckSpec(
    id="mta-sts.mode",
    title="The MTA-STS policy mode",
    verifies=(
        "Reports the mode of a valid policy: enforce passes, testing is info (senders "
        "report TLS failures but still deliver without valid TLS), and none warns (the "
        "policy is withdrawn)."
    ),
    why=(
        "Only enforce mode stops senders from delivering over a downgraded or intercepted "
        "connection; testing is the step before it, and none protects nothing."
    ),
    example=Example(
        bad="version: STSv1\nmode: none\nmx: mx.example.com\nmax_age: 86400",
        good="version: STSv1\nmode: enforce\nmx: mx.example.com\nmax_age: 604800",
        why=(
            "The policy is enforced (after a period in testing with clean TLS-RPT reports), "
            "and a new id in the _mta-sts record makes senders fetch it again."
        ),
    ),
    refs=("RFC 8461 §3.2", "RFC 8461 §8.3"),
)

MTA_STS_MX = CheckSpec(
    id="mta-sts.mx",
    title="Every MX host is covered by the policy",
    verifies=(
        "Matches each MX host name of the domain against the policy's mx patterns (a "
        "leading *. stands for exactly one label). A covered host passes; an uncovered one "
        "fails in enforce mode, warns in testing mode and is info in mode none. An MX "
        "lookup that fails is an error."
    ),
    why=(
        "A sender enforcing MTA-STS will not deliver to an MX host the policy does not "
        "list, so an MX added without updating the policy loses mail."
    ),
    example=Example(
        bad=("example.com. MX 10 mx1.example.com.\nexample.com. MX 20 backup.mail-host.example.\n(policy: mx: mx1.example.com)"),
        good="(policy: mx: mx1.example.com\n         mx: backup.mail-host.example)",
        why=("The policy lists every MX host, and a new id in the _mta-sts record makes senders fetch it again."),
    ),
    refs=("RFC 8461 §4.1",),
)

MTA_STS_CERTIFICATE = CheckSpec(
    id="mta-sts.certificate",
    title="MX certificates satisfy the MTA-STS policy",
    verifies=(
        "In enforce and testing mode, every MX address must offer STARTTLS and present a "
        "certificate that chains to a trusted root and names the MX host: pass when it "
        "does; otherwise fail in enforce mode and warn in testing mode. An MX address that "
        "cannot be reached, an MX with no address, or --no-smtp is a skip; a failed lookup "
        "of an MX's addresses (or of the MX records the sessions need) is an error naming "
        "that lookup, as is a session that breaks off before STARTTLS."
    ),
    why=(
        "Under an enforced policy this is the test senders apply to every delivery: an "
        "expired, self-signed or wrongly named certificate means they do not deliver to "
        "that MX at all."
    ),
    example=Example(
        bad="mx.example.com [192.0.2.10]: certificate names only mail.hosting.example",
        good="mx.example.com [192.0.2.10]: certificate names mx.example.com, issued by a public CA",
        why="The MX presents a publicly trusted certificate for the name the policy lists.",
    ),
    refs=("RFC 8461 §4.2",),
)

POLICY_PATH = "/.well-known/mta-sts.txt"
# RFC 8461 §3.3: senders may refuse policies larger than 64 KiB.
MAX_POLICY_BYTES = 64 * 1024
RFC_RECORD = "RFC 8461 §3.1"
RFC_POLICY = "RFC 8461 §3.2"
RFC_FETCH = "RFC 8461 §3.3"
RFC_MX = "RFC 8461 §4.1"
RFC_CERT = "RFC 8461 §4.2"


@dataclass(frozen=True)
class Policy:
    mode: str
    max_age: int
    mx: tuple[str, ...]


async def check_mta_sts(context: DomainContext, sessions: Awaitable[StartTlsResults]) -> list[Check]:
    """``sessions``: the STARTTLS results of the MX hosts, still running while the
    record and policy are fetched."""
    domain = context.domain.ascii
    record_check, found = await _record(context, domain)
    checks = [record_check]
    if not found:
        return checks
    policy_checks, policy = await _policy(context, domain)
    checks.extend(policy_checks)
    if policy is None:
        return checks
    checks.append(_mode(domain, policy))
    route = await mx_route(context.resolver, domain)
    if isinstance(route, NoDomain | MxLookupFailed):
        checks.append(MTA_STS_MX.error(domain, f"could not read the MX records of {domain}: {route.error.reason}"))
        return checks
    hosts = route.hosts if isinstance(route, MxHosts) else ()
    checks.extend(_coverage(domain, policy, host) for host in hosts)
    if policy.mode != "none" and hosts:
        checks.extend(await _certificates(context, policy, hosts, await sessions))
    return checks


# -- the _mta-sts TXT record ------------------------------------------------------


async def _record(context: DomainContext, domain: str) -> tuple[Check, bool]:
    name = f"_mta-sts.{domain}"
    try:
        texts = await context.resolver.txt(name)
    except (NoSuchDomain, NoRecords):
        texts = []
    except DnsUnavailable as exc:
        return MTA_STS_RECORD.error(domain, f"could not look up {name} TXT: {exc.reason}"), False
    # RFC 8461 §3.1: TXT records at the name that do not start with v=STSv1 are ignored.
    records = [t for t in texts if t.startswith("v=STSv1")]
    if not records:
        return (
            MTA_STS_RECORD.info(
                domain,
                f"no MTA-STS record at {name}: senders fall back to opportunistic TLS, which an attacker can strip",
                details={"name": name, "txt": texts},
                fix=f'Publish {name} TXT "v=STSv1; id=YYYYMMDD01" and a policy at https://mta-sts.{domain}{POLICY_PATH}.',
                refs=(RFC_RECORD,),
            ),
            False,
        )
    if len(records) > 1:
        return (
            MTA_STS_RECORD.fail(
                domain,
                f"{len(records)} MTA-STS records at {name}; senders ignore them all: " + " | ".join(records),
                details={"name": name, "records": records},
                fix="Keep exactly one v=STSv1 record.",
                refs=(RFC_RECORD,),
            ),
            False,
        )
    from mailcheck import checkdmarc_import

    checkdmarc_import.prepare()
    from checkdmarc.mta_sts import MTASTSError, parse_mta_sts_record

    record = records[0]
    try:
        parsed = parse_mta_sts_record(record)
    except MTASTSError as exc:
        return (
            MTA_STS_RECORD.fail(
                domain,
                f"MTA-STS record at {name} is invalid: {exc} (record: {record})",
                details={"name": name, "record": record},
                fix='Write the record as "v=STSv1; id=ID" where ID is 1-32 letters or digits.',
                refs=(RFC_RECORD,),
            ),
            False,
        )
    warnings = list(parsed["warnings"])
    return (
        MTA_STS_RECORD.result(
            Status.WARN if warnings else Status.PASS,
            domain,
            f"{name}: {record} (policy id {parsed['tags'].get('id')})" + (f"; {warnings[0]}" if warnings else ""),
            details={"name": name, "record": record, "id": parsed["tags"].get("id"), "warnings": warnings},
            refs=(RFC_RECORD,),
        ),
        True,
    )


# -- the policy file ----------------------------------------------------------------


async def _policy(context: DomainContext, domain: str) -> tuple[list[Check], Policy | None]:
    from mailcheck.transport.https import fetch
    from mailcheck.transport.trust import client_context

    url = f"https://mta-sts.{domain}{POLICY_PATH}"
    port = context.options.https_port
    fetched = await fetch(
        context.resolver,
        url,
        ssl_context=client_context(context.options.ca_file),
        timeout=context.timeout,
        limit=MAX_POLICY_BYTES,
        port=None if port == 443 else port,
    )
    where = f"{url} ({fetched.address}:{port})" if fetched.address else url
    details = {"url": url, "address": fetched.address, "port": port, "status": fetched.status}

    def fail(summary: str, fix: str, refs: tuple[str, ...] = (RFC_FETCH,)) -> tuple[list[Check], None]:
        return [MTA_STS_POLICY.fail(domain, summary, details=details, fix=fix, refs=refs)], None

    if fetched.error is not None:
        if fetched.certificate_error:
            return fail(
                f"MTA-STS policy {where}: {fetched.error}; senders must not use a policy fetched without a valid certificate",
                f"Serve mta-sts.{domain} with a certificate from a public CA that names mta-sts.{domain}.",
                (RFC_FETCH, "RFC 8461 §3.3 (HTTPS certificate)"),
            )
        if fetched.no_answer:
            # The domain's own policy host timing out is "could not tell", as every
            # timeout of the domain's servers is (SMTP greeting, EHLO): not a bad policy.
            return [
                MTA_STS_POLICY.error(
                    domain,
                    f"could not fetch the MTA-STS policy {where}: {fetched.error}; could not tell whether it is valid",
                    details=details,
                    fix=f"Make mta-sts.{domain} answer HTTPS promptly: senders that cannot fetch the policy fall back to their cached copy, or to none.",
                    refs=(RFC_FETCH,),
                )
            ], None
        return fail(
            f"could not fetch the MTA-STS policy {where}: {fetched.error}",
            f"Serve the policy at {url} over HTTPS.",
        )
    if 300 <= fetched.status < 400:
        return fail(
            f"MTA-STS policy {where} answers HTTP {fetched.status} redirect to {fetched.location}; senders must not follow redirects",
            f"Serve the policy directly at {url}, without a redirect.",
        )
    if fetched.status != 200:
        return fail(
            f"MTA-STS policy {where} answers HTTP {fetched.status}; only 200 is accepted",
            f"Serve the policy at {url} with status 200.",
        )
    media_type = fetched.content_type.split(";", 1)[0].strip().lower()
    if media_type != "text/plain":
        return fail(
            f"MTA-STS policy {where} is served as {fetched.content_type or 'no Content-Type'}, not text/plain",
            "Serve the policy with Content-Type: text/plain.",
        )
    if fetched.oversize:
        return fail(
            f"MTA-STS policy {where} is larger than {MAX_POLICY_BYTES} bytes (64 KiB); senders may refuse it",
            "Keep the policy under 64 KiB: it only needs version, mode, mx and max_age lines.",
        )
    from mailcheck import checkdmarc_import

    checkdmarc_import.prepare()
    from checkdmarc.mta_sts import MTASTSPolicySyntaxError, parse_mta_sts_policy

    text = fetched.body.decode("utf-8", "replace")
    try:
        parsed = parse_mta_sts_policy(text)
    except MTASTSPolicySyntaxError as exc:
        return fail(
            f"MTA-STS policy {where} is invalid: {exc}",
            "Write the policy as lines 'version: STSv1', 'mode: enforce|testing|none', 'mx: HOST' (one per MX pattern), 'max_age: SECONDS' (at most 31557600).",
            (RFC_POLICY,),
        )
    fields = parsed["policy"]
    policy = Policy(mode=str(fields["mode"]), max_age=int(fields["max_age"]), mx=tuple(fields["mx"]))
    warnings = list(parsed["warnings"])
    status = Status.WARN if warnings else Status.PASS
    fix = None
    # RFC 8461 §3.2 recommends weeks or more; a short max_age leaves a window after each expiry.
    if policy.mode == "enforce" and policy.max_age < 86400:
        warnings.append(f"max_age {policy.max_age}s is under a day; RFC 8461 recommends weeks or more")
        status, fix = Status.WARN, "Raise max_age to at least 604800 (one week) once the policy is stable."
    summary = f"MTA-STS policy {where}: mode {policy.mode}, max_age {policy.max_age}, mx {', '.join(policy.mx) or '(none)'}"
    if warnings:
        summary += f"; {warnings[0]}"
    return [
        MTA_STS_POLICY.result(
            status,
            domain,
            summary,
            details={
                **details,
                "mode": policy.mode,
                "max_age": policy.max_age,
                "mx": list(policy.mx),
                "warnings": warnings,
                "text": text,
            },
            fix=fix,
            refs=(RFC_POLICY,),
        )
    ], policy


def _mode(domain: str, policy: Policy) -> Check:
    if policy.mode == "enforce":
        return MODE.ok(
            domain,
            "MTA-STS mode enforce: senders refuse to deliver without valid TLS to a listed MX",
            details={"mode": "enforce"},
        )
    if policy.mode == "testing":
        return MODE.info(
            domain,
            "MTA-STS mode testing: senders report TLS failures (TLS-RPT) but still deliver without TLS",
            details={"mode": "testing"},
            fix="Switch to mode: enforce once TLS-RPT reports show no failures.",
            refs=(RFC_POLICY,),
        )
    return MODE.warn(
        domain,
        "MTA-STS mode none: the policy is withdrawn and protects nothing",
        details={"mode": "none"},
        fix="Use mode: testing, then enforce; or remove the _mta-sts record once caches have expired.",
        refs=(RFC_POLICY, "RFC 8461 §8.3"),
    )


# -- tying the policy to the real MX hosts --------------------------------------------


def _coverage(domain: str, policy: Policy, host: str) -> Check:
    from mailcheck import checkdmarc_import

    checkdmarc_import.prepare()
    from checkdmarc.mta_sts import mx_in_mta_sts_patterns

    patterns = ", ".join(policy.mx) or "(none)"
    details = {"host": host, "patterns": list(policy.mx), "mode": policy.mode}
    if mx_in_mta_sts_patterns(host, list(policy.mx)):
        return MTA_STS_MX.ok(host, f"MX {host} is covered by the MTA-STS policy's mx patterns ({patterns})", details=details)
    status = {"enforce": Status.FAIL, "testing": Status.WARN}.get(policy.mode, Status.INFO)
    consequence = {
        "enforce": "senders enforcing the policy will not deliver to it",
        "testing": "senders will report failures for it, and refuse it once the mode is enforce",
    }.get(policy.mode, "it does not matter while the mode is none")
    return MTA_STS_MX.result(
        status,
        host,
        f"MX {host} is not covered by the MTA-STS policy's mx patterns ({patterns}): {consequence}",
        details={**details, "covered": False},
        fix=f"Add 'mx: {host}' (or a matching '*.' pattern) to the policy and change the id in _mta-sts.{domain}.",
        refs=(RFC_MX,),
    )


async def _certificates(context: DomainContext, policy: Policy, hosts: Sequence[str], sessions: StartTlsResults) -> list[Check]:
    """RFC 8461 §4.2: under the policy, each MX must offer STARTTLS with a certificate
    that chains to a trusted root and names the MX host."""
    match sessions:
        case NotProbed():
            return [
                MTA_STS_CERTIFICATE.skip(
                    host, f"certificate of {host} not checked against the MTA-STS policy: SMTP checks are off (--no-smtp)"
                )
                for host in hosts
            ]
        case MxUnknown(error):
            # The sessions never started: no certificate was seen, and "no address"
            # would blame the hosts for a lookup that did not answer.
            return [_lookup_failed(host, error) for host in hosts]
        case Probed() as probed:
            checks = []
            for host in hosts:
                probes = probed.of_host(host)
                if not probes:
                    checks.append(await _no_address(context, host))
                checks.extend(_certificate(policy, probe) for probe in probes)
            return checks


async def _no_address(context: DomainContext, host: str) -> Check:
    """A host that got no session: it has no address, or its address lookup failed
    (the probes drop such a host; the run's cache still holds why)."""
    try:
        await context.resolver.addresses(host)
    except DnsUnavailable as exc:
        return _lookup_failed(host, exc)
    except (NoSuchDomain, NoRecords):
        pass
    return MTA_STS_CERTIFICATE.skip(host, f"certificate of {host} not checked against the MTA-STS policy: {host} has no address")


def _lookup_failed(host: str, exc: DnsUnavailable) -> Check:
    return MTA_STS_CERTIFICATE.error(
        host,
        f"certificate of {host} not checked against the MTA-STS policy: could not look up {exc.name} {exc.rdtype}: {exc.reason}",
        details={"host": host, "name": exc.name, "type": exc.rdtype, "reason": exc.reason},
    )


def _certificate(policy: Policy, probe: MxProbe) -> Check:
    enforce = policy.mode == "enforce"
    consequence = "senders enforcing it will not deliver there" if enforce else "senders will report a failure"
    failed = Status.FAIL if enforce else Status.WARN
    host = probe.host
    if not probe.reachable:
        return MTA_STS_CERTIFICATE.skip(
            probe.subject, f"certificate of {probe.label} not checked against the MTA-STS policy: {probe.error}"
        )
    tls = probe.tls
    if tls is None:
        why = "does not offer STARTTLS" if not probe.starttls_offered else f"fails the TLS handshake ({probe.tls_error})"
        if probe.error is not None and not probe.starttls_offered:
            return MTA_STS_CERTIFICATE.error(
                probe.subject, f"could not tell whether {probe.label} satisfies the MTA-STS policy: {probe.error}"
            )
        return MTA_STS_CERTIFICATE.result(
            failed,
            probe.subject,
            f"MX {probe.label} {why}; under MTA-STS mode {policy.mode} {consequence}",
            details={"host": host, "mode": policy.mode},
            fix=f"Enable STARTTLS on {host} with a certificate for {host} from a public CA.",
            refs=(RFC_CERT,),
        )
    problems = []
    if not tls.trusted:
        problems.append(f"its certificate does not validate ({tls.trust_error})")
    if not tls.hostname_match:
        problems.append(f"its certificate does not name {host} (names: {', '.join(tls.sans) or tls.subject})")
    details = {"host": host, "mode": policy.mode, "trusted": tls.trusted, "hostname_match": tls.hostname_match}
    if problems:
        return MTA_STS_CERTIFICATE.result(
            failed,
            probe.subject,
            f"MX {probe.label}: {'; '.join(problems)}; under MTA-STS mode {policy.mode} {consequence}",
            details=details,
            fix=f"Give {host} a certificate for {host} from a public CA, with its full chain.",
            refs=(RFC_CERT,),
        )
    return MTA_STS_CERTIFICATE.ok(
        probe.subject,
        f"MX {probe.label} presents a valid certificate for {host}, as the MTA-STS policy requires",
        details=details,
    )
