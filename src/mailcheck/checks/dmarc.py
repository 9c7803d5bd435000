"""dmarc.*: the domain's DMARC policy, where it comes from, and who receives its reports.

The record is looked for at _dmarc.DOMAIN and, at the same moment, at the
organizational domain's _dmarc (RFC 7489 §6.6.3), which applies when the name has
none of its own. checkdmarc judges the record's syntax (``records/dmarc.py``); the
lookups are ours.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from mailcheck import suffixes
from mailcheck.checks.context import DomainContext
from mailcheck.dns.errors import DnsError, DnsUnavailable, NoSuchDomain
from mailcheck.dns.resolver import Answer, Resolver, settle
from mailcheck.model import Check, Status
from mailcheck.records.dmarc import DMARC_START, NoPolicyError, Policy, RecordError, ReportUri, read_record

REFS_RECORD = ("RFC 7489 §6.1", "RFC 7489 §6.6.3")
REFS_REPORTS = ("RFC 7489 §7.1",)
ENFORCING = ("quarantine", "reject")
ALIGNMENT_MODES = {"r": "relaxed", "s": "strict"}


@dataclass(frozen=True)
class FoundRecord:
    """The DMARC record that applies to the domain, and where it was found."""

    text: str
    policy_domain: str  # the domain whose _dmarc holds it
    inherited: bool  # True when it is the organizational domain's


async def check_dmarc(context: DomainContext) -> list[Check]:
    domain = context.domain.ascii
    own, _ = await asyncio.gather(
        settle(context.resolver.query(f"_dmarc.{domain}", "TXT")),
        suffixes.loaded(),
    )
    org = suffixes.registered_domain(domain)
    found = await _find_record(context.resolver, domain, org, own)
    if isinstance(found, Check):
        return [found]
    try:
        policy, uris = await asyncio.to_thread(read_record, found.text, found.policy_domain)
    except NoPolicyError as exc:
        return [_record_check(domain, found, None), _no_policy_failure(found, str(exc))]
    except RecordError as exc:
        return [_record_check(domain, found, None), _syntax_failure(found, str(exc))]
    checks = [_record_check(domain, found, policy), _syntax_check(found, policy)]
    checks.append(_policy_check(domain, found, policy))
    if policy.pct != 100:
        checks.append(_pct_check(domain, found, policy))
    checks.append(_alignment_check(domain, policy))
    checks.extend(await _report_checks(context.resolver, domain, found, uris))
    return checks


# -- finding the record ------------------------------------------------------------


async def _find_record(
    resolver: Resolver, domain: str, org: str, own: Answer | DnsError
) -> FoundRecord | Check:
    """The record that applies, or the dmarc.record check saying why there is none."""
    # ``own`` is already answered, so the organizational domain is asked only when
    # this name has no record of its own.
    verdict = _records_at(domain, own)
    if verdict is not None:
        return verdict if isinstance(verdict, Check) else FoundRecord(verdict, domain, inherited=False)
    if org == domain:
        return _no_record(domain, [domain], own)
    inherited = _records_at(org, await settle(resolver.query(f"_dmarc.{org}", "TXT")))
    if inherited is None:
        return _no_record(domain, [domain, org], own)
    return inherited if isinstance(inherited, Check) else FoundRecord(inherited, org, inherited=True)


def _records_at(policy_domain: str, outcome: Answer | DnsError) -> str | Check | None:
    """The one DMARC record at _dmarc.policy_domain, a check when it is ambiguous or
    could not be read, None when there is none."""
    name = f"_dmarc.{policy_domain}"
    if isinstance(outcome, DnsUnavailable):
        return Check(
            id="dmarc.record",
            status=Status.ERROR,
            subject=policy_domain,
            summary=f"could not look up {name} TXT: {outcome.reason}",
            details={"name": name, "reason": outcome.reason},
        )
    if isinstance(outcome, DnsError):
        return None
    records = [text for text in outcome.texts() if DMARC_START.match(text)]
    if not records:
        return None
    if len(records) > 1:
        return Check(
            id="dmarc.record",
            status=Status.FAIL,
            subject=policy_domain,
            summary=f"{len(records)} DMARC records at {name}; receivers ignore them all",
            details={"name": name, "records": records, "lines": records},
            fix=f"Keep exactly one TXT record starting with v=DMARC1 at {name}.",
            refs=("RFC 7489 §6.6.3",),
        )
    return records[0]


def _no_record(domain: str, searched: Sequence[str], own: Answer | DnsError) -> Check:
    names = [f"_dmarc.{d}" for d in searched]
    summary = f"no DMARC record at {' nor at '.join(names)}"
    # A record with a typo before its first ';' is discarded by receivers; say so,
    # since the user believes it is published.
    ignored = own.texts() if isinstance(own, Answer) else []
    if ignored:
        summary += f"; {names[0]} holds {ignored[0]!r}, which does not start with 'v=DMARC1;'"
    return Check(
        id="dmarc.record",
        status=Status.FAIL,
        subject=domain,
        summary=summary,
        details={"searched": names, "ignored": ignored, "lines": ignored},
        fix=(
            f'Publish a TXT record at _dmarc.{domain}, starting with '
            f'"v=DMARC1; p=none; rua=mailto:dmarc-reports@{domain}", then tighten p= once reports look clean.'
        ),
        refs=REFS_RECORD,
    )


def _record_check(domain: str, found: FoundRecord, policy: Policy | None) -> Check:
    name = f"_dmarc.{found.policy_domain}"
    details = {"name": name, "record": found.text, "inherited": found.inherited}
    if not found.inherited:
        return Check("dmarc.record", Status.PASS, domain, f"{name}: {found.text}", details=details, refs=REFS_RECORD)
    return Check(
        id="dmarc.record",
        status=Status.INFO,
        subject=domain,
        summary=(
            f"no record at _dmarc.{domain}; the organizational domain's record at {name} applies"
            f"{f' with sp={policy.sp}' if policy else ''}: {found.text}"
        ),
        details=details,
        refs=("RFC 7489 §6.6.3",),
    )


# -- the record's contents ---------------------------------------------------------


def _syntax_failure(found: FoundRecord, reason: str) -> Check:
    name = f"_dmarc.{found.policy_domain}"
    return Check(
        id="dmarc.syntax",
        status=Status.FAIL,
        subject=found.policy_domain,
        summary=f"invalid DMARC record at {name}: {reason}",
        details={"name": name, "record": found.text, "error": reason, "lines": [found.text]},
        fix=f"Correct the record at {name}; the tags and their values are listed in RFC 7489 §6.3.",
        refs=("RFC 7489 §6.3", "RFC 7489 §6.4"),
    )


def _no_policy_failure(found: FoundRecord, reason: str) -> Check:
    name = f"_dmarc.{found.policy_domain}"
    return Check(
        id="dmarc.syntax",
        status=Status.FAIL,
        subject=found.policy_domain,
        summary=f"the record at {name} has {reason}",
        details={"name": name, "record": found.text, "error": reason, "lines": [found.text]},
        fix=(
            f"Put p=none (then quarantine or reject) right after v=DMARC1 at {name}, "
            f"and add rua=mailto:dmarc-reports@{found.policy_domain}."
        ),
        refs=("RFC 7489 §6.3", "RFC 7489 §6.6.3"),
    )


def _syntax_check(found: FoundRecord, policy: Policy) -> Check:
    name = f"_dmarc.{found.policy_domain}"
    if policy.p_problem:
        discarded = f"; it also has tags receivers discard: {'; '.join(policy.notes)}" if policy.notes else ""
        return Check(
            id="dmarc.syntax",
            status=Status.WARN,
            subject=found.policy_domain,
            summary=(
                f"the record at {name} has {policy.p_problem}: receivers act as if p=none, "
                f"since its rua= is valid{discarded}"
            ),
            details={"name": name, "p_problem": policy.p_problem, "notes": list(policy.notes)},
            fix=f"Put p=none, p=quarantine or p=reject right after v=DMARC1 at {name}.",
            refs=("RFC 7489 §6.3", "RFC 7489 §6.6.3"),
        )
    if policy.notes:
        return Check(
            id="dmarc.syntax",
            status=Status.WARN,
            subject=found.policy_domain,
            summary=f"the record at {name} has tags receivers discard: {'; '.join(policy.notes)}",
            details={"name": name, "notes": list(policy.notes)},
            fix=f"Remove or correct those tags at {name}.",
            refs=("RFC 7489 §6.3",),
        )
    return Check("dmarc.syntax", Status.PASS, found.policy_domain, f"the record at {name} is valid", details={"name": name})


def _values(policy: Policy) -> str:
    return f"p={policy.p}, sp={policy.sp}, pct={policy.pct}, adkim={policy.adkim}, aspf={policy.aspf}"


def _effective(found: FoundRecord, policy: Policy) -> tuple[str, str]:
    """The tag whose policy applies to the domain, and its value."""
    return ("sp", policy.sp) if found.inherited else ("p", policy.p)


def _policy_check(domain: str, found: FoundRecord, policy: Policy) -> Check:
    tag, effective = _effective(found, policy)
    where = f" (from _dmarc.{found.policy_domain})" if found.inherited else ""
    details = {"effective": effective, "p": policy.p, "sp": policy.sp, "pct": policy.pct, "inherited": found.inherited}
    if effective in ENFORCING:
        lines = []
        if not found.inherited and policy.sp_explicit and policy.sp not in ENFORCING:
            lines.append(f"sp={policy.sp}: subdomains of {domain} are not protected")
        return Check(
            id="dmarc.policy",
            status=Status.PASS,
            subject=domain,
            summary=f"{tag}={effective} applies to {domain}{where}: {_values(policy)}",
            details={**details, "lines": lines},
            refs=("RFC 7489 §6.3",),
        )
    return Check(
        id="dmarc.policy",
        status=Status.WARN,
        subject=domain,
        summary=(
            f"{tag}={effective} applies to {domain}{where}: receivers only monitor, "
            f"mail failing DMARC is delivered ({_values(policy)})"
        ),
        details=details,
        fix=(
            f"Once the aggregate reports show all your senders aligned, set {tag}=quarantine, "
            f"then {tag}=reject, at _dmarc.{found.policy_domain}."
        ),
        refs=("RFC 7489 §6.3", "RFC 7489 §6.7"),
    )


def _pct_check(domain: str, found: FoundRecord, policy: Policy) -> Check:
    name = f"_dmarc.{found.policy_domain}"
    tag, effective = _effective(found, policy)
    details = {"name": name, "pct": policy.pct, "pct_text": policy.pct_text}
    if effective not in ENFORCING:
        # RFC 7489 §6.6.4: pct= samples the mail the policy acts on; under none it acts on none.
        return Check(
            id="dmarc.pct",
            status=Status.INFO,
            subject=domain,
            summary=(
                f"pct={policy.pct} has no effect under {tag}={effective}; once the policy enforces, "
                f"it will apply to only {policy.pct}% of failing mail"
            ),
            details=details,
            refs=("RFC 7489 §6.3", "RFC 7489 §6.6.4"),
        )
    return Check(
        id="dmarc.pct",
        status=Status.WARN,
        subject=domain,
        summary=f"pct={policy.pct}: the policy applies to {policy.pct}% of failing mail, the rest is only monitored",
        details=details,
        fix=f"Remove pct= from {name} (the default is 100) once the reports look clean.",
        refs=("RFC 7489 §6.3",),
    )


def _alignment_check(domain: str, policy: Policy) -> Check:
    dkim_mode = ALIGNMENT_MODES.get(policy.adkim, policy.adkim)
    spf_mode = ALIGNMENT_MODES.get(policy.aspf, policy.aspf)
    return Check(
        id="dmarc.alignment",
        status=Status.INFO,
        subject=domain,
        summary=f"adkim={policy.adkim} ({dkim_mode}), aspf={policy.aspf} ({spf_mode})",
        details={"adkim": policy.adkim, "aspf": policy.aspf},
        refs=("RFC 7489 §3.1",),
    )


# -- report destinations -----------------------------------------------------------


async def _report_checks(
    resolver: Resolver, domain: str, found: FoundRecord, uris: list[ReportUri]
) -> list[Check]:
    checks: list[Check] = []
    if not any(uri.tag == "rua" for uri in uris):
        checks.append(
            Check(
                id="dmarc.rua",
                status=Status.WARN,
                subject=domain,
                summary=f"no rua= in _dmarc.{found.policy_domain}: nobody receives aggregate reports for {domain}",
                fix=f"Add rua=mailto:dmarc-reports@{found.policy_domain} (or a report service's address).",
                refs=("RFC 7489 §6.3", "RFC 7489 §7.2"),
            )
        )
    checks.extend(
        await asyncio.gather(*(_destination_check(resolver, found.policy_domain, uri) for uri in uris))
    )
    return checks


async def _destination_check(resolver: Resolver, policy_domain: str, uri: ReportUri) -> Check:
    check_id = "dmarc.rua" if uri.tag == "rua" else "dmarc.ruf"
    kind = "aggregate" if uri.tag == "rua" else "failure"
    if uri.scheme != "mailto":
        return Check(
            id=check_id,
            status=Status.WARN,
            subject=uri.address,
            summary=f"{uri.tag}={uri.uri}: receivers are only required to send {kind} reports to mailto: URIs",
            fix="Use a mailto: address.",
            refs=REFS_REPORTS,
        )
    same_org = suffixes.registered_domain(uri.domain) == suffixes.registered_domain(policy_domain)
    # Consent and a mail route are asked for at once: either one missing loses the reports.
    name = f"{policy_domain}._report._dmarc.{uri.domain}"
    authorization, route = await asyncio.gather(
        _no_lookup() if same_org else settle(resolver.query(name, "TXT")), _undeliverable(resolver, uri.domain)
    )
    details: dict[str, Any] = {"uri": uri.uri} if same_org else {"uri": uri.uri, "authorization": name}
    if isinstance(authorization, DnsUnavailable):
        return Check(
            id=check_id,
            status=Status.ERROR,
            subject=uri.address,
            summary=f"could not tell whether {uri.domain} accepts {kind} reports: {name} TXT: {authorization.reason}",
            details=details,
        )
    # One query covers a wildcard authorization too: *._report._dmarc.DEST answers it.
    records = [] if authorization is None or isinstance(authorization, DnsError) else authorization.texts()
    if authorization is not None and not any(DMARC_START.match(text) for text in records):
        why = "does not exist" if isinstance(authorization, NoSuchDomain) else "has no TXT v=DMARC1"
        return Check(
            id=check_id,
            status=Status.WARN,
            subject=uri.address,
            summary=(
                f"{uri.domain} has not authorized {kind} reports for {policy_domain}: {name} {why}; "
                "receivers will not send them"
            ),
            details={**details, "records": records},
            fix=f'Ask {uri.domain} to publish TXT "v=DMARC1" at {name}, or send reports to an address at {policy_domain}.',
            refs=REFS_REPORTS,
        )
    if isinstance(route, DnsUnavailable):
        return Check(
            id=check_id,
            status=Status.ERROR,
            subject=uri.address,
            summary=f"could not tell whether {uri.domain} receives mail: {route.name} {route.rdtype}: {route.reason}",
            details=details,
        )
    if route is not None:
        return Check(
            id=check_id,
            status=Status.WARN,
            subject=uri.address,
            summary=f"{kind} reports to {uri.address} cannot be delivered: {route}",
            details={**details, "undeliverable": route},
            fix=f"Send {kind} reports to an address whose domain has an MX host with an address.",
            refs=("RFC 7489 §7.1", "RFC 5321 §5.1"),
        )
    authorized = f", authorized by {name}" if not same_org else ""
    return Check(
        id=check_id,
        status=Status.PASS,
        subject=uri.address,
        summary=f"{kind} reports go to {uri.address}{authorized}",
        details=details,
        refs=REFS_REPORTS if not same_org else (),
    )


async def _no_lookup() -> None:
    return None


async def _undeliverable(resolver: Resolver, domain: str) -> str | DnsUnavailable | None:
    """Why mail to ``domain`` has nowhere to go (RFC 5321 §5.1, RFC 7505), None when it has."""
    from mailcheck.checks.mx import is_null_mx, mx_records

    records = await settle(mx_records(resolver, domain))
    if isinstance(records, DnsUnavailable):
        return records
    if isinstance(records, DnsError):
        return f"{domain} does not exist"
    if is_null_mx(records):
        return f"{domain} publishes a null MX (RFC 7505): it accepts no mail"
    hosts = list(dict.fromkeys(r.host for r in records)) or [domain]  # no MX: the domain itself
    outcomes = await asyncio.gather(*(settle(resolver.addresses(host)) for host in hosts))
    if any(isinstance(outcome, list) for outcome in outcomes):
        return None
    for outcome in outcomes:
        if isinstance(outcome, DnsUnavailable):
            return outcome
    what = ["does not exist" if isinstance(outcome, NoSuchDomain) else "has no address" for outcome in outcomes]
    if not records:
        return f"{domain} has no MX and no address"
    if len(hosts) == 1:
        return f"the only MX host of {domain}, {hosts[0]}, {what[0]}"
    return f"no MX host of {domain} has an address: {', '.join(f'{h} {w}' for h, w in zip(hosts, what))}"
