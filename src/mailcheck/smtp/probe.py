"""Walk a domain's MX hosts and ask each, without sending mail, about its recipients.

One ``probe_domain`` call handles every address of one domain in the same sessions:
MAIL FROM and RCPT TO per address with RSET between, a catch-all test after the first
acceptance, QUIT always. Hosts are tried in preference order (random among equals),
every address of each; the walk moves on after a refused or timed-out connection, a
421, a dead or garbled session, a 4xx/5xx before RCPT, or a 3xx at RCPT (a protocol
error: neither acceptance nor refusal; RSET and QUIT end that session, never DATA), and
stops for an address at its first RCPT answer. A 4xx at RCPT is final too: a backup MX
often accepts anything and would hide the primary's deferral. A session that asked no
RCPT (an internationalized address on a server without SMTPUTF8) is not an answer
either, and the walk moves on. The result is data (``DomainProbe``); turning it into
checks is ``mailcheck.smtp.findings``'s job.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from mailcheck.dns.errors import DnsUnavailable
from mailcheck.dns.resolver import Resolver
from mailcheck.mxhosts import MxHosts, MxLookupFailed, MxRecord, NoDomain, NoMx, NullMx, host_addresses, mx_route
from mailcheck.smtp.codes import Reply
from mailcheck.smtp.session import (
    ConnectFailed,
    ReplyError,
    SmtpError,
    SmtpSession,
    TlsFailed,
    TranscriptLine,
    session_failure,
)
from mailcheck.smtp.tls import TlsInfo

# Where mail for the domain goes; anything but "ok" means no connection was made
# ("crash": the probe itself failed, see commands/probe.py).
Routing = Literal["ok", "nxdomain", "null-mx", "no-host", "dns-error", "crash"]
CatchAllState = Literal["accepts all", "refuses unknown", "inconclusive", "not run"]
# How an attempt ended: RCPT replies, a refused or timed-out connection, anything else.
Ending = Literal["answered", "refused", "timeout", "failed"]
StartTlsState = Literal["used", "not offered", "skipped", "refused", "failed"]

STOPPED_BY_DEADLINE = "stopped: the probe's overall time bound ran out"


@dataclass(frozen=True)
class ProbeOptions:
    helo: str
    mail_from: str = ""  # "" is the null reverse-path <>
    port: int = 25
    tls: bool = True
    ca_file: str | None = None
    catch_all: bool = True
    families: frozenset[int] = frozenset({4, 6})
    timeout: float = 10.0
    retry_greylist: float | None = None

    @property
    def overall(self) -> float:
        """The whole domain's bound: enough for a dozen slow attempts, never unbounded."""
        return 24 * self.timeout + (self.retry_greylist or 0)


@dataclass(frozen=True)
class Target:
    """One address to probe: as the user sees it, and as RCPT TO carries it."""

    display: str
    smtp: str  # local part as typed, domain in A-labels
    domain: str  # A-labels
    domain_unicode: str
    needs_smtputf8: bool


@dataclass(frozen=True)
class Endpoint:
    host: str
    address: str
    preference: int | None  # None for the implicit MX (RFC 5321 §5.1)

    @property
    def label(self) -> str:
        return f"{self.host} {self.address}"


@dataclass(frozen=True)
class RcptAnswer:
    """The RCPT answer that decides an address's verdict."""

    reply: Reply
    endpoint: Endpoint
    retried: bool = False


@dataclass(frozen=True)
class CatchAll:
    state: CatchAllState
    address: str | None = None
    reply: Reply | None = None
    reason: str = ""


@dataclass(frozen=True)
class Attempt:
    """One connection to one address of one MX host, and how it ended."""

    endpoint: Endpoint
    port: int
    outcome: str = "not started"
    ending: Ending = "failed"
    banner: Reply | None = None
    extensions: Mapping[str, str] = field(default_factory=dict)
    esmtp: bool = False
    helo_ok: bool = False  # EHLO or HELO was answered 250
    starttls: StartTlsState = "not offered"
    starttls_detail: str = ""
    tls: TlsInfo | None = None
    transcript: tuple[TranscriptLine, ...] = ()
    elapsed_ms: int = 0
    stopped_by: Reply | None = None  # the reply that ended the attempt early, if any
    plain_retry: bool = False  # a plain-text retry after a failed TLS handshake
    answered: tuple[str, ...] = ()  # Target.smtp answered at RCPT here
    # Target.smtp -> display: not asked, the server lacks the SMTPUTF8 they need (RFC 6531)
    not_asked: Mapping[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "host": self.endpoint.host,
            "address": self.endpoint.address,
            "port": self.port,
            "preference": self.endpoint.preference,
            "outcome": self.outcome,
            "ending": self.ending,
            "banner": list(self.banner.lines) if self.banner else None,
            "banner_code": self.banner.code if self.banner else None,
            "esmtp": self.esmtp,
            "extensions": dict(self.extensions),
            "starttls": self.starttls,
            "plain_retry": self.plain_retry,
            "tls": self.tls.to_dict() if self.tls else None,
            "elapsed_ms": self.elapsed_ms,
            # Each line's host and address are the attempt's, above.
            "transcript": [{"ms": t.ms, "direction": t.direction, "text": t.text} for t in self.transcript],
        }


