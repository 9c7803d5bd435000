"""dmarc.evaluation: the From domain's DMARC policy applied to this message.

The record is discovered both ways receivers do today: RFC 7489's (the name, then the
Public Suffix List's organizational domain) and RFC 9989's DNS tree walk (at most
eight lookups, §4.10). The tags are read the forgiving way receivers read them
(``records.dmarc.record_tags``); judging the record's syntax is the domain report's
job (``mailcheck domain``), so it is not repeated for every message of a mailbox.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from mailcheck import suffixes
from mailcheck.catalogue.spec import CheckSpec, Example
from mailcheck.dns.errors import DnsError
from mailcheck.dns.resolver import Answer, Resolver, settle
from mailcheck.message.dkim import SignatureResult
from mailcheck.message.spf import SpfOutcome
from mailcheck.model import Check
from mailcheck.records.dmarc import POLICIES, PolicyTag, applied_tag, record_tags
from mailcheck.records.dmarc_discovery import Discovery as RecordDiscovery
from mailcheck.records.dmarc_discovery import name_exists, name_records, psl_discovery, tree_walk, walk_names

Disposition = Literal["none", "quarantine", "reject"]
DmarcResult = Literal["pass", "fail", "none", "temperror", "permerror"]
Generation = Literal["rfc7489", "rfc9989"]
_LOWER: dict[str, Disposition] = {"reject": "quarantine", "quarantine": "none", "none": "none"}
_DISPOSITIONS: dict[str, Disposition] = {"none": "none", "quarantine": "quarantine", "reject": "reject"}

EVALUATION = CheckSpec(
    id="dmarc.evaluation",
    title="DMARC passes for the From domain",
    verifies="The From domain's DMARC policy (RFC 7489 and RFC 9989 discovery), SPF and DKIM alignment with From for each identifier, the result and the disposition a receiver applies, and why: p= for the domain that publishes the record, sp= for a subdomain that exists, np= for one that does not (NXDOMAIN, RFC 9989 §4.7); RFC 9989's record decides when it finds one.",
    why="DMARC decides whether an unauthenticated message is delivered, quarantined or rejected; only an SPF or DKIM pass for a domain aligned with From counts.",
    example=Example(
        bad="From: news@example.com, DKIM d=esp.example, SPF for bounces.esp.example",
        good="From: news@example.com, DKIM d=example.com (or d=mail.example.com, relaxed)",
        why="Sign with your own domain at the provider, so DKIM aligns with From.",
    ),
    refs=("RFC 7489 §3.1", "RFC 7489 §6.6", "RFC 9989 §4.7", "RFC 9989 §4.10", "RFC 8617 §7.2"),
)


@dataclass(frozen=True)
class FoundPolicy:
    generation: Generation
    policy_domain: str
    record: str
    tags: dict[str, str]

    @property
    def p(self) -> str:
        value = self.tags.get("p", "none").lower()
        return value if value in POLICIES else "none"

    def applied(self, domain: str, exists: bool | None) -> tuple[PolicyTag, Disposition]:
        """The tag that applies to mail from ``domain`` and the policy it asks for, by the
        domain report's rule (``records.dmarc.applied_tag``); an invalid or missing sp=
        or np= falls back as the absent tag does."""
        tag = applied_tag(
            subdomain=self.policy_domain != domain,
            nonexistent=self.generation == "rfc9989" and exists is False,
            sp_explicit=self._valid("sp") is not None,
            np_explicit=self._valid("np") is not None,
        )
        return tag, self._valid(tag) or _DISPOSITIONS[self.p]

    def _valid(self, tag: PolicyTag) -> Disposition | None:
        return _DISPOSITIONS.get(self.tags.get(tag, "").lower())

    @property
    def mode_dkim(self) -> str:
        return "strict" if self.tags.get("adkim", "r").lower() == "s" else "relaxed"

    @property
    def mode_spf(self) -> str:
        return "strict" if self.tags.get("aspf", "r").lower() == "s" else "relaxed"


@dataclass(frozen=True)
class Discovery:
    from_domain: str
    found: dict[Generation, FoundPolicy | None]
    problem: str | None = None  # a lookup that could not be answered
    # Whether the From domain exists (RFC 9989 §4.7: NXDOMAIN means it does not); None
    # when no inherited record made it worth asking, or the lookup went unanswered.
    exists: bool | None = None


@dataclass(frozen=True)
class Alignment:
    method: Literal["spf", "dkim"]
    identifier: str  # smtp.mailfrom domain or the signature's d=
    authenticated: bool
    aligned: bool
    mode: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "domain": self.identifier,
            "authenticated": self.authenticated,
            "aligned": self.aligned,
            "mode": self.mode,
        }


@dataclass(frozen=True)
class DmarcEvaluation:
    from_domain: str | None
    result: DmarcResult
    disposition: Disposition
    reason: str
    policy: FoundPolicy | None = None
    alignments: tuple[Alignment, ...] = ()
    generations: dict[str, Any] = field(default_factory=dict)
    arc_override: bool = False
    # The tag whose policy decided the disposition (p, sp, np), and what it asks for.
    policy_tag: PolicyTag | None = None
    policy_value: Disposition | None = None
    from_domain_exists: bool | None = None


class PolicyCache:
    """Discovery results for one run: every message of a domain shares one."""

    def __init__(self) -> None:
        self._found: dict[str, asyncio.Future[Discovery]] = {}
        # Started at once (the run's first message): the list is needed at the end.
        self._suffixes: asyncio.Future[Any] | None = asyncio.ensure_future(suffixes.loaded())

    async def discover(self, resolver: Resolver | None, domain: str) -> Discovery:
        # The suffix list is parsed once, in one thread: messages arriving together
        # would otherwise each start parsing it.
        if self._suffixes is None:
            self._suffixes = asyncio.ensure_future(suffixes.loaded())
        if domain not in self._found:
            self._found[domain] = asyncio.ensure_future(discover(resolver, domain, self._suffixes))
        return await self._found[domain]


async def discover(resolver: Resolver | None, domain: str, suffix_list: Awaitable[object]) -> Discovery:
    """Both generations' discovery, by the domain report's functions over the same
    answers (``records.dmarc_discovery``), and whether the From domain exists.

    ``suffix_list`` is the Public Suffix List loading; RFC 7489's organizational
    domain needs it, the tree walk does not, so the walk's questions leave first."""
    if resolver is None:
        await suffix_list
        return Discovery(domain, {"rfc7489": None, "rfc9989": None}, "no DNS in this run")
    asked = {name: _txt_at(resolver, name) for name in walk_names(domain)}
    await suffix_list
    org = suffixes.registered_domain(domain)
    if org not in asked:
        asked[org] = _txt_at(resolver, org)
    # A name below its organizational domain usually inherits the record, and then its
    # existence picks np= or sp=: asked beside the TXT lookups, not after them.
    existence = asyncio.ensure_future(name_exists(resolver, domain)) if org != domain else None
    names = list(asked)
    outcomes = await asyncio.gather(*asked.values())
    answers = {name: name_records(name, outcome) for name, outcome in zip(names, outcomes, strict=True)}
    modern, legacy = tree_walk(domain, answers), psl_discovery(domain, org, answers)
    found: dict[Generation, FoundPolicy | None] = {"rfc7489": _found(legacy), "rfc9989": _found(modern)}
    exists = None
    if modern.inherited or legacy.inherited:
        exists = await (existence or name_exists(resolver, domain))
    elif existence is not None:
        await existence
    unanswered = [answers[name] for name in names if answers[name].unavailable is not None]
    problem = None
    if unanswered and not any(found.values()):
        problem = f"could not look up _dmarc.{unanswered[0].domain} TXT: {unanswered[0].unavailable}"
    return Discovery(domain, found, problem, exists)


