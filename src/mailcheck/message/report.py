"""One message's report: parse it, gather the SMTP facts, verify everything at once
(keys, SPF, DMARC policy, reverse DNS and blocklists all in flight together), then
judge it against the providers' rules and say first what to fix."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from mailcheck.catalogue.spec import CheckSpec, Example
from mailcheck.dns.library import LibraryResolver
from mailcheck.dns.resolver import Resolver
from mailcheck.message import arc, auth_results, compliance, dkim, dmarc, listunsub, rfc5322, spf, transport
from mailcheck.message.body import link_hosts, text_parts
from mailcheck.message.facts import GivenFacts, SmtpFacts, smtp_facts
from mailcheck.message.keys import KeyStore
from mailcheck.message.parse import NotAMessage, ParsedMessage, addresses, domain_of, parse_message
from mailcheck.model import Check, Obstacle, Report, Status, group
from mailcheck.records.dmarc import checkdmarc_dmarc
from mailcheck.sources import Source
from mailcheck.warm import Step, questions_first, start_warm_up

Kind = Literal["marketing", "transactional"]
# What a message's verification loads only once an answer needs it: dnspython's readers
# of the record types it asks, checkdmarc's DMARC parser and the links' report. Loaded
# while the first answers travel.
WARM_UP: tuple[Step, ...] = (
    "dns.rdtypes.ANY.TXT",
    "dns.rdtypes.IN.A",
    "dns.rdtypes.ANY.MX",
    checkdmarc_dmarc,
    "mailcheck.links.report",
)
OBSTACLES = (
    ("format", "Format", ("message",)),
    ("authentication", "Authentication", ("dkim", "arc", "spf", "dmarc", "auth-results")),
    ("transport", "Transport", ("received",)),
    ("reputation", "Reputation", ("blocklist", "ip", "from-domain")),
    ("feedback", "Feedback", ("list-unsubscribe", "feedback-id")),
    ("compliance", "Compliance", ("compliance",)),
)
# What to fix first: the checks that decide delivery before those that decide the folder.
_PRIORITY = ("dmarc.", "dkim.", "spf.mfrom", "message.from", "compliance.", "blocklist.", "message.", "list-unsubscribe.", "")

VERDICT = CheckSpec(
    id="message.verdict",
    title="Would this message reach the inbox",
    verifies="The message's verdict over all its checks: whether a provider would reject it (and with which reply), quarantine it, or deliver it, and the one thing to fix first.",
    why="A report of forty checks needs one line that says what happens to the message and where to start.",
    example=Example(
        bad="dmarc=fail, disposition reject: Gmail replies 550 5.7.26",
        good="authenticated (DKIM d=example.com aligned), every provider rule met",
        why="An aligned DKIM signature turns a rejection into a delivery.",
    ),
    refs=("docs/message.md",),
)


@dataclass(frozen=True)
class MessageOptions:
    given: GivenFacts = field(default_factory=GivenFacts)
    at: float | None = None  # None: now
    providers: tuple[compliance.Provider, ...] = compliance.PROVIDERS
    kind: Kind | None = None  # None: guessed from the headers
    trusted_sealers: tuple[str, ...] = ()
    reputation: bool = True


class RunState:
    """What a run shares between its messages: keys, DMARC policies, usable lists, and
    every answer that depends only on the domain or the sending IP.

    A mailbox repeats its domains and IPs: each fact below is one future per run for
    its key, which every message of that key awaits. Once it is done, a message awaits
    it without a turn of the event loop, so a message whose domain and IP were seen
    before costs no task or callback beyond the run loop's own.
    """

    def __init__(self, resolver: Resolver | None, library: LibraryResolver | None = None, timeout: float = 5.0) -> None:
        self.resolver = resolver
        self.library = library
        self.timeout = timeout
        self.keys = KeyStore(resolver)
        self.policies = dmarc.PolicyCache()
        self._keys: dict[tuple[str, ...], asyncio.Future[dict[str, Any]]] = {}
        self._briefs: dict[str, asyncio.Future[Check | None]] = {}
        # check_host() depends only on (IP, sender, HELO): a mailbox repeats them often.
        self._spf: dict[tuple[str, str, str, str], asyncio.Future[spf.SpfOutcome]] = {}
        self._discoveries: dict[str, asyncio.Future[dmarc.Discovery]] = {}
        self._fcrdns: dict[str, asyncio.Future[Check]] = {}
        self._listings: dict[tuple[str | None, tuple[str, ...]], asyncio.Future[list[Check]]] = {}
        self._lists: asyncio.Future[Any] | None = None

    def key_answers(self, names: Sequence[str]) -> asyncio.Future[dict[str, Any]]:
        return _once(self._keys, tuple(names), lambda: self.keys.fetch(names))

    def spf(self, identity: spf.Identity, ip: str, sender: str, helo: str) -> asyncio.Future[spf.SpfOutcome]:
        def evaluation() -> Coroutine[Any, Any, spf.SpfOutcome]:
            return spf.evaluate_mfrom(ip, sender, helo) if identity == "mfrom" else spf.evaluate_helo(ip, helo)

        return _once(self._spf, (identity, ip, sender.lower(), helo.lower()), evaluation)

    def discovery(self, domain: str) -> asyncio.Future[dmarc.Discovery]:
        return _once(self._discoveries, domain, lambda: self.policies.discover(self.resolver, domain))

    def fcrdns(self, ip: str) -> asyncio.Future[Check]:
        resolver = self.resolver
        assert resolver is not None  # asked only in a run with DNS
        return _once(self._fcrdns, ip, lambda: _fcrdns(resolver, ip))

    def listings(self, ip: str | None, hosts: Sequence[str]) -> asyncio.Future[list[Check]]:
        return _once(self._listings, (ip, tuple(hosts)), lambda: _listings(self, ip, hosts))

    def domain_brief(self, domain: str) -> asyncio.Future[Check | None]:
        return _once(self._briefs, domain, lambda: self._brief(domain))

    async def _brief(self, domain: str) -> Check | None:
        await questions_first("mailcheck.checks.dmarc")  # the domain checks' own code
        from mailcheck.message.domain_brief import brief_check, domain_checks

        if self.resolver is None:
            return None
        checks = await domain_checks(self.resolver, self.library, self.timeout, domain)
        return brief_check(domain, checks) if checks else None

    async def blocklists(self) -> list[Any]:
        if self.resolver is None:
            return []
        if self._lists is None:
            self._lists = asyncio.ensure_future(self._usable())
        return list(await self._lists)

    async def _usable(self) -> list[Any]:
        from mailcheck.blocklists.catalogue import select_lists
        from mailcheck.blocklists.lookup import usable_lists

        assert self.resolver is not None
        usable, _skipped = await usable_lists(self.resolver, select_lists())
        return usable


K = TypeVar("K")
V = TypeVar("V")


def _once(cache: dict[K, asyncio.Future[V]], key: K, start: Callable[[], Coroutine[Any, Any, V]]) -> asyncio.Future[V]:
    """The run's one future for ``key``, started by the first message that asks."""
    found = cache.get(key)
    if found is None:
        found = cache[key] = asyncio.ensure_future(start())
    return found