def _catch_all_not_run(enabled: bool) -> CatchAll:
    if not enabled:
        return CatchAll("not run", reason="skipped with --no-catch-all")
    return CatchAll("not run", reason="no address was accepted")


@dataclass(frozen=True)
class DomainProbe:
    """Everything learnt about one domain: where mail goes, what each host said."""

    domain: str
    routing: Routing = "ok"
    routing_detail: str = ""
    implicit_mx: bool = False
    mx: tuple[MxRecord, ...] = ()
    endpoints: tuple[Endpoint, ...] = ()
    unresolved_hosts: Mapping[str, str] = field(default_factory=dict)
    attempts: tuple[Attempt, ...] = ()
    answers: Mapping[str, RcptAnswer] = field(default_factory=dict)  # by Target.smtp
    # A 3xx at RCPT (a protocol error), by Target.smtp: not an answer, so the walk moved
    # on; the first one is kept to explain the verdict when no other host answered.
    protocol_errors: Mapping[str, RcptAnswer] = field(default_factory=dict)
    problems: Mapping[str, str] = field(default_factory=dict)  # last reason per target, no answer
    catch_all: CatchAll = field(default_factory=lambda: _catch_all_not_run(True))
    greylist_wait: float | None = None
    timed_out: bool = False


async def probe_domain(
    domain: str,
    targets: list[Target],
    resolver: Resolver,
    options: ProbeOptions,
    host_locks: dict[str, asyncio.Lock],
    rng: random.Random,
) -> DomainProbe:
    # One deadline for the whole domain, applied to each step on its own so that a step
    # it cuts short still returns what it learnt.
    deadline = asyncio.get_running_loop().time() + options.overall
    start = DomainProbe(domain, catch_all=_catch_all_not_run(options.catch_all))
    try:
        async with asyncio.timeout_at(deadline):
            routed = await _route(start, resolver, options, rng)
    except TimeoutError:
        return replace(start, timed_out=True)
    if routed.routing != "ok":
        return routed
    return await _walk(routed, targets, options, host_locks, deadline)


# -- where mail goes ---------------------------------------------------------------


async def _route(probe: DomainProbe, resolver: Resolver, options: ProbeOptions, rng: random.Random) -> DomainProbe:
    domain = probe.domain
    hosts: list[tuple[str, int | None]]
    match await mx_route(resolver, domain):
        case NoDomain():
            return replace(probe, routing="nxdomain")
        case MxLookupFailed(error):
            return replace(probe, routing="dns-error", routing_detail=f"could not look up the MX of {domain}: {error.reason}")
        case NullMx(records):
            return replace(probe, routing="null-mx", mx=records)
        case NoMx():
            probe = replace(probe, implicit_mx=True)
            hosts = [(domain, None)]
        case MxHosts(records):
            probe = replace(probe, mx=records)
            hosts = [(r.host, r.preference) for r in _shuffle_ties(records, rng)]
    endpoints: list[Endpoint] = []
    unresolved: dict[str, str] = {}
    dns_trouble = False
    resolved = await host_addresses(resolver, [host for host, _ in hosts])
    for (host, preference), (_, addresses) in zip(hosts, resolved, strict=True):
        if not isinstance(addresses, list):
            unresolved[host] = addresses.reason
            dns_trouble = dns_trouble or isinstance(addresses, DnsUnavailable)
            continue
        endpoints.extend(Endpoint(host, a, preference) for a in addresses if _family(a) in options.families)
    probe = replace(probe, endpoints=tuple(endpoints), unresolved_hosts=unresolved)
    if endpoints:
        return probe
    if probe.implicit_mx and domain in unresolved:
        detail = f"{domain} has no MX and no A/AAAA records"
    elif unresolved and len(unresolved) == len(hosts):
        detail = "no MX host resolves: " + "; ".join(f"{h}: {why}" for h, why in unresolved.items())
    else:
        wanted = " and ".join(f"IPv{f}" for f in sorted(options.families))
        detail = f"no MX host has an {wanted} address"
    return replace(probe, routing="dns-error" if dns_trouble else "no-host", routing_detail=detail)


