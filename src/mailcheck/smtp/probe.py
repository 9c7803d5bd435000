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
import random
import secrets
import time
from dataclasses import dataclass, field, replace
from typing import Any

from mailcheck.checks.mx import MxRecord, is_null_mx, mx_records
from mailcheck.dns.errors import DnsUnavailable, NoRecords, NoSuchDomain
from mailcheck.dns.resolver import Resolver
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
    state: str  # "accepts all", "refuses unknown", "inconclusive", "not run"
    address: str | None = None
    reply: Reply | None = None
    reason: str = ""


@dataclass
class Attempt:
    """One connection to one address of one MX host, and how it ended."""

    endpoint: Endpoint
    port: int
    outcome: str = "not started"
    # "answered" (RCPT replies), "refused", "timeout" (connect), "failed" (anything else)
    ending: str = "failed"
    banner: Reply | None = None
    extensions: dict[str, str] = field(default_factory=dict)
    esmtp: bool = False
    helo_ok: bool = False  # EHLO or HELO was answered 250
    starttls: str = "not offered"  # "used", "not offered", "skipped", "refused", "failed"
    starttls_detail: str = ""
    tls: TlsInfo | None = None
    transcript: list[TranscriptLine] = field(default_factory=list)
    elapsed_ms: int = 0
    stopped_by: Reply | None = None  # the reply that ended the attempt early, if any
    plain_retry: bool = False  # a plain-text retry after a failed TLS handshake
    answered: list[str] = field(default_factory=list)  # Target.smtp answered at RCPT here
    # Target.smtp -> display: not asked, the server lacks the SMTPUTF8 they need (RFC 6531)
    not_asked: dict[str, str] = field(default_factory=dict)

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
            "extensions": self.extensions,
            "starttls": self.starttls,
            "plain_retry": self.plain_retry,
            "tls": self.tls.to_dict() if self.tls else None,
            "elapsed_ms": self.elapsed_ms,
            # Each line's host and address are the attempt's, above.
            "transcript": [{"ms": t.ms, "direction": t.direction, "text": t.text} for t in self.transcript],
        }


@dataclass
class DomainProbe:
    """Everything learnt about one domain: where mail goes, what each host said."""

    domain: str
    # "ok", "nxdomain", "null-mx", "no-host", "dns-error", "crash"
    routing: str = "ok"
    routing_detail: str = ""
    implicit_mx: bool = False
    mx: list[MxRecord] = field(default_factory=list)
    endpoints: list[Endpoint] = field(default_factory=list)
    unresolved_hosts: dict[str, str] = field(default_factory=dict)
    attempts: list[Attempt] = field(default_factory=list)
    answers: dict[str, RcptAnswer] = field(default_factory=dict)  # by Target.smtp
    # A 3xx at RCPT (a protocol error), by Target.smtp: not an answer, so the walk moved
    # on; the first one is kept to explain the verdict when no other host answered.
    protocol_errors: dict[str, RcptAnswer] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)  # last reason per target, no answer
    catch_all: CatchAll = field(default_factory=lambda: CatchAll("not run", reason="no address was accepted"))
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
    result = DomainProbe(domain)
    if not options.catch_all:
        result.catch_all = CatchAll("not run", reason="skipped with --no-catch-all")
    try:
        async with asyncio.timeout(options.overall):
            await _route(result, resolver, options, rng)
            if result.routing == "ok":
                await _walk(result, targets, options, host_locks)
    except TimeoutError:
        result.timed_out = True
        for attempt in result.attempts:
            if attempt.outcome == "not started":
                attempt.outcome = "stopped: the probe's overall time bound ran out"
    return result


# -- where mail goes ---------------------------------------------------------------