async def message_report(source: Source, state: RunState, options: MessageOptions) -> Report:
    label = source.label
    if source.error is not None:
        check = rfc5322.INPUT.error(label, f"could not read {label}: {source.error}", details={"reason": source.error})
        return Report("message", label, (Obstacle("format", "Format", (check,)),))
    try:
        message = await _off_loop(len(source.data), _parse, source)
    except NotAMessage as exc:
        check = rfc5322.not_a_message(label, str(exc))
        return Report("message", label, (Obstacle("format", "Format", (check,)),), extra={"message": {"size": source.size}})
    return await _verified(label, message, state, options)


async def _verified(label: str, message: ParsedMessage, state: RunState, options: MessageOptions) -> Report:
    at = options.at if options.at is not None else time.time()
    format_checks = rfc5322.format_checks(message, label)
    facts = smtp_facts(message, options.given)
    from_domain = _from_domain(message)
    tags = dkim.signature_tags(message)
    key_names = dkim.key_names(tags) + arc.arc_key_names(message)
    ip = facts.ip.value if facts.ip else None
    resolver = state.resolver
    parts = text_parts(message.tree)
    # Everything that needs only what the message says starts now, together; each is
    # the run's shared future for its domain or IP, most of them done already. They
    # start in this order: those that load the most code (the blocklists, the domain's
    # brief) last, so the others' questions are already out while they load.
    none: asyncio.Future[None] = _done(None)
    pending_keys = state.key_answers(key_names)
    pending_discovery = state.discovery(from_domain) if from_domain else none
    pending_fcrdns = state.fcrdns(ip) if ip and resolver else none
    pending_mfrom = _mfrom(state, facts) or none
    pending_helo = state.spf("helo", ip, "", facts.helo.value) if ip and facts.helo else none
    pending_listings = state.listings(ip, link_hosts(parts)) if options.reputation else _done([])
    pending_brief = state.domain_brief(from_domain) if from_domain and options.reputation else none
    warming = start_warm_up(WARM_UP) if resolver is not None else None
    answers = await pending_keys
    mfrom: spf.SpfOutcome | None = await pending_mfrom
    helo: spf.SpfOutcome | None = await pending_helo
    discovery: dmarc.Discovery | None = await pending_discovery
    fcrdns: Check | None = await pending_fcrdns
    listings: list[Check] = await pending_listings
    brief: Check | None = await pending_brief
    if warming is not None:
        warming.cancel()
    signatures, chain = await _off_loop(message.size, _verify, message, answers, at, options.trusted_sealers)
    untrusted = chain.sealer if chain is not None and chain.cv == "pass" and not chain.trusted else None
    evaluation = dmarc.evaluate(
        discovery, mfrom, signatures, arc_vouches=chain is not None and chain.vouches, untrusted_sealer=untrusted
    )
    auth_checks, ours_header = _auth_results(message, options, signatures, mfrom, evaluation, chain, from_domain)
    kind, kind_why = _kind(message, options)
    unsub = listunsub.read_unsubscribe(message)
    link = listunsub.body_link(parts)
    reputation: list[Check] = list(listings)
    if fcrdns is not None:
        reputation.append(fcrdns)
    if brief is not None:
        reputation.append(brief)
    checks: list[Check] = [
        *format_checks,
        *dkim.signature_checks(signatures, len(message.all("from"))),
        arc.chain_check(chain),
        _spf_check(mfrom, facts, ip, "mfrom"),
        _spf_check(helo, facts, ip, "helo"),
        dmarc.evaluation_check(evaluation),
        *auth_checks,
        *transport.transport_checks(facts.hops, facts.hop),
        *reputation,
        *listunsub.unsubscribe_checks(unsub, signatures, link, kind == "marketing"),
        listunsub.feedback_id_check(message.first("feedback-id"), signatures),
    ]
    compliance_facts = _compliance_facts(format_checks, signatures, mfrom, evaluation, fcrdns, facts, kind, unsub, link)
    checks.extend(compliance.compliance_checks(compliance_facts, options.providers))
    obstacles = group(checks, OBSTACLES)
    verdict = _verdict(label, checks, evaluation)
    extra = {
        "message": {
            "from": message.first("from"),
            "subject": message.first("subject"),
            "message_id": message.first("message-id"),
            "size": message.size,
        },
        "smtp": facts.to_dict(),
        "mail_kind": {"value": kind, "origin": "given" if options.kind else "guessed", "why": kind_why},
        "authentication_results": ours_header,
        "delivery": {"verdict": verdict.summary, "fix_first": verdict.details.get("fix_first"), "fix": verdict.fix},
    }
    return Report("message", label, (Obstacle("verdict", "Verdict", (verdict,)), *obstacles), extra=extra)