def _shuffle_ties(records: tuple[MxRecord, ...], rng: random.Random) -> list[MxRecord]:
    """Preference order, random among equal preferences (RFC 5321 §5.1)."""
    by_preference: dict[int, list[MxRecord]] = {}
    for record in records:
        by_preference.setdefault(record.preference, []).append(record)
    ordered: list[MxRecord] = []
    for preference in sorted(by_preference):
        group = list(dict.fromkeys(by_preference[preference]))
        rng.shuffle(group)
        ordered.extend(group)
    return ordered


def _family(address: str) -> int:
    return 6 if ":" in address else 4


# -- talking to the hosts ----------------------------------------------------------


@dataclass(frozen=True)
class _Heard:
    """What one attempt learnt about the addresses it asked."""

    attempt: Attempt
    answers: Mapping[str, RcptAnswer]
    protocol_errors: Mapping[str, RcptAnswer]
    catch_all: CatchAll
    timed_out: bool = False


async def _walk(
    probe: DomainProbe, targets: list[Target], options: ProbeOptions, host_locks: dict[str, asyncio.Lock], deadline: float
) -> DomainProbe:
    attempts: list[Attempt] = []
    answers: dict[str, RcptAnswer] = {}
    protocol_errors: dict[str, RcptAnswer] = {}
    problems: dict[str, str] = {}
    catch_all = probe.catch_all
    greylist_wait: float | None = None
    pending = list(targets)
    started = time.perf_counter()

    async def attempt(
        endpoint: Endpoint, asked: list[Target], options: ProbeOptions, *, plain_retry: bool = False, retried: bool = False
    ) -> _Heard:
        nonlocal catch_all
        lock = host_locks.setdefault(endpoint.host, asyncio.Lock())  # one connection at a time per host
        heard = await _attempt(
            endpoint, asked, options, lock, deadline, catch_all, started=started, plain_retry=plain_retry, retried=retried
        )
        attempts.append(heard.attempt)
        answers.update(heard.answers)
        for smtp, answer in heard.protocol_errors.items():
            protocol_errors.setdefault(smtp, answer)
        catch_all = heard.catch_all
        problems.update(_problems(heard.attempt, asked, answers))
        if heard.timed_out:
            raise TimeoutError  # the deadline cut this attempt short: the walk ends here
        return heard

    def done(timed_out: bool = False) -> DomainProbe:
        return replace(
            probe,
            attempts=tuple(attempts),
            answers=answers,
            protocol_errors=protocol_errors,
            problems=problems,
            catch_all=catch_all,
            greylist_wait=greylist_wait,
            timed_out=timed_out,
        )

    try:
        for endpoint in probe.endpoints:
            if not pending:
                break
            heard = await attempt(endpoint, pending, options)
            if heard.attempt.starttls == "failed" and heard.attempt.ending != "answered":
                # As an opportunistic sender does (RFC 7435 §3): a broken handshake is
                # retried on the same address in plain text rather than given up.
                await attempt(endpoint, pending, replace(options, tls=False), plain_retry=True)
            deferred = [t for t in pending if t.smtp in answers and answers[t.smtp].reply.is_transient]
            if deferred and options.retry_greylist is not None:
                greylist_wait = options.retry_greylist
                async with asyncio.timeout_at(deadline):
                    await asyncio.sleep(options.retry_greylist)
                for target in deferred:
                    del answers[target.smtp]
                await attempt(endpoint, deferred, options, retried=True)
            pending = [t for t in pending if t.smtp not in answers]
    except TimeoutError:
        return done(timed_out=True)
    return done()


def _problems(attempt: Attempt, asked: list[Target], answers: Mapping[str, RcptAnswer]) -> dict[str, str]:
    """Why each address this attempt asked about is still without an answer."""
    label = attempt.endpoint.label
    problems = {}
    for target in asked:
        if target.smtp in answers:
            continue
        if target.smtp in attempt.not_asked:
            problems[target.smtp] = (
                f"{label} does not offer SMTPUTF8, which the internationalized address {target.display} needs (RFC 6531)"
            )
        elif attempt.ending != "answered":
            problems[target.smtp] = f"{label}: {attempt.outcome}"
    return problems