async def _route(result: DomainProbe, resolver: Resolver, options: ProbeOptions, rng: random.Random) -> None:
    domain = result.domain
    try:
        records = await mx_records(resolver, domain)
    except NoSuchDomain:
        result.routing = "nxdomain"
        return
    except DnsUnavailable as exc:
        result.routing, result.routing_detail = "dns-error", f"could not look up the MX of {domain}: {exc.reason}"
        return
    result.mx = records
    if is_null_mx(records):
        result.routing = "null-mx"
        return
    hosts: list[tuple[str, int | None]]
    if records:
        hosts = [(r.host, r.preference) for r in _shuffle_ties(records, rng)]
    else:
        result.implicit_mx = True
        hosts = [(domain, None)]
    dns_trouble = False
    for host, preference in hosts:
        try:
            addresses = await resolver.addresses(host)
        except (NoSuchDomain, NoRecords, DnsUnavailable) as exc:
            result.unresolved_hosts[host] = exc.reason
            dns_trouble = dns_trouble or isinstance(exc, DnsUnavailable)
            continue
        for address in addresses:
            if _family(address) in options.families:
                result.endpoints.append(Endpoint(host, address, preference))
    if not result.endpoints:
        result.routing = "dns-error" if dns_trouble else "no-host"
        if result.implicit_mx and domain in result.unresolved_hosts:
            result.routing_detail = f"{domain} has no MX and no A/AAAA records"
        elif result.unresolved_hosts and len(result.unresolved_hosts) == len(hosts):
            result.routing_detail = "no MX host resolves: " + "; ".join(
                f"{h}: {why}" for h, why in result.unresolved_hosts.items()
            )
        else:
            wanted = " and ".join(f"IPv{f}" for f in sorted(options.families))
            result.routing_detail = f"no MX host has an {wanted} address"


def _shuffle_ties(records: list[MxRecord], rng: random.Random) -> list[MxRecord]:
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


async def _walk(result: DomainProbe, targets: list[Target], options: ProbeOptions, host_locks: dict[str, asyncio.Lock]) -> None:
    pending = list(targets)
    started = time.perf_counter()
    for endpoint in result.endpoints:
        if not pending:
            break
        attempt = Attempt(endpoint, options.port)
        result.attempts.append(attempt)
        lock = host_locks.setdefault(endpoint.host, asyncio.Lock())
        async with lock:  # at most one connection at a time per MX host
            await _attempt(attempt, pending, result, options, started)
        if attempt.starttls == "failed" and attempt.ending != "answered":
            # As an opportunistic sender does (RFC 7435 §3): a broken handshake is
            # retried on the same address in plain text rather than given up.
            attempt = Attempt(endpoint, options.port, plain_retry=True)
            result.attempts.append(attempt)
            async with lock:
                await _attempt(attempt, pending, result, replace(options, tls=False), started)
        deferred = [t for t in pending if t.smtp in result.answers and result.answers[t.smtp].reply.is_transient]
        if deferred and options.retry_greylist is not None:
            result.greylist_wait = options.retry_greylist
            await asyncio.sleep(options.retry_greylist)
            for target in deferred:
                del result.answers[target.smtp]
            retry = Attempt(endpoint, options.port)
            result.attempts.append(retry)
            async with lock:
                await _attempt(retry, deferred, result, options, started, retried=True)
        pending = [t for t in pending if t.smtp not in result.answers]