def _done(value: V) -> asyncio.Future[V]:
    future: asyncio.Future[V] = asyncio.get_running_loop().create_future()
    future.set_result(value)
    return future


# Parsing and verifying a message are pure CPU: in the loop's own thread, a mailbox of
# small messages is spared two thread hand-overs each; a large one goes to a thread so
# the DNS answers of the messages beside it are not held up behind it.
IN_LOOP_MAX_SIZE = 256 * 1024


async def _off_loop(size: int, work: Callable[..., V], *args: Any) -> V:
    if size <= IN_LOOP_MAX_SIZE:
        return work(*args)
    return await asyncio.to_thread(work, *args)


def _parse(source: Source) -> ParsedMessage:
    return parse_message(source.data, size=source.size)


def _mfrom(state: RunState, facts: SmtpFacts) -> asyncio.Future[spf.SpfOutcome] | None:
    if facts.ip is None or facts.mail_from is None:
        return None
    helo = facts.helo.value if facts.helo else ""
    return state.spf("mfrom", facts.ip.value, facts.mail_from.value, helo)


async def _listings(state: RunState, ip: str | None, hosts: Sequence[str]) -> list[Check]:
    await questions_first("mailcheck.message.reputation")
    from mailcheck.message.reputation import reputation_checks

    lists = await state.blocklists()
    if state.resolver is None or not lists:
        return []
    return await reputation_checks(state.resolver, lists, ip, hosts)