def _txt_at(resolver: Resolver, name: str) -> asyncio.Future[Answer | DnsError]:
    return asyncio.ensure_future(settle(resolver.query(f"_dmarc.{name}", "TXT")))


def _found(discovery: RecordDiscovery) -> FoundPolicy | None:
    if discovery.record is None or discovery.policy_domain is None:
        return None
    generation: Generation = "rfc9989" if discovery.spec == "RFC 9989" else "rfc7489"
    return FoundPolicy(generation, discovery.policy_domain, discovery.record, record_tags(discovery.record))


# -- evaluation -------------------------------------------------------------------


def aligned(identifier: str, from_domain: str, mode: str, organizational: dict[str, str] | None = None) -> bool:
    """Whether ``identifier`` aligns with ``from_domain``; ``organizational`` caches the
    registered domains already looked up (the suffix list is not cheap to ask)."""
    identifier, from_domain = identifier.lower().rstrip("."), from_domain.lower().rstrip(".")
    if mode == "strict":
        return identifier == from_domain
    known = organizational if organizational is not None else {}
    for name in (identifier, from_domain):
        if name not in known:
            known[name] = suffixes.registered_domain(name)
    return known[identifier] == known[from_domain]


def evaluate(
    discovery: Discovery | None,
    spf: SpfOutcome | None,
    signatures: Sequence[SignatureResult],
    *,
    arc_vouches: bool = False,
    untrusted_sealer: str | None = None,
) -> DmarcEvaluation:
    if discovery is None:
        return DmarcEvaluation(None, "none", "none", "the message has no single From domain to evaluate")
    domain = discovery.from_domain
    # RFC 9989 obsoletes RFC 7489: its record (and np=) decides when it finds one.
    policy = discovery.found["rfc9989"] or discovery.found["rfc7489"]
    # Without a record alignment is still worth knowing (the providers' rules ask for
    # it), judged in the default relaxed mode.
    spf_mode = policy.mode_spf if policy else "relaxed"
    dkim_mode = policy.mode_dkim if policy else "relaxed"
    alignments: list[Alignment] = []
    known: dict[str, str] = {}
    if spf is not None and spf.domain is not None:
        alignments.append(
            Alignment("spf", spf.domain, spf.result == "pass", aligned(spf.domain, domain, spf_mode, known), spf_mode)
        )
    for signature in signatures:
        if signature.domain:
            alignments.append(
                Alignment(
                    "dkim", signature.domain, signature.passed, aligned(signature.domain, domain, dkim_mode, known), dkim_mode
                )
            )
    if policy is None:
        if discovery.problem:
            return DmarcEvaluation(domain, "temperror", "none", discovery.problem, None, tuple(alignments))
        return DmarcEvaluation(
            domain, "none", "none", f"no DMARC record for {domain}: receivers apply their own judgement", None, tuple(alignments)
        )
    passing = [a for a in alignments if a.authenticated and a.aligned]
    generations: dict[str, Any] = {
        g: _disposition(found, domain, discovery.exists, bool(passing))
        for g, found in discovery.found.items()
        if found is not None
    }
    decided = generations[policy.generation]
    disposition: Disposition = decided["disposition"]
    tag, value = policy.applied(domain, discovery.exists)
    failed = DmarcEvaluation(
        domain,
        "fail",
        disposition,
        _why_not(alignments, domain),
        policy,
        tuple(alignments),
        generations,
        policy_tag=tag,
        policy_value=value,
        from_domain_exists=discovery.exists,
    )
    if passing:
        first = passing[0]
        reason = f"{first.method} {first.identifier} passes and aligns with {domain} ({first.mode})"
        return replace(failed, result="pass", disposition="none", reason=reason)
    if arc_vouches:
        return replace(
            failed,
            disposition="none",
            reason=failed.reason
            + "; a trusted ARC sealer vouches for it, so a receiver that trusts it may deliver (RFC 8617 §7.2)",
            arc_override=True,
        )
    reason = failed.reason
    if tag == "np":
        reason += f"; {domain} does not exist (NXDOMAIN), so np={value} applies (RFC 9989 §4.7)"
    if untrusted_sealer:
        # Gmail and Microsoft honour the ARC chains of forwarders they trust; say so.
        reason += f"; an ARC chain sealed by {untrusted_sealer} passes, which receivers that trust it honour (--trusted-arc-sealer {untrusted_sealer})"
    return replace(failed, reason=reason)