@dataclass
class _SessionLog:
    """What one session has learnt so far. Mutable, and private to one attempt, because
    the overall deadline may cut the session short at any await and what it learnt
    until then still counts; it leaves ``_attempt`` as a frozen ``Attempt``."""

    catch_all: CatchAll
    outcome: str = "not started"
    ending: Ending = "failed"
    banner: Reply | None = None
    extensions: dict[str, str] = field(default_factory=dict)
    esmtp: bool = False
    helo_ok: bool = False
    starttls: StartTlsState = "not offered"
    starttls_detail: str = ""
    tls: TlsInfo | None = None
    stopped_by: Reply | None = None
    answers: dict[str, RcptAnswer] = field(default_factory=dict)
    protocol_errors: dict[str, RcptAnswer] = field(default_factory=dict)
    not_asked: dict[str, str] = field(default_factory=dict)


async def _attempt(
    endpoint: Endpoint,
    targets: list[Target],
    options: ProbeOptions,
    lock: asyncio.Lock,
    deadline: float,
    catch_all: CatchAll,
    *,
    started: float,
    plain_retry: bool = False,
    retried: bool = False,
) -> _Heard:
    log = _SessionLog(catch_all)
    session = SmtpSession(options.timeout, started=started)
    clock = time.perf_counter()
    timed_out = False
    try:
        async with asyncio.timeout_at(deadline), lock:
            try:
                await _converse(session, log, endpoint, targets, options, plain_retry, retried)
            finally:
                await session.quit()
    except TimeoutError:
        timed_out = True
        if log.outcome == "not started":
            log.outcome = STOPPED_BY_DEADLINE
    attempt = Attempt(
        endpoint,
        options.port,
        outcome=log.outcome,
        ending=log.ending,
        banner=log.banner,
        extensions=log.extensions,
        esmtp=log.esmtp,
        helo_ok=log.helo_ok,
        starttls=log.starttls,
        starttls_detail=log.starttls_detail,
        tls=log.tls,
        transcript=tuple(session.transcript),
        elapsed_ms=round((time.perf_counter() - clock) * 1000),
        stopped_by=log.stopped_by,
        plain_retry=plain_retry,
        answered=tuple(log.answers),
        not_asked=log.not_asked,
    )
    return _Heard(attempt, log.answers, log.protocol_errors, log.catch_all, timed_out)


async def _converse(
    session: SmtpSession,
    log: _SessionLog,
    endpoint: Endpoint,
    targets: list[Target],
    options: ProbeOptions,
    plain_retry: bool,
    retried: bool,
) -> None:
    try:
        banner = await session.connect(endpoint.address, options.port, endpoint.host)
        log.banner = banner
        if banner.code != 220:
            log.stopped_by = banner
            log.outcome = f"greeted with {banner.short()}; moved on"
            return
        log.extensions = await session.ehlo(options.helo)
        log.esmtp, log.helo_ok = session.esmtp, True
        started_tls = await _starttls(session, log.extensions, options, plain_retry)
        log.starttls, log.starttls_detail, log.tls = started_tls.state, started_tls.detail, started_tls.tls
        if started_tls.state == "used":
            log.extensions = await session.ehlo(options.helo)
            log.esmtp = session.esmtp
        for target in targets:
            if await _ask(session, log, endpoint, target, options, retried):
                return
        skipped = ", ".join(log.not_asked.values())
        if log.answers:
            # Only a session in which some RCPT got an answer counts as answered.
            count = len(log.answers)
            log.ending = "answered"
            log.outcome = f"answered RCPT for {count} address{'es' if count != 1 else ''}"
            if skipped:
                log.outcome += f"; not asked for {skipped}: no SMTPUTF8 (RFC 6531)"
        else:
            need = "needs" if len(log.not_asked) == 1 else "need"
            log.outcome = f"no RCPT sent: the server does not offer SMTPUTF8, which {skipped} {need} (RFC 6531); moved on"
    except ConnectFailed as exc:
        log.ending = "failed" if exc.reason == "unreachable" else exc.reason
        log.outcome = exc.message
    except ReplyError as exc:
        log.stopped_by = exc.reply
        log.outcome = f"{exc.stage} answered {exc.reply.short()}; moved on"
    except TlsFailed as exc:
        log.starttls, log.starttls_detail = "failed", exc.message
        log.outcome = f"{exc.message}; retried in plain text"
    except SmtpError as exc:
        log.outcome = f"{_what_went_wrong(exc)}; moved on"