async def _fcrdns(resolver: Resolver, ip: str) -> Check:
    await questions_first("mailcheck.message.reputation")
    from mailcheck.message.reputation import fcrdns_check

    return await fcrdns_check(resolver, ip)


def _verify(
    message: ParsedMessage, answers: dict[str, Any], at: float, trusted: Sequence[str]
) -> tuple[list[dkim.SignatureResult], arc.ArcChain | None]:
    signatures = dkim.verify_signatures(message.data, answers, at)
    chain = arc.verify_chain(message.data, answers, trusted, at) if arc.has_arc(message) else None
    return signatures, chain


def _from_domain(message: ParsedMessage) -> str | None:
    values = message.all("from")
    if len(values) != 1:
        return None
    found = [addr for _, addr in addresses(values[0]) if addr]
    return domain_of(found[0]) if len(found) == 1 else None


def _spf_check(outcome: spf.SpfOutcome | None, facts: SmtpFacts, ip: str | None, identity: spf.Identity) -> Check:
    if outcome is None:
        if ip is None:
            why = "no sending IP: give --ip, or a message with the receiver's Received field"
        elif identity == "mfrom":
            why = "no MAIL FROM: give --mail-from, or a message with Return-Path"
        else:
            why = "no HELO name: give --helo, or a message with the receiver's Received field"
        return spf.unknown_ip(identity, why)
    note = facts.note(facts.ip, facts.mail_from if identity == "mfrom" else facts.helo)
    return spf.mfrom_check(outcome, note) if identity == "mfrom" else spf.helo_check(outcome, note)


def _auth_results(
    message: ParsedMessage,
    options: MessageOptions,
    signatures: Sequence[dkim.SignatureResult],
    mfrom: spf.SpfOutcome | None,
    evaluation: dmarc.DmarcEvaluation,
    chain: arc.ArcChain | None,
    from_domain: str | None,
) -> tuple[list[Check], str]:
    fields = [
        (h.name, h.value) for h in message.headers if h.name.lower() in ("authentication-results", "arc-authentication-results")
    ]
    parsed = auth_results.read_all(fields)
    ours = auth_results.Ours(
        spf=mfrom.result if mfrom else None,
        spf_domain=mfrom.domain if mfrom else None,
        dkim=tuple((s.domain or "?", s.result, s.header_b, s.reason) for s in signatures),
        dmarc=evaluation.result,
        arc=chain.cv if chain else "none",
    )
    header = auth_results.our_header(ours, mfrom.sender if mfrom else None, from_domain)
    receiver = auth_results.receiver_fields(parsed, options.given.authserv_id)
    return auth_results.header_checks(parsed, header) + auth_results.compare_checks(receiver, ours, header), header


def _kind(message: ParsedMessage, options: MessageOptions) -> tuple[Kind, str]:
    if options.kind is not None:
        return options.kind, "given"
    for name in ("list-id", "list-unsubscribe"):
        if message.first(name) is not None:
            return "marketing", f"guessed from its {name.title()} field"
    precedence = (message.first("precedence") or "").strip().lower()
    if precedence in ("bulk", "list"):
        return "marketing", f"guessed from Precedence: {precedence}"
    return "transactional", "guessed: no List-Id, List-Unsubscribe or Precedence: bulk"