def _disposition(found: FoundPolicy, domain: str, exists: bool | None, passed: bool) -> dict[str, Any]:
    tag, requested = found.applied(domain, exists)
    shown = {"policy_domain": found.policy_domain, "tag": tag, "policy": requested}
    if passed:
        return {**shown, "disposition": "none"}
    applied = requested
    note = ""
    if found.generation == "rfc7489":
        pct = found.tags.get("pct", "100")
        if pct.isdigit() and int(pct) < 100:
            note = f"pct={pct}: {requested} for {pct}% of failing mail, {_LOWER[requested]} for the rest"
    elif found.tags.get("t", "n").lower() == "y":
        applied = _LOWER[requested]
        note = f"t=y (testing): {applied} instead of {requested}"
    return {**shown, "disposition": applied, "note": note}


def _why_not(alignments: Sequence[Alignment], domain: str) -> str:
    if not alignments:
        return f"no SPF domain and no DKIM signature to align with {domain}"
    parts = []
    for a in alignments:
        if not a.authenticated:
            parts.append(f"{a.method} {a.identifier} does not pass")
        elif not a.aligned:
            parts.append(f"{a.method} {a.identifier} passes but does not align with {domain} ({a.mode})")
    return "; ".join(parts)


def evaluation_check(evaluation: DmarcEvaluation) -> Check:
    subject = evaluation.from_domain or "(no From domain)"
    details: dict[str, Any] = {
        "result": evaluation.result,
        "disposition": evaluation.disposition,
        "reason": evaluation.reason,
        "from_domain": evaluation.from_domain,
        "policy_domain": evaluation.policy.policy_domain if evaluation.policy else None,
        "record": evaluation.policy.record if evaluation.policy else None,
        "policy": evaluation.policy.p if evaluation.policy else None,
        "alignment": [a.to_dict() for a in evaluation.alignments],
        "generations": evaluation.generations,
        "arc_override": evaluation.arc_override,
        "policy_tag": evaluation.policy_tag,
        "policy_value": evaluation.policy_value,
        "policy_generation": evaluation.policy.generation if evaluation.policy else None,
        "from_domain_exists": evaluation.from_domain_exists,
    }
    summary = f"dmarc={evaluation.result}, disposition {evaluation.disposition}: {evaluation.reason}"
    if evaluation.result == "pass":
        return EVALUATION.ok(subject, summary, details=details)
    if evaluation.result == "temperror":
        return EVALUATION.error(subject, summary, details=details)
    if evaluation.result == "none":
        fix = (
            f'Publish _dmarc.{subject} TXT "v=DMARC1; p=none; rua=mailto:dmarc@{subject}" and align SPF or DKIM with From.'
            if evaluation.from_domain
            else "Give the message one From address."
        )
        return EVALUATION.warn(subject, summary, details=details, fix=fix)
    fix = f"Sign with DKIM as {subject} (d={subject} or a subdomain), or send with a MAIL FROM in {subject} that SPF authorizes."
    if evaluation.arc_override or evaluation.disposition == "none":
        return EVALUATION.warn(subject, summary, details=details, fix=fix)
    return EVALUATION.fail(subject, summary, details=details, fix=fix)