def _what_went_wrong(exc: SmtpError) -> str:
    """A server that took the connection and then failed it, named for what it did:
    it did accept connections on the port, so "cannot connect" would mislead."""
    failure = session_failure(exc)
    if failure == "silent":
        return f"accepted the connection but never greeted ({exc.message})"
    if failure == "not-smtp":
        return f"accepted the connection but does not speak SMTP: {exc.message}"
    if failure == "hung-up" and exc.stage == "banner":
        return "accepted the connection and closed it without greeting"
    return exc.message


@dataclass(frozen=True)
class _StartTls:
    state: StartTlsState
    detail: str = ""
    tls: TlsInfo | None = None


async def _starttls(session: SmtpSession, extensions: Mapping[str, str], options: ProbeOptions, plain_retry: bool) -> _StartTls:
    """What became of STARTTLS; a failed handshake raises TlsFailed (retried in plain text)."""
    if "STARTTLS" not in extensions:
        return _StartTls("not offered")
    if not options.tls:
        return _StartTls("skipped", "after the failed TLS handshake" if plain_retry else "--no-tls")
    try:
        tls = await session.starttls(options.ca_file)
    except ReplyError as exc:
        if exc.reply.code == 421:
            raise
        # RFC 3207 §4: a refused STARTTLS leaves the plain session usable.
        return _StartTls("refused", exc.reply.short())
    return _StartTls("used", tls=tls)


async def _ask(
    session: SmtpSession, log: _SessionLog, endpoint: Endpoint, target: Target, options: ProbeOptions, retried: bool
) -> bool:
    """MAIL, RCPT (and the catch-all test) for one address; True when the session is over."""
    params: tuple[str, ...] = ()
    if target.needs_smtputf8:
        if "SMTPUTF8" not in log.extensions:
            log.not_asked[target.smtp] = target.display
            return False
        params = ("SMTPUTF8",)
    mail = await session.mail(options.mail_from, params)
    if mail.code != 250:
        log.stopped_by = mail
        log.outcome = f"MAIL FROM answered {mail.short()}; moved on"
        return True
    rcpt = await session.rcpt(target.smtp)
    if rcpt.code == 421:
        log.stopped_by = rcpt
        log.outcome = f"RCPT TO answered {rcpt.short()}; moved on"
        return True
    if rcpt.is_intermediate:
        # A 3xx (RFC 5321 §4.3.2 allows only 2xx, 4xx and 5xx at RCPT): the host does not
        # speak SMTP correctly, which says nothing about the address. Like any other
        # failure of one host, end this session (RSET, QUIT; never DATA) and move on.
        log.stopped_by = rcpt
        log.outcome = f"RCPT TO answered {rcpt.short()}, a protocol error; moved on"
        log.protocol_errors.setdefault(target.smtp, RcptAnswer(rcpt, endpoint, retried))
        if session.connected:
            with contextlib.suppress(SmtpError):
                await session.command("RSET", stage="RSET", timeout=min(options.timeout, 2.0))
        return True
    log.answers[target.smtp] = RcptAnswer(rcpt, endpoint, retried)
    if rcpt.is_positive and options.catch_all and log.catch_all.state == "not run":
        await session.rset()
        log.catch_all = await _catch_all(session, target, options, params)
    if session.connected:
        await session.rset()
    return not session.connected


async def _catch_all(session: SmtpSession, target: Target, options: ProbeOptions, params: tuple[str, ...]) -> CatchAll:
    """RCPT a random address in a new transaction, after the real one (see reference.md:
    probing first, in the same transaction, makes Microsoft answer 'too many recipients')."""
    address = f"mailcheck-{secrets.token_hex(8)}@{target.domain}"
    try:
        mail = await session.mail(options.mail_from, params)
        if mail.code != 250:
            return CatchAll("inconclusive", address, mail, f"MAIL FROM answered {mail.short()}")
        reply = await session.rcpt(address)
    except SmtpError as exc:
        return CatchAll("inconclusive", address, None, exc.message)
    if reply.is_positive:
        return CatchAll("accepts all", address, reply)
    if reply.is_permanent:
        return CatchAll("refuses unknown", address, reply)
    return CatchAll("inconclusive", address, reply, f"RCPT TO answered {reply.short()}")