async def _attempt(
    attempt: Attempt,
    targets: list[Target],
    result: DomainProbe,
    options: ProbeOptions,
    started: float,
    retried: bool = False,
) -> None:
    endpoint = attempt.endpoint
    session = SmtpSession(options.timeout, started=started)
    clock = time.perf_counter()
    try:
        banner = await session.connect(endpoint.address, options.port, endpoint.host)
        attempt.banner = banner
        if banner.code != 220:
            attempt.stopped_by = banner
            attempt.outcome = f"greeted with {banner.short()}; moved on"
            return
        attempt.extensions = await session.ehlo(options.helo)
        attempt.esmtp, attempt.helo_ok = session.esmtp, True
        await _starttls(session, attempt, options)
        for target in targets:
            if await _ask(session, attempt, target, result, options, retried):
                return
        skipped = ", ".join(attempt.not_asked.values())
        if attempt.answered:
            # Only a session in which some RCPT got an answer counts as answered.
            count = len(attempt.answered)
            attempt.ending = "answered"
            attempt.outcome = f"answered RCPT for {count} address{'es' if count != 1 else ''}"
            if skipped:
                attempt.outcome += f"; not asked for {skipped}: no SMTPUTF8 (RFC 6531)"
        else:
            need = "needs" if len(attempt.not_asked) == 1 else "need"
            attempt.outcome = f"no RCPT sent: the server does not offer SMTPUTF8, which {skipped} {need} (RFC 6531); moved on"
    except ConnectFailed as exc:
        attempt.ending = exc.reason if exc.reason in ("refused", "timeout") else "failed"
        attempt.outcome = exc.message
    except ReplyError as exc:
        attempt.stopped_by = exc.reply
        attempt.outcome = f"{exc.stage} answered {exc.reply.short()}; moved on"
    except TlsFailed as exc:
        attempt.starttls, attempt.starttls_detail = "failed", exc.message
        attempt.outcome = f"{exc.message}; retried in plain text"
    except SmtpError as exc:
        attempt.outcome = f"{_what_went_wrong(exc)}; moved on"
    finally:
        await session.quit()
        attempt.transcript = session.transcript
        attempt.elapsed_ms = round((time.perf_counter() - clock) * 1000)
        for target in targets:
            if target.smtp in attempt.not_asked and target.smtp not in result.answers:
                result.problems[target.smtp] = (
                    f"{endpoint.label} does not offer SMTPUTF8, which the internationalized "
                    f"address {target.display} needs (RFC 6531)"
                )
            elif target.smtp not in result.answers and attempt.ending != "answered":
                result.problems[target.smtp] = f"{endpoint.label}: {attempt.outcome}"


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


async def _starttls(session: SmtpSession, attempt: Attempt, options: ProbeOptions) -> None:
    if "STARTTLS" not in attempt.extensions:
        attempt.starttls = "not offered"
        return
    if not options.tls:
        attempt.starttls = "skipped"
        attempt.starttls_detail = "after the failed TLS handshake" if attempt.plain_retry else "--no-tls"
        return
    try:
        attempt.tls = await session.starttls(options.ca_file)
    except ReplyError as exc:
        if exc.reply.code == 421:
            raise
        # RFC 3207 §4: a refused STARTTLS leaves the plain session usable.
        attempt.starttls, attempt.starttls_detail = "refused", exc.reply.short()
        return
    attempt.starttls = "used"
    attempt.extensions = await session.ehlo(options.helo)
    attempt.esmtp = session.esmtp


async def _ask(
    session: SmtpSession, attempt: Attempt, target: Target, result: DomainProbe, options: ProbeOptions, retried: bool
) -> bool:
    """MAIL, RCPT (and the catch-all test) for one address; True when the session is over."""
    params: tuple[str, ...] = ()
    if target.needs_smtputf8:
        if "SMTPUTF8" not in attempt.extensions:
            attempt.not_asked[target.smtp] = target.display
            return False
        params = ("SMTPUTF8",)
    mail = await session.mail(options.mail_from, params)
    if mail.code != 250:
        attempt.stopped_by = mail
        attempt.outcome = f"MAIL FROM answered {mail.short()}; moved on"
        return True
    rcpt = await session.rcpt(target.smtp)
    if rcpt.code == 421:
        attempt.stopped_by = rcpt
        attempt.outcome = f"RCPT TO answered {rcpt.short()}; moved on"
        return True
    if rcpt.is_intermediate:
        # A 3xx (RFC 5321 §4.3.2 allows only 2xx, 4xx and 5xx at RCPT): the host does not
        # speak SMTP correctly, which says nothing about the address. Like any other
        # failure of one host, end this session (RSET, QUIT; never DATA) and move on.
        attempt.stopped_by = rcpt
        attempt.outcome = f"RCPT TO answered {rcpt.short()}, a protocol error; moved on"
        result.protocol_errors.setdefault(target.smtp, RcptAnswer(rcpt, attempt.endpoint, retried))
        if session.connected:
            try:
                await session.command("RSET", stage="RSET", timeout=min(options.timeout, 2.0))
            except SmtpError:
                pass
        return True
    result.answers[target.smtp] = RcptAnswer(rcpt, attempt.endpoint, retried)
    attempt.answered.append(target.smtp)
    if rcpt.is_positive and options.catch_all and result.catch_all.state == "not run":
        await session.rset()
        result.catch_all = await _catch_all(session, target, options, params)
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