def _compliance_facts(
    format_checks: Sequence[Check],
    signatures: Sequence[dkim.SignatureResult],
    mfrom: spf.SpfOutcome | None,
    evaluation: dmarc.DmarcEvaluation,
    fcrdns: Check | None,
    facts: SmtpFacts,
    kind: Kind,
    unsub: listunsub.Unsubscribe | None,
    link: str | None,
) -> compliance.Facts:
    rfc5322 = [
        c for c in format_checks if c.id in ("message.from", "message.message-id", "message.headers") and c.status is Status.FAIL
    ]
    # Signatures that verify count, the ones set aside for their small key included.
    rsa_bits = [
        s.key.bits for s in signatures if s.result in ("pass", "policy") and s.key and s.key.key_type == "rsa" and s.key.bits
    ]
    fcrdns_ok = None if fcrdns is None or fcrdns.status is Status.ERROR else fcrdns.status is Status.PASS
    return compliance.Facts(
        spf_pass=mfrom is not None and mfrom.result == "pass",
        spf_known=mfrom is not None,
        dkim_pass=any(s.passed for s in signatures),
        dkim_aligned=any(a.method == "dkim" and a.authenticated and a.aligned for a in evaluation.alignments),
        spf_aligned=any(a.method == "spf" and a.authenticated and a.aligned for a in evaluation.alignments),
        dmarc_record=evaluation.policy is not None,
        dmarc_pass=evaluation.result == "pass",
        dmarc_policy=evaluation.policy.p if evaluation.policy else None,
        ptr_ok=fcrdns_ok,
        tls=facts.hop.tls if facts.hop else None,
        format_ok=not rfc5322,
        format_problem=rfc5322[0].summary if rfc5322 else "",
        marketing=kind == "marketing",
        one_click=unsub is not None and unsub.one_click,
        unsubscribe_any=unsub is not None and bool(unsub.uris),
        body_link=link is not None,
        smallest_key=min(rsa_bits) if rsa_bits else None,
        arc_vouched=evaluation.arc_override,
    )


def _verdict(label: str, checks: Sequence[Check], evaluation: dmarc.DmarcEvaluation) -> Check:
    worst = Status.worst(c.status for c in checks)
    rejections = [c for c in checks if c.id.startswith("compliance.") and c.status is Status.FAIL]
    details: dict[str, Any] = {"status": worst.value}
    if evaluation.result == "fail" and evaluation.disposition == "reject":
        summary = f"rejected: DMARC fails for {evaluation.from_domain} and its policy is {evaluation.policy_tag or 'p'}=reject"
    elif rejections:
        first = rejections[0]
        summary = f"at risk of rejection: {first.details['provider'].capitalize()} replies {first.details['reply']} ({first.details['seen']})"
    elif evaluation.result == "fail" and evaluation.disposition == "quarantine":
        summary = (
            f"spam folder: DMARC fails for {evaluation.from_domain} and its policy is {evaluation.policy_tag or 'p'}=quarantine"
        )
    elif worst is Status.FAIL:
        summary = "delivery at risk: checks fail"
    elif worst is Status.WARN:
        summary = "likely delivered, with warnings"
    elif worst is Status.ERROR:
        summary = "no verdict: some lookups could not be answered"
    else:
        summary = "authenticated and within every provider rule checked"
    first_fix = _first_to_fix(checks)
    if first_fix is not None:
        details["fix_first"] = first_fix.id
        summary += f"; fix first: {first_fix.id} [{first_fix.subject}]"
    counts = {s.value: sum(1 for c in checks if c.status is s) for s in (Status.FAIL, Status.ERROR, Status.WARN)}
    details["counts"] = counts
    fix = f"{first_fix.fix}" if first_fix is not None and first_fix.fix else None
    return VERDICT.result(worst, label, summary, details=details, fix=fix)


def _first_to_fix(checks: Sequence[Check]) -> Check | None:
    asking = [c for c in checks if c.status.severity > 0 and c.fix]
    if not asking:
        return None
    top = max(c.status.severity for c in asking)
    serious = [c for c in asking if c.status.severity == top]
    for prefix in _PRIORITY:
        for check in serious:
            if check.id.startswith(prefix):
                return check
    return serious[0]
