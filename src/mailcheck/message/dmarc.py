"""dmarc.evaluation: the From domain's DMARC policy applied to this message.

The record is discovered both ways receivers do today: RFC 7489's (the name, then the
Public Suffix List's organizational domain) and RFC 9989's DNS tree walk (at most
eight lookups, §4.10). The tags are read the forgiving way receivers read them
(``records.dmarc.record_tags``); judging the record's syntax is the domain report's
job (``mailcheck domain``), so it is not repeated for every message of a mailbox.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from mailcheck import suffixes
from mailcheck.catalogue.spec import CheckSpec, Example
from mailcheck.dns.errors import DnsError, DnsUnavailable
from mailcheck.dns.resolver import Resolver, settle
from mailcheck.message.dkim import SignatureResult
from mailcheck.message.spf import SpfOutcome
from mailcheck.model import Check
from mailcheck.records.dmarc import DMARC_START, POLICIES, record_tags

Disposition = Literal["none", "quarantine", "reject"]
DmarcResult = Literal["pass", "fail", "none", "temperror", "permerror"]
Generation = Literal["rfc7489", "rfc9989"]
TREE_WALK_LIMIT = 8  # RFC 9989 §4.10
_LOWER: dict[str, Disposition] = {"reject": "quarantine", "quarantine": "none", "none": "none"}

EVALUATION = CheckSpec(
    id="dmarc.evaluation",
    title="DMARC passes for the From domain",
    verifies="The From domain's DMARC policy (RFC 7489 and RFC 9989 discovery), SPF and DKIM alignment with From for each identifier, the result and the disposition a receiver applies, and why.",
    why="DMARC decides whether an unauthenticated message is delivered, quarantined or rejected; only an SPF or DKIM pass for a domain aligned with From counts.",
    example=Example(
        bad="From: news@example.com, DKIM d=esp.example, SPF for bounces.esp.example",
        good="From: news@example.com, DKIM d=example.com (or d=mail.example.com, relaxed)",
        why="Sign with your own domain at the provider, so DKIM aligns with From.",
    ),
    refs=("RFC 7489 §3.1", "RFC 7489 §6.6", "RFC 9989 §4.10", "RFC 8617 §7.2"),
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
        await self._suffixes
        if domain not in self._found:
            self._found[domain] = asyncio.ensure_future(discover(resolver, domain))
        return await self._found[domain]


async def discover(resolver: Resolver | None, domain: str) -> Discovery:
    if resolver is None:
        return Discovery(domain, {"rfc7489": None, "rfc9989": None}, "no DNS in this run")
    org = suffixes.registered_domain(domain)
    names = _walk_names(domain)
    wanted = list(dict.fromkeys([domain, org, *names]))
    answers = dict(zip(wanted, await asyncio.gather(*(_record_at(resolver, name) for name in wanted)), strict=False))
    problems = [a for a in answers.values() if isinstance(a, str) and a.startswith("could not")]
    old = answers[domain] if isinstance(answers[domain], FoundPolicy) else answers[org]
    new = next((answers[name] for name in names if isinstance(answers[name], FoundPolicy)), None)
    found: dict[Generation, FoundPolicy | None] = {
        "rfc7489": _as(old, "rfc7489"),
        "rfc9989": _as(new, "rfc9989"),
    }
    problem = str(problems[0]) if problems and not any(found.values()) else None
    return Discovery(domain, found, problem)


def _walk_names(domain: str) -> list[str]:
    """RFC 9989 §4.10: the name itself, then (for long names) its last seven labels,
    then one label shorter each time, at most eight names, top-level domain included."""
    labels = domain.split(".")
    names = [domain]
    start = max(1, len(labels) - 7)
    for cut in range(start, len(labels)):
        names.append(".".join(labels[cut:]))
    return list(dict.fromkeys(names))[:TREE_WALK_LIMIT]


async def _record_at(resolver: Resolver, domain: str) -> FoundPolicy | str | None:
    answer = await settle(resolver.query(f"_dmarc.{domain}", "TXT"))
    if isinstance(answer, DnsUnavailable):
        return f"could not look up _dmarc.{domain} TXT: {answer.reason}"
    if isinstance(answer, DnsError):
        return None
    records = [text for text in answer.texts() if DMARC_START.match(text)]
    if len(records) != 1:
        return f"{len(records)} DMARC records at _dmarc.{domain}" if records else None
    return FoundPolicy("rfc7489", domain, records[0], record_tags(records[0]))


def _as(found: FoundPolicy | str | None, generation: Generation) -> FoundPolicy | None:
    if not isinstance(found, FoundPolicy):
        return None
    return FoundPolicy(generation, found.policy_domain, found.record, found.tags)


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
    policy = discovery.found["rfc7489"] or discovery.found["rfc9989"]
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
        g: _disposition(found, domain, bool(passing)) for g, found in discovery.found.items() if found is not None
    }
    disposition: Disposition = generations.get("rfc7489", generations.get("rfc9989", {})).get("disposition", "none")
    if passing:
        first = passing[0]
        reason = f"{first.method} {first.identifier} passes and aligns with {domain} ({first.mode})"
        return DmarcEvaluation(domain, "pass", "none", reason, policy, tuple(alignments), generations)
    reason = _why_not(alignments, domain)
    if arc_vouches:
        return DmarcEvaluation(
            domain,
            "fail",
            "none",
            reason + "; a trusted ARC sealer vouches for it, so a receiver that trusts it may deliver (RFC 8617 §7.2)",
            policy,
            tuple(alignments),
            generations,
            arc_override=True,
        )
    if untrusted_sealer:
        # Gmail and Microsoft honour the ARC chains of forwarders they trust; say so.
        reason += f"; an ARC chain sealed by {untrusted_sealer} passes, which receivers that trust it honour (--trusted-arc-sealer {untrusted_sealer})"
    return DmarcEvaluation(domain, "fail", disposition, reason, policy, tuple(alignments), generations)


def _disposition(found: FoundPolicy, domain: str, passed: bool) -> dict[str, Any]:
    subdomain = found.policy_domain != domain
    requested = found.tags.get("sp", found.p).lower() if subdomain else found.p
    requested = requested if requested in POLICIES else found.p
    if passed:
        return {"policy_domain": found.policy_domain, "policy": requested, "disposition": "none"}
    applied: Disposition = requested  # type: ignore[assignment]
    note = ""
    if found.generation == "rfc7489":
        pct = found.tags.get("pct", "100")
        if pct.isdigit() and int(pct) < 100:
            note = f"pct={pct}: {requested} for {pct}% of failing mail, {_LOWER[requested]} for the rest"
    elif found.tags.get("t", "n").lower() == "y":
        applied = _LOWER[requested]
        note = f"t=y (testing): {applied} instead of {requested}"
    return {"policy_domain": found.policy_domain, "policy": requested, "disposition": applied, "note": note}


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
        "lines": [
            f"{a.method} {a.identifier}: {'pass' if a.authenticated else 'not pass'}, {'aligned' if a.aligned else 'not aligned'} ({a.mode})"
            for a in evaluation.alignments
        ],
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
