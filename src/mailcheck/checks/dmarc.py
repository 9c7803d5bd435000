"""dmarc.*: the domain's DMARC policy, where it comes from, and who receives its reports.

Receivers of two generations read the record: RFC 7489 ones take the domain's own
record, else the organizational domain's from the Public Suffix List (§6.6.3); RFC 9989
ones walk the DNS tree (§4.10). Every name either would ask is asked at the same moment
and both are replayed on the answers (``records/dmarc_discovery.py``). The checks judge
the record RFC 7489 receivers apply (or, when they find none, the RFC 9989 one);
dmarc.discovery says where the two differ. checkdmarc judges the record's syntax
(``records/dmarc.py``); the lookups are ours.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from mailcheck import suffixes
from mailcheck.catalogue.spec import CheckSpec, Example
from mailcheck.checks.context import DomainContext
from mailcheck.dns.errors import DnsError, DnsUnavailable, NoSuchDomain
from mailcheck.dns.resolver import Answer, Resolver, settle
from mailcheck.model import Check, Status
from mailcheck.mxhosts import MxHosts, MxLookupFailed, NoDomain, NoMx, NullMx, host_addresses, mx_route
from mailcheck.records.dmarc import (
    DMARC_START,
    NoPolicyError,
    Policy,
    RecordError,
    ReportUri,
    applied_tag,
    read_record,
    record_tags,
)
from mailcheck.records.dmarc_discovery import (
    Discovery,
    name_exists,
    name_records,
    psl_discovery,
    tree_walk,
    walk_names,
)

RECORD = CheckSpec(
    id="dmarc.record",
    title="A DMARC record applies to the domain",
    verifies=(
        "Looks for one TXT record starting with v=DMARC1 at _dmarc.DOMAIN and, when there is "
        "none, at the organizational domain's _dmarc (Public Suffix List, RFC 7489) and along "
        "the RFC 9989 DNS tree walk. Passes when the domain has its own record, gives info when "
        "the organizational domain's applies, warns when only one generation of receivers finds "
        "a record (dmarc.discovery names both), and fails when neither finds one (pointing out "
        "a TXT record there that does not start with v=DMARC1;) or when one name holds several; "
        "error when a lookup went unanswered."
    ),
    why=(
        "Without a DMARC record, receivers have no policy for mail that forges the domain and "
        "send no reports about it, and Gmail and Yahoo require one from bulk senders. When a "
        "name holds two records, receivers apply neither."
    ),
    example=Example(
        bad='_dmarc.example.com. TXT "v=DMARC1 p=quarantine"',
        good='_dmarc.example.com. TXT "v=DMARC1; p=quarantine; rua=mailto:dmarc-reports@example.com"',
        why=("The version tag now ends with ';', so receivers recognise the record instead of discarding it."),
    ),
    refs=("RFC 7489 §6.1", "RFC 7489 §6.6.3", "RFC 9989 §4.10.1"),
)

SYNTAX = CheckSpec(
    id="dmarc.syntax",
    title="The DMARC record is well-formed",
    verifies=(
        "checkdmarc parses the record that applies and mailcheck parses its rua=/ruf= URIs. "
        "A record with no p= or an invalid one fails when it has no syntactically valid rua= "
        "URI either (RFC 7489 receivers ignore such a record, RFC 9989 ones monitor without "
        "reports) and warns when it has one (receivers act as if p=none). Otherwise it fails when the record cannot be parsed (for example sp= outside "
        "none, quarantine and reject, or a report URI without a scheme); warns when it holds "
        "values receivers discard: invalid adkim=, aspf= or fo= values, or a pct= that is "
        "not a whole number from 0 to 100, each falling back to the default (unknown tag names "
        "are dmarc.tags' finding); passes otherwise."
    ),
    why=(
        "A record receivers cannot parse leaves the domain as if it had none; RFC 7489 "
        "§6.6.3 keeps only a record without a valid p= that still asks for aggregate reports, "
        "as p=none. A discarded tag silently replaces what the owner meant with the default, "
        "such as relaxed alignment where strict was intended."
    ),
    example=Example(
        bad='_dmarc.example.com. TXT "v=DMARC1; p=reject; adkim=strict"',
        good='_dmarc.example.com. TXT "v=DMARC1; p=reject; adkim=s"',
        why="adkim= takes s or r; the value 'strict' was discarded and relaxed alignment applied.",
    ),
    refs=("RFC 7489 §6.3", "RFC 7489 §6.4", "RFC 7489 §6.6.3", "RFC 9989 §4.7", "RFC 9989 §4.8"),
)

DISCOVERY = CheckSpec(
    id="dmarc.discovery",
    title="Both generations of receivers find the same DMARC policy",
    verifies=(
        "Replays policy discovery both ways on the same DNS answers: RFC 9989's DNS tree walk "
        "(the domain, then its parents up to the top-level domain, at most 8 queries, a long "
        "name skipping to its last 7 labels; stopping at psd=n or a parent's psd=y; the record "
        "of the organizational domain or else of the public suffix domain applies) and RFC "
        "7489's (the domain's own record, else the Public Suffix List organizational domain's). "
        "Says which record each applies and which policy the domain gets from it: p= for its "
        "own record, else sp= for a name that exists and, under RFC 9989, np= for one that does "
        "not (NXDOMAIN). Gives info when both agree, warns when they apply different policies "
        "or only one finds a record, and gives an error when a walk lookup went unanswered."
    ),
    why=(
        "Receivers of both generations deliver mail today. When the tree walk and the Public "
        "Suffix List lead to different records, a forged message is rejected by one receiver "
        "and delivered by another, and the sender sees only half of it in the reports."
    ),
    example=Example(
        bad=(
            '_dmarc.example.com. TXT "v=DMARC1; p=reject"   '
            '_dmarc.dept.example.com. TXT "v=DMARC1; p=none; psd=n"   (mail from a.dept.example.com)'
        ),
        good='_dmarc.dept.example.com. TXT "v=DMARC1; p=reject"',
        why=(
            "Without psd=n the walk's organizational domain is example.com, as the Public Suffix "
            "List says, so both generations apply p=reject to a.dept.example.com."
        ),
    ),
    refs=("RFC 9989 §4.10", "RFC 9989 §4.10.1", "RFC 9989 §4.10.2", "RFC 7489 §6.6.3"),
)

POLICY = CheckSpec(
    id="dmarc.policy",
    title="The DMARC policy enforces",
    verifies=(
        "Reads the policy that applies to the domain: p= of its own record, or sp= of the "
        "organizational domain's record when it inherits that (sp= defaults to p=). Passes "
        "for quarantine or reject, noting an explicit sp= that leaves subdomains unprotected; "
        "warns for none, which only monitors, including a record without a valid p= that "
        "receivers treat as p=none because of its rua= (see dmarc.syntax)."
    ),
    why=(
        "Under p=none receivers deliver mail that fails DMARC as if there were no policy, so "
        "the domain can still be spoofed. Quarantine or reject makes receivers act on those "
        "failures, and BIMI requires one of them."
    ),
    example=Example(
        bad='_dmarc.example.com. TXT "v=DMARC1; p=none; rua=mailto:dmarc-reports@example.com"',
        good='_dmarc.example.com. TXT "v=DMARC1; p=reject; rua=mailto:dmarc-reports@example.com"',
        why=(
            "Once the aggregate reports show every legitimate sender aligned, p=reject (or "
            "p=quarantine first) makes receivers refuse mail that fails DMARC."
        ),
    ),
    refs=("RFC 7489 §6.3", "RFC 7489 §6.7"),
)

NP = CheckSpec(
    id="dmarc.np",
    title="Non-existent subdomains are covered (np=)",
    verifies=(
        "Reads the policy RFC 9989 receivers apply to mail from a subdomain that does not exist "
        "(NXDOMAIN): np= when the record has it, else sp=, else p=, and says which. Passes when "
        "it is quarantine or reject; warns when np= is none while p= or sp= enforce, which "
        "leaves spoofed non-existent subdomains unprotected; info otherwise (including when "
        "the record is not at the organizational domain, so its np= is not the one used). RFC "
        "7489 receivers ignore np= and apply sp=."
    ),
    why=(
        "Forgers like names that do not exist, such as secure-login.example.com, because no "
        "one publishes anything there. np= lets a domain reject those while its real "
        "subdomains are still being brought in line."
    ),
    example=Example(
        bad='_dmarc.example.com. TXT "v=DMARC1; p=reject; np=none"',
        good='_dmarc.example.com. TXT "v=DMARC1; p=reject; np=reject"',
        why="Mail from a non-existent subdomain is now rejected, as mail from the domain itself is.",
    ),
    refs=("RFC 9989 §4.7", "RFC 9989 §4.10.1"),
)

TESTING = CheckSpec(
    id="dmarc.testing",
    title="The policy is not in test mode (t=)",
    verifies=(
        "Reads t= (RFC 9989) beside pct=0 (its RFC 7489 counterpart). Warns for t=y under a "
        "quarantine or reject policy: RFC 9989 receivers do not apply the policy, like p=none; "
        "says what RFC 7489 receivers do, which ignore t= and apply the policy unless pct=0 "
        "says the same. Warns for pct=0 without t=y, which only RFC 7489 receivers honour. "
        "Passes for an explicit t=n; info for t=y under p=none. No result without t= or pct=0."
    ),
    why=(
        "Test mode asks receivers to report but not to act, so forged mail is delivered while "
        "the record looks like it enforces. Publishing t=y with pct=0 (or neither) keeps the two "
        "generations of receivers doing the same thing."
    ),
    example=Example(
        bad='_dmarc.example.com. TXT "v=DMARC1; p=reject; t=y; rua=mailto:dmarc-reports@example.com"',
        good='_dmarc.example.com. TXT "v=DMARC1; p=reject; rua=mailto:dmarc-reports@example.com"',
        why="Without t=y receivers of both generations reject mail that fails DMARC.",
    ),
    refs=("RFC 9989 §4.7", "RFC 7489 §6.6.4"),
)

PCT = CheckSpec(
    id="dmarc.pct",
    title="The policy applies to all failing mail",
    verifies=(
        "Warns when pct= is below 100 under a quarantine or reject policy: RFC 7489 receivers "
        "apply the policy to only that share of failing mail, while RFC 9989 receivers ignore "
        "pct= (it was removed; t=y is its pct=0) and apply the policy to all of it. Under a "
        "policy of none, pct= below 100 changes nothing yet and gives info. No result when pct= is absent or 100, or when it "
        "is not a whole number from 0 to 100 (receivers then use 100; dmarc.syntax warns)."
    ),
    why=(
        "Failing mail outside the sample is handled under the next weaker policy (reject "
        "becomes quarantine, quarantine becomes none), so part of the forged mail still "
        "reaches inboxes. BIMI requires pct=100 with p=quarantine."
    ),
    example=Example(
        bad='_dmarc.example.com. TXT "v=DMARC1; p=quarantine; pct=25; rua=mailto:dmarc-reports@example.com"',
        good='_dmarc.example.com. TXT "v=DMARC1; p=quarantine; rua=mailto:dmarc-reports@example.com"',
        why="Without pct= the policy covers all failing mail (the default is 100).",
    ),
    refs=("RFC 7489 §6.3", "RFC 7489 §6.6.4", "RFC 9989 §4.7"),
)

PSD = CheckSpec(
    id="dmarc.psd",
    title="The psd= flag matches the domain's place in the DNS",
    verifies=(
        "Reads psd= (RFC 9989) of the record that applies, and of a psd=y record the tree walk "
        "stopped at. psd=y says the domain is a public suffix domain (a registry's): warns when "
        "the Public Suffix List does not list it as one, since RFC 9989 receivers then treat "
        "each of its subdomains as a separate organization; info when it does. psd=n makes the "
        "domain its own organizational domain (info, naming the Public Suffix List's); psd=u "
        "is the default (info). RFC 7489 receivers ignore psd=. No result without psd=."
    ),
    why=(
        "psd= moves the organizational boundary for RFC 9989 receivers: a wrong psd=y breaks "
        "relaxed alignment between the domain's own names (mail from shop.example.com signed "
        "by example.com no longer aligns) and hands its subdomains the suffix's sp=/np=."
    ),
    example=Example(
        bad='_dmarc.example.com. TXT "v=DMARC1; p=reject; psd=y"',
        good='_dmarc.example.com. TXT "v=DMARC1; p=reject"',
        why="example.com is not a registry's domain; without psd=y it stays its subdomains' organizational domain.",
    ),
    refs=("RFC 9989 §4.7", "RFC 9989 §4.10.2"),
)

TAGS = CheckSpec(
    id="dmarc.tags",
    title="The record holds only tags receivers use",
    verifies=(
        "Warns for tag names neither RFC 7489 nor RFC 9989 defines: receivers ignore them "
        "(a typo such as adkin= loses the setting). Gives info for rf= and ri=, which RFC 9989 "
        "removed: RFC 7489 receivers may still read them (report format, report interval), RFC "
        "9989 receivers ignore them. pct= has its own check (dmarc.pct). No result when the "
        "record has none of these."
    ),
    why=("An ignored tag silently does nothing, so the owner believes a setting is in force that no receiver applies."),
    example=Example(
        bad='_dmarc.example.com. TXT "v=DMARC1; p=reject; adkin=s; ri=3600"',
        good='_dmarc.example.com. TXT "v=DMARC1; p=reject; adkim=s"',
        why="adkim= is spelled right, and ri=, which RFC 9989 receivers ignore, is gone.",
    ),
    refs=("RFC 9989 §4.7", "RFC 7489 §6.3"),
)

ALIGNMENT = CheckSpec(
    id="dmarc.alignment",
    title="DMARC alignment modes",
    verifies=(
        "Reports (info) the alignment modes the record sets: adkim= for DKIM and aspf= for "
        "SPF, each r (relaxed, the default) or s (strict), and the organizational domain that "
        "relaxed alignment compares against under each generation: the RFC 9989 tree walk (with "
        "psd=) and the RFC 7489 Public Suffix List. Warns when the two organizational domains "
        "differ and a mode is relaxed, since mail from a sibling name then aligns for one "
        "generation of receivers and not the other; invalid modes are reported by dmarc.syntax."
    ),
    why=(
        "DMARC passes only when a domain that SPF or DKIM authenticated aligns with the From "
        "domain. Relaxed mode accepts any name in the same organizational domain, strict mode "
        "only the exact name, so mail signed by a subdomain fails strict alignment."
    ),
    example=Example(
        bad=('_dmarc.example.com. TXT "v=DMARC1; p=reject; adkim=s; aspf=s"   (newsletters are signed with d=news.example.com)'),
        good='_dmarc.example.com. TXT "v=DMARC1; p=reject"',
        why="Relaxed alignment, the default, accepts d=news.example.com for From: example.com.",
    ),
    refs=("RFC 7489 §3.1", "RFC 9989 §4.4", "RFC 9989 §4.10.2"),
)

RUA = CheckSpec(
    id="dmarc.rua",
    title="Aggregate reports have an authorized destination",
    verifies=(
        "Warns when the record has no rua=. Each rua= URI warns when it is not mailto: and "
        "passes for an address in the record's organizational domain; an address in another "
        "domain passes when DOMAIN._report._dmarc.DEST holds a v=DMARC1 TXT record, warns "
        "when it does not, and gives an error when that lookup went unanswered. Either way "
        "the destination must be able to take mail: it warns when the address's domain does "
        "not exist, has a null MX (RFC 7505), or none of its MX hosts (or, without MX, the "
        "domain itself) has an address, so the reports would bounce."
    ),
    why=(
        "Aggregate reports show which servers send as the domain and whether they align, "
        "which is what makes tightening p= safe. Receivers send no reports to an outside "
        "domain that has not authorized them."
    ),
    example=Example(
        bad=(
            '_dmarc.example.com. TXT "v=DMARC1; p=none; rua=mailto:reports@dmarc.example.net"   '
            "(no authorization record at dmarc.example.net)"
        ),
        good='example.com._report._dmarc.dmarc.example.net. TXT "v=DMARC1"',
        why=("The destination domain now publishes the authorization record, so receivers send it the reports for example.com."),
    ),
    refs=("RFC 7489 §7.1", "RFC 7489 §6.3", "RFC 7489 §7.2"),
)

RUF = CheckSpec(
    id="dmarc.ruf",
    title="Failure reports have an authorized destination",
    verifies=(
        "Checks each ruf= URI by the same rules as rua=: warns when it is not mailto:, passes "
        "for an address in the record's organizational domain, and for another domain passes "
        "or warns on its DOMAIN._report._dmarc.DEST record (error when that lookup went "
        "unanswered), and warns when the address's domain cannot take mail (no such domain, "
        "a null MX, no MX host with an address). A record without ruf= gives no result."
    ),
    why=(
        "Failure reports describe single messages that failed DMARC, which helps find a "
        "misconfigured sender. Receivers are only required to send them by mail, and send "
        "none to an outside domain that has not authorized them."
    ),
    example=Example(
        bad='_dmarc.example.com. TXT "v=DMARC1; p=reject; ruf=https://dmarc.example.net/failures"',
        good='_dmarc.example.com. TXT "v=DMARC1; p=reject; ruf=mailto:dmarc-failures@example.com"',
        why=(
            "A mailto: address in the record's own domain is a destination every receiver can "
            "use and needs no authorization record."
        ),
    ),
    refs=("RFC 7489 §7.1", "RFC 7489 §7.3"),
)


REFS_RECORD = ("RFC 7489 §6.1", "RFC 7489 §6.6.3")
REFS_REPORTS = ("RFC 7489 §7.1",)
ENFORCING = ("quarantine", "reject")
ALIGNMENT_MODES = {"r": "relaxed", "s": "strict"}


@dataclass(frozen=True)
class FoundRecord:
    """The DMARC record the checks judge, and where it was found."""

    text: str
    policy_domain: str  # the domain whose _dmarc holds it
    inherited: bool  # True when it is the organizational (or public suffix) domain's


@dataclass(frozen=True)
class Generations:
    """What each generation of receivers finds for the domain, and whether it exists
    (None when no inherited policy made that worth asking)."""

    modern: Discovery  # RFC 9989
    legacy: Discovery  # RFC 7489
    exists: bool | None


async def check_dmarc(context: DomainContext) -> list[Check]:
    domain = context.domain.ascii
    await suffixes.loaded()
    org = suffixes.registered_domain(domain)
    names = list(dict.fromkeys([*walk_names(domain), org]))
    outcomes = await asyncio.gather(*(settle(context.resolver.query(f"_dmarc.{name}", "TXT")) for name in names))
    by_name = dict(zip(names, outcomes, strict=True))
    own = by_name[domain]
    verdict = _records_at(domain, own)
    if isinstance(verdict, Check):
        return [verdict]
    if verdict is None and org != domain and isinstance(inherited := _records_at(org, by_name[org]), Check):
        return [inherited]
    answers = {name: name_records(name, outcome) for name, outcome in by_name.items()}
    modern, legacy = tree_walk(domain, answers), psl_discovery(domain, org, answers)
    exists = await name_exists(context.resolver, domain) if modern.inherited or legacy.inherited else None
    generations = Generations(modern, legacy, exists)
    judged = legacy if legacy.record is not None else modern
    if judged.record is None or judged.policy_domain is None:
        return [_no_record(domain, legacy.asked, own, modern)]
    found = FoundRecord(judged.record, judged.policy_domain, inherited=judged.inherited)
    try:
        # read_record makes no lookup, so it runs here: in a thread it would cost two
        # hand-overs between the threads and, under the GIL, finish no sooner.
        policy, uris = read_record(found.text, found.policy_domain)
    except NoPolicyError as exc:
        return [_record_check(domain, found, None, generations), _no_policy_failure(found, str(exc))]
    except RecordError as exc:
        return [_record_check(domain, found, None, generations), _syntax_failure(found, str(exc))]
    checks = [_record_check(domain, found, policy, generations), _syntax_check(found, policy)]
    checks.append(await _discovery_check(domain, generations))
    checks.append(_policy_check(domain, found, policy))
    checks.append(_np_check(domain, found, policy, modern))
    if policy.t_explicit or policy.pct == 0:
        checks.append(_testing_check(domain, found, policy))
    if policy.pct != 100:
        checks.append(_pct_check(domain, found, policy))
    if psd := _psd_check(domain, found, policy, modern):
        checks.append(psd)
    if policy.unknown or set(policy.removed) - {"pct"}:
        checks.append(_tags_check(found, policy))
    checks.append(_alignment_check(domain, policy, generations))
    checks.extend(await _report_checks(context.resolver, domain, found, uris))
    return checks


# -- finding the record ------------------------------------------------------------


def _records_at(policy_domain: str, outcome: Answer | DnsError) -> str | Check | None:
    """The one DMARC record at _dmarc.policy_domain, a check when it is ambiguous or
    could not be read, None when there is none."""
    name = f"_dmarc.{policy_domain}"
    if isinstance(outcome, DnsUnavailable):
        return RECORD.error(
            policy_domain,
            f"could not look up {name} TXT: {outcome.reason}",
            details={"name": name, "reason": outcome.reason},
            refs=(),
        )
    if isinstance(outcome, DnsError):
        return None
    records = [text for text in outcome.texts() if DMARC_START.match(text)]
    if not records:
        return None
    if len(records) > 1:
        return RECORD.fail(
            policy_domain,
            f"{len(records)} DMARC records at {name}; receivers ignore them all",
            details={"name": name, "records": records},
            fix=f"Keep exactly one TXT record starting with v=DMARC1 at {name}.",
            refs=("RFC 7489 §6.6.3", "RFC 9989 §4.10"),
        )
    return records[0]


def _no_record(domain: str, searched: Sequence[str], own: Answer | DnsError, modern: Discovery) -> Check:
    names = [f"_dmarc.{d}" for d in searched]
    summary = f"no DMARC record at {' nor at '.join(names)}"
    # A record with a typo before its first ';' is discarded by receivers; say so,
    # since the user believes it is published.
    ignored = own.texts() if isinstance(own, Answer) else []
    if ignored:
        summary += f"; {names[0]} holds {ignored[0]!r}, which does not start with 'v=DMARC1;'"
    return RECORD.fail(
        domain,
        summary,
        details={"searched": names, "walk": [f"_dmarc.{d}" for d in modern.asked], "ignored": ignored},
        fix=(
            f"Publish a TXT record at _dmarc.{domain}, starting with "
            f'"v=DMARC1; p=none; rua=mailto:dmarc-reports@{domain}", then tighten p= once reports look clean.'
        ),
        refs=REFS_RECORD,
    )


def _record_check(domain: str, found: FoundRecord, policy: Policy | None, generations: Generations) -> Check:
    name = f"_dmarc.{found.policy_domain}"
    details = {"name": name, "record": found.text, "inherited": found.inherited}
    if generations.legacy.record is None:
        return RECORD.warn(
            domain,
            (
                f"RFC 7489 receivers find no record at {' nor at '.join(f'_dmarc.{d}' for d in generations.legacy.asked)}; "
                f"RFC 9989 receivers apply the one their tree walk finds at {name}: {found.text}"
            ),
            details={**details, "rfc7489": None, "rfc9989": name},
            fix=f"Publish the record at _dmarc.{generations.legacy.org_domain} (or _dmarc.{domain}) so that both generations find it.",
            refs=("RFC 7489 §6.6.3", "RFC 9989 §4.10.1"),
        )
    if not found.inherited:
        return RECORD.ok(domain, f"{name}: {found.text}", details=details, refs=REFS_RECORD)
    return RECORD.info(
        domain,
        (
            f"no record at _dmarc.{domain}; the organizational domain's record at {name} applies"
            f"{f' with sp={policy.sp}' if policy else ''}: {found.text}"
        ),
        details=details,
        refs=("RFC 7489 §6.6.3",),
    )


# -- the two generations side by side ------------------------------------------------


@dataclass(frozen=True)
class Applied:
    """The policy one generation of receivers applies to the domain."""

    spec: str
    name: str | None  # _dmarc.X holding the record, None when none is found
    tag: str  # p, sp or np
    value: str  # none, quarantine, reject; "" without a record
    testing: bool  # RFC 9989 t=y, or RFC 7489 pct=0

    def describe(self) -> str:
        if self.name is None:
            return f"{self.spec} receivers find no record"
        tested = " in test mode (not applied)" if self.testing else ""
        return f"{self.spec} receivers apply {self.tag}={self.value}{tested} from {self.name}"

    @property
    def enforced(self) -> str:
        return "none" if self.name is None or self.testing else self.value


async def _applied(discovery: Discovery, exists: bool | None) -> Applied:
    spec = discovery.spec
    if discovery.record is None or discovery.policy_domain is None:
        return Applied(spec, None, "", "", False)
    name = f"_dmarc.{discovery.policy_domain}"
    try:
        policy, _ = read_record(discovery.record, discovery.policy_domain)  # no lookup: see check_dmarc
    except RecordError:
        return Applied(spec, name, "p", "none", False)
    modern = spec == "RFC 9989"
    tag = applied_tag(
        subdomain=discovery.inherited,
        nonexistent=modern and exists is False,
        sp_explicit=policy.sp_explicit,
        np_explicit=policy.np_explicit,
    )
    return Applied(spec, name, tag, policy.value_of(tag), policy.testing if modern else policy.pct == 0)


async def _discovery_check(domain: str, generations: Generations) -> Check:
    modern, legacy = generations.modern, generations.legacy
    new, old = await asyncio.gather(_applied(modern, generations.exists), _applied(legacy, generations.exists))
    details: dict[str, Any] = {
        "rfc9989": {
            "record": new.name,
            "policy": f"{new.tag}={new.value}" if new.name else None,
            "testing": new.testing,
            "walk": [f"_dmarc.{d}" for d in modern.asked],
            "organizational_domain": modern.org_domain,
            "psd_domain": modern.psd_domain,
        },
        "rfc7489": {
            "record": old.name,
            "policy": f"{old.tag}={old.value}" if old.name else None,
            "testing": old.testing,
            "asked": [f"_dmarc.{d}" for d in legacy.asked],
            "organizational_domain": legacy.org_domain,
        },
        "exists": generations.exists,
    }
    missing = ", ".join(f"_dmarc.{d}" for d in modern.unavailable)
    if modern.unavailable and modern.via != "own":
        return DISCOVERY.error(
            domain,
            f"could not finish the RFC 9989 tree walk: no answer for {missing} TXT; {old.describe()}",
            details=details,
            refs=(),
        )
    # With a record of its own the domain's policy is its p= whatever the parents say;
    # only the organizational domain (for relaxed alignment) stays uncertain.
    uncertain = f"; {missing} went unanswered, so its organizational domain is uncertain" if missing else ""
    walk = f"tree walk: {', '.join(f'_dmarc.{d}' for d in modern.asked)}"
    if modern.via == "psd":
        uncertain = (
            f"; for RFC 9989 receivers it is the public suffix domain's record, "
            f"{modern.org_domain} having none as organizational domain{uncertain}"
        )
    if new.name == old.name and (new.tag, new.value, new.testing) == (old.tag, old.value, old.testing):
        return DISCOVERY.info(
            domain,
            f"RFC 9989 and RFC 7489 receivers both apply {new.tag}={new.value} from {new.name} ({walk}){uncertain}",
            details=details,
        )
    summary = f"{new.describe()}; {old.describe()} ({walk}){uncertain}"
    if new.enforced == old.enforced:
        return DISCOVERY.info(domain, summary, details=details)
    if new.name == old.name:
        fix = f"Publish t=y together with pct=0 at {new.name} (test mode for both generations), or neither."
    else:
        fix = (
            "Make both generations land on the same policy: publish it at the organizational domain both agree "
            f"on (_dmarc.{legacy.org_domain}), or give _dmarc.{domain} a record of its own."
        )
    return DISCOVERY.warn(
        domain,
        summary,
        details=details,
        fix=fix,
        refs=("RFC 9989 §4.10.1", "RFC 9989 §4.10.2", "RFC 7489 §6.6.3"),
    )


# -- the record's contents ---------------------------------------------------------


def _syntax_failure(found: FoundRecord, reason: str) -> Check:
    name = f"_dmarc.{found.policy_domain}"
    return SYNTAX.fail(
        found.policy_domain,
        f"invalid DMARC record at {name}: {reason}",
        details={"name": name, "record": found.text, "error": reason},
        fix=f"Correct the record at {name}; the tags and their values are listed in RFC 9989 §4.7 (RFC 7489 §6.3).",
        refs=("RFC 7489 §6.3", "RFC 7489 §6.4", "RFC 9989 §4.7"),
    )


def _no_policy_failure(found: FoundRecord, reason: str) -> Check:
    name = f"_dmarc.{found.policy_domain}"
    return SYNTAX.fail(
        found.policy_domain,
        f"the record at {name} has {reason}",
        details={"name": name, "record": found.text, "error": reason},
        fix=(
            f"Put p=none (then quarantine or reject) right after v=DMARC1 at {name}, "
            f"and add rua=mailto:dmarc-reports@{found.policy_domain}."
        ),
        refs=("RFC 7489 §6.3", "RFC 7489 §6.6.3", "RFC 9989 §4.10.1"),
    )


def _syntax_check(found: FoundRecord, policy: Policy) -> Check:
    name = f"_dmarc.{found.policy_domain}"
    if policy.p_problem:
        discarded = f"; it also has tags receivers discard: {'; '.join(policy.notes)}" if policy.notes else ""
        return SYNTAX.warn(
            found.policy_domain,
            (f"the record at {name} has {policy.p_problem}: receivers act as if p=none, since its rua= is valid{discarded}"),
            details={"name": name, "p_problem": policy.p_problem, "notes": list(policy.notes)},
            fix=f"Put p=none, p=quarantine or p=reject right after v=DMARC1 at {name}.",
            refs=("RFC 7489 §6.3", "RFC 7489 §6.6.3", "RFC 9989 §4.10.1"),
        )
    if policy.notes:
        return SYNTAX.warn(
            found.policy_domain,
            f"the record at {name} has tags receivers discard: {'; '.join(policy.notes)}",
            details={"name": name, "notes": list(policy.notes)},
            fix=f"Remove or correct those tags at {name}.",
            refs=("RFC 7489 §6.3", "RFC 9989 §4.7"),
        )
    return SYNTAX.ok(found.policy_domain, f"the record at {name} is valid", details={"name": name})


def _values(policy: Policy) -> str:
    return f"p={policy.p}, sp={policy.sp}, pct={policy.pct}, adkim={policy.adkim}, aspf={policy.aspf}"


def _effective(found: FoundRecord, policy: Policy) -> tuple[str, str]:
    """The tag whose policy applies to the domain, and its value."""
    return ("sp", policy.sp) if found.inherited else ("p", policy.p)


def _policy_check(domain: str, found: FoundRecord, policy: Policy) -> Check:
    tag, effective = _effective(found, policy)
    where = f" (from _dmarc.{found.policy_domain})" if found.inherited else ""
    details = {
        "effective": effective,
        "p": policy.p,
        "sp": policy.sp,
        "sp_explicit": policy.sp_explicit,
        "pct": policy.pct,
        "inherited": found.inherited,
    }
    if effective in ENFORCING:
        return POLICY.ok(
            domain,
            f"{tag}={effective} applies to {domain}{where}: {_values(policy)}",
            details=details,
            refs=("RFC 7489 §6.3",),
        )
    return POLICY.warn(
        domain,
        (
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


def _np_check(domain: str, found: FoundRecord, policy: Policy, modern: Discovery) -> Check:
    name = f"_dmarc.{found.policy_domain}"
    source = policy.np_source
    details = {"name": name, "np": policy.np, "source": source, "explicit": policy.np_explicit, "sp": policy.sp}
    legacy = f"RFC 7489 receivers ignore np= and apply sp={policy.sp}"
    if not found.inherited and modern.org_domain != domain:
        # RFC 9989 §4.7: np= of a record below the organizational domain is never used,
        # because the walk from a non-existent name under it lands on the organizational domain.
        return NP.info(
            domain,
            (
                f"non-existent names under {domain} take np= of the organizational domain's record "
                f"(_dmarc.{modern.org_domain}) under RFC 9989, not {source}={policy.np} from {name}"
            ),
            details={**details, "organizational_domain": modern.org_domain},
        )
    via = f"np={policy.np}" if policy.np_explicit else f"no np=, so {source}={policy.np} applies"
    summary = f"non-existent subdomains of {found.policy_domain} get {via} (RFC 9989); {legacy}"
    if policy.np in ENFORCING:
        return NP.ok(domain, summary, details=details)
    if policy.np_explicit and (policy.p in ENFORCING or policy.sp in ENFORCING):
        return NP.warn(
            domain,
            (
                f"np={policy.np}: spoofed mail from non-existent subdomains of {found.policy_domain} is delivered "
                f"by RFC 9989 receivers, though p={policy.p}, sp={policy.sp}; {legacy}"
            ),
            details=details,
            fix=f"Set np=reject (or remove np= to inherit sp={policy.sp}) at {name}.",
        )
    return NP.info(domain, summary, details=details)


def _testing_check(domain: str, found: FoundRecord, policy: Policy) -> Check:
    name = f"_dmarc.{found.policy_domain}"
    tag, effective = _effective(found, policy)
    details = {"name": name, "t": "y" if policy.testing else "n", "pct": policy.pct, "policy": f"{tag}={effective}"}
    legacy_tests = policy.pct == 0
    legacy = (
        "RFC 7489 receivers, which ignore t=, see pct=0 and apply the next weaker policy"
        if legacy_tests
        else f"RFC 7489 receivers ignore t= and apply {tag}={effective} to {policy.pct}% of failing mail"
    )
    if policy.testing:
        if effective not in ENFORCING:
            return TESTING.info(domain, f"t=y under {tag}={effective}: nothing is enforced either way", details=details)
        return TESTING.warn(
            domain,
            f"t=y: RFC 9989 receivers do not apply {tag}={effective} (test mode, like p=none); {legacy}",
            details=details,
            fix=(
                f"Remove t=y (and pct=) from {name} once the reports look clean"
                + ("." if legacy_tests else "; until then add pct=0 so that RFC 7489 receivers test too.")
            ),
        )
    if legacy_tests:
        if effective not in ENFORCING:
            return TESTING.info(domain, f"pct=0 under {tag}={effective}: nothing is enforced either way", details=details)
        return TESTING.warn(
            domain,
            (
                f"pct=0: RFC 7489 receivers apply the next weaker policy than {tag}={effective}; "
                f"RFC 9989 receivers ignore pct= and apply {tag}={effective} (t=n)"
            ),
            details=details,
            fix=f"To test with both generations publish t=y beside pct=0 at {name}; to enforce, remove pct=0.",
        )
    return TESTING.ok(domain, f"t=n: RFC 9989 receivers apply {tag}={effective}", details=details)


def _pct_check(domain: str, found: FoundRecord, policy: Policy) -> Check:
    name = f"_dmarc.{found.policy_domain}"
    tag, effective = _effective(found, policy)
    details = {"name": name, "pct": policy.pct, "pct_text": policy.pct_text}
    if effective not in ENFORCING:
        # RFC 7489 §6.6.4: pct= samples the mail the policy acts on; under none it acts on none.
        return PCT.info(
            domain,
            (
                f"pct={policy.pct} has no effect under {tag}={effective}; once the policy enforces, RFC 7489 "
                f"receivers will apply it to only {policy.pct}% of failing mail (RFC 9989 receivers ignore pct=)"
            ),
            details=details,
            refs=("RFC 7489 §6.3", "RFC 7489 §6.6.4", "RFC 9989 §4.7"),
        )
    return PCT.warn(
        domain,
        (
            f"pct={policy.pct}: RFC 7489 receivers apply the policy to {policy.pct}% of failing mail and only "
            f"monitor the rest; RFC 9989 receivers ignore pct= and apply {tag}={effective} to all of it"
        ),
        details=details,
        fix=f"Remove pct= from {name} (the default is 100) once the reports look clean; to test, use t=y with pct=0.",
        refs=("RFC 7489 §6.3", "RFC 9989 §4.7"),
    )


def _psd_check(domain: str, found: FoundRecord, policy: Policy, modern: Discovery) -> Check | None:
    psl = suffixes.public_suffixes()
    if modern.psd_domain is not None and modern.psd_domain != found.policy_domain:
        # The walk crossed a psd=y record above the one judged here.
        return _psd_flag_check(domain, modern.psd_domain, "y", psl.is_public(modern.psd_domain), modern)
    if "psd" not in record_tags(found.text):
        return None
    return _psd_flag_check(domain, found.policy_domain, policy.psd, psl.is_public(found.policy_domain), modern)


def _psd_flag_check(domain: str, holder: str, flag: str, listed: bool, modern: Discovery) -> Check:
    name = f"_dmarc.{holder}"
    registered = suffixes.registered_domain(holder)
    details = {"name": name, "psd": flag, "public_suffix": listed, "organizational_domain": modern.org_domain}
    legacy = "RFC 7489 receivers ignore psd="
    if flag == "y" and not listed:
        return PSD.warn(
            domain,
            (
                f"psd=y at {name}, but the Public Suffix List does not list {holder} as a public suffix: RFC 9989 "
                f"receivers treat each subdomain of {holder} as its own organization "
                f"(organizational domain of {domain}: {modern.org_domain}); {legacy}"
            ),
            details=details,
            fix=f"Remove psd=y from {name}: it is for registries' domains only.",
        )
    if flag == "y":
        return PSD.info(
            domain,
            f"psd=y at {name}: {holder} is a public suffix domain; organizational domain of {domain}: {modern.org_domain}",
            details=details,
        )
    if flag == "n":
        return PSD.info(
            domain,
            (
                f"psd=n at {name}: {holder} is its own organizational domain for RFC 9989 receivers "
                f"(the Public Suffix List's is {registered}); {legacy}"
            ),
            details=details,
        )
    return PSD.info(domain, f"psd=u at {name}: the default, {holder} is not a public suffix domain", details=details)


def _tags_check(found: FoundRecord, policy: Policy) -> Check:
    name = f"_dmarc.{found.policy_domain}"
    removed = {tag: value for tag, value in policy.removed.items() if tag != "pct"}
    details = {"name": name, "unknown": list(policy.unknown), "removed": removed}
    gone = ", ".join(f"{tag}={value}" for tag, value in removed.items())
    them = "them" if len(removed) > 1 else "it"
    about_removed = (
        f"{gone}: RFC 7489 receivers may still read {them}, RFC 9989 receivers ignore {them} (removed)" if removed else ""
    )
    if policy.unknown:
        unknown = ", ".join(f"{tag}=" for tag in policy.unknown)
        summary = f"receivers ignore the unknown tag{'s' if len(policy.unknown) > 1 else ''} {unknown} at {name}"
        return TAGS.warn(
            found.policy_domain,
            summary + (f"; {about_removed}" if about_removed else ""),
            details=details,
            fix=f"Correct or remove {unknown} at {name}; the tags receivers read are listed in RFC 9989 §4.7.",
        )
    return TAGS.info(found.policy_domain, f"{about_removed} ({name})", details=details)


def _alignment_check(domain: str, policy: Policy, generations: Generations) -> Check:
    dkim_mode = ALIGNMENT_MODES.get(policy.adkim, policy.adkim)
    spf_mode = ALIGNMENT_MODES.get(policy.aspf, policy.aspf)
    modern, legacy = generations.modern.org_domain, generations.legacy.org_domain
    details = {
        "adkim": policy.adkim,
        "aspf": policy.aspf,
        "organizational_domain": {"rfc9989": modern, "rfc7489": legacy},
    }
    modes = f"adkim={policy.adkim} ({dkim_mode}), aspf={policy.aspf} ({spf_mode})"
    if modern == legacy:
        return ALIGNMENT.info(domain, f"{modes}; organizational domain {modern} for both generations", details=details)
    summary = f"{modes}; organizational domain {modern} by the RFC 9989 tree walk, {legacy} by the RFC 7489 Public Suffix List"
    if "r" not in (policy.adkim, policy.aspf):
        return ALIGNMENT.info(domain, summary, details=details)
    return ALIGNMENT.warn(
        domain,
        summary + ": relaxed alignment of other names under them differs between receivers",
        details=details,
        fix=f"Sign and send from {domain} itself (or use strict alignment) so alignment does not depend on the generation.",
    )


# -- report destinations -----------------------------------------------------------


async def _report_checks(resolver: Resolver, domain: str, found: FoundRecord, uris: list[ReportUri]) -> list[Check]:
    checks: list[Check] = []
    if not any(uri.tag == "rua" for uri in uris):
        checks.append(
            RUA.warn(
                domain,
                f"no rua= in _dmarc.{found.policy_domain}: nobody receives aggregate reports for {domain}",
                fix=f"Add rua=mailto:dmarc-reports@{found.policy_domain} (or a report service's address).",
                refs=("RFC 7489 §6.3", "RFC 7489 §7.2"),
            )
        )
    checks.extend(await asyncio.gather(*(_destination_check(resolver, found.policy_domain, uri) for uri in uris)))
    return checks


async def _destination_check(resolver: Resolver, policy_domain: str, uri: ReportUri) -> Check:
    kind = "aggregate" if uri.tag == "rua" else "failure"
    if uri.scheme != "mailto":
        return _destination(
            uri,
            Status.WARN,
            f"{uri.tag}={uri.uri}: receivers are only required to send {kind} reports to mailto: URIs",
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
        return _destination(
            uri,
            Status.ERROR,
            f"could not tell whether {uri.domain} accepts {kind} reports: {name} TXT: {authorization.reason}",
            details=details,
            refs=(),
        )
    # One query covers a wildcard authorization too: *._report._dmarc.DEST answers it.
    records = [] if authorization is None or isinstance(authorization, DnsError) else authorization.texts()
    if authorization is not None and not any(DMARC_START.match(text) for text in records):
        why = "does not exist" if isinstance(authorization, NoSuchDomain) else "has no TXT v=DMARC1"
        return _destination(
            uri,
            Status.WARN,
            (f"{uri.domain} has not authorized {kind} reports for {policy_domain}: {name} {why}; receivers will not send them"),
            details={**details, "records": records},
            fix=f'Ask {uri.domain} to publish TXT "v=DMARC1" at {name}, or send reports to an address at {policy_domain}.',
            refs=REFS_REPORTS,
        )
    if isinstance(route, DnsUnavailable):
        return _destination(
            uri,
            Status.ERROR,
            f"could not tell whether {uri.domain} receives mail: {route.name} {route.rdtype}: {route.reason}",
            details=details,
            refs=(),
        )
    if route is not None:
        return _destination(
            uri,
            Status.WARN,
            f"{kind} reports to {uri.address} cannot be delivered: {route}",
            details={**details, "undeliverable": route},
            fix=f"Send {kind} reports to an address whose domain has an MX host with an address.",
            refs=("RFC 7489 §7.1", "RFC 5321 §5.1"),
        )
    authorized = f", authorized by {name}" if not same_org else ""
    return _destination(
        uri,
        Status.PASS,
        f"{kind} reports go to {uri.address}{authorized}",
        details=details,
        refs=REFS_REPORTS if not same_org else (),
    )


def _destination(uri: ReportUri, status: Status, summary: str, **kwargs: Any) -> Check:
    """A dmarc.rua or dmarc.ruf finding about one report address."""
    if uri.tag == "rua":
        return RUA.result(status, uri.address, summary, **kwargs)
    return RUF.result(status, uri.address, summary, **kwargs)


async def _no_lookup() -> None:
    return None


async def _undeliverable(resolver: Resolver, domain: str) -> str | DnsUnavailable | None:
    """Why mail to ``domain`` has nowhere to go (RFC 5321 §5.1, RFC 7505), None when it has."""
    match await mx_route(resolver, domain):
        case MxLookupFailed(error):
            return error
        case NoDomain():
            return f"{domain} does not exist"
        case NullMx():
            return f"{domain} publishes a null MX (RFC 7505): it accepts no mail"
        case MxHosts() as route:
            hosts, implicit = list(route.hosts), False
        case NoMx():
            hosts, implicit = [domain], True  # no MX: the domain itself
    outcomes = [outcome for _, outcome in await host_addresses(resolver, hosts)]
    if any(isinstance(outcome, list) for outcome in outcomes):
        return None
    for outcome in outcomes:
        if isinstance(outcome, DnsUnavailable):
            return outcome
    what = ["does not exist" if isinstance(outcome, NoSuchDomain) else "has no address" for outcome in outcomes]
    if implicit:
        return f"{domain} has no MX and no address"
    if len(hosts) == 1:
        return f"the only MX host of {domain}, {hosts[0]}, {what[0]}"
    return f"no MX host of {domain} has an address: {', '.join(f'{h} {w}' for h, w in zip(hosts, what, strict=True))}"
