"""Turn a ``DomainProbe`` into one address's checks: its transport and its verdict.

Check ids (stable):
- ``smtp.connection`` (one per host/address tried, subject "HOST ADDRESS"): how the
  attempt ended; banner, extensions and the timed transcript in details. Pass only for
  a session in which RCPT got an answer for the address; a session that sent no RCPT
  for it (no SMTPUTF8 for an internationalized address) or ended early (a 3xx at RCPT
  among them) says what stopped it.
- ``tls.starttls`` and ``tls.certificate`` (per session that got past EHLO).
- ``acceptance.verdict`` (subject: the address): deliverable / risky / deferred /
  undeliverable / unknown, with the decoded reply. Only a 2xx at RCPT is acceptance;
  a refusal that is about the sender or the session (5.7.x, STARTTLS required) or a
  3xx protocol error is unknown, never undeliverable: it says nothing about the mailbox.
  A 3xx is no answer: the probe moved on to the next host, and the 3xx explains the
  verdict only when no other host answered.
- ``acceptance.catch-all`` (subject: the domain): accepts all / refuses unknown /
  inconclusive / not run.
- ``acceptance.provider`` (subject: the domain): a known provider's caveat.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mailcheck.catalogue.spec import CheckSpec, Example
from mailcheck.model import Check, Status
from mailcheck.smtp import providers
from mailcheck.smtp.codes import (
    Kind,
    Reply,
    classify,
    decode,
    describe_code,
    retry_hint,
)
from mailcheck.smtp.probe import Attempt, DomainProbe, ProbeOptions, RcptAnswer, Target
from mailcheck.smtp.tls_certificate import TLS_CERTIFICATE

CONNECTION = CheckSpec(
    id="smtp.connection",
    title="How each probe session with an MX ended",
    verifies=(
        "`mailcheck probe` reports one check per MX address it tried, with the banner, the "
        "ESMTP extensions and (with --verbose) the timed transcript. Pass when RCPT got an "
        "answer for the address in that session; any other ending (connection refused or "
        "timed out, a banner other than 220, a refusal at EHLO or MAIL, a 3xx at RCPT, a "
        "broken session, or a session that sent no RCPT for the address because the server "
        "lacks the SMTPUTF8 an internationalized address needs) says what stopped it, and "
        "warns when another MX answered for the address or is an error when none did."
    ),
    why=(
        "It shows where and why a probe was turned away: a refused connection or a 554 "
        "banner is a fact about the MX or about the prober's address, not about the mailbox, "
        "and explains an 'unknown' verdict."
    ),
    example=Example(
        bad="S: 554 5.7.1 mx.example.com Service unavailable; client [192.0.2.99] blocked",
        good=("S: 220 mx.example.com ESMTP\n...\nC: RCPT TO:<alice@example.com>\nS: 250 2.1.5 OK"),
        why=("Probing from a host with a clean address and proper DNS lets the session reach RCPT."),
    ),
    refs=("RFC 5321 §5.1",),
)

TLS_STARTTLS = CheckSpec(
    id="tls.starttls",
    title="STARTTLS in the probe's session",
    verifies=(
        "`mailcheck probe` reports, for each session that got past EHLO, what became of "
        "STARTTLS: pass when TLS 1.2 or newer was negotiated (version and cipher shown); "
        "warn when the server does not advertise STARTTLS, refuses the command, or the "
        "handshake fails. After a failed handshake the probe retries the address in plain "
        "text, as an opportunistic sender does, and that retry warns too; --no-tls gives a "
        "skip."
    ),
    why=(
        "Without TLS the session, and the mail of real senders, travels in clear text. A "
        "broken handshake makes senders that require TLS give up and the others fall back "
        "to plain text."
    ),
    example=Example(
        bad="C: STARTTLS\nS: 454 4.7.0 TLS not available due to temporary reason",
        good="C: STARTTLS\nS: 220 2.0.0 Ready to start TLS   (TLSv1.3 negotiated)",
        why="The server has a usable certificate and key, so it accepts STARTTLS and TLS starts.",
    ),
    refs=("RFC 3207", "RFC 7435"),
)

VERDICT = CheckSpec(
    id="acceptance.verdict",
    title="The address is accepted at RCPT TO",
    verifies=(
        "`mailcheck probe` walks the domain's MX hosts in preference order through EHLO, "
        "STARTTLS when offered, MAIL FROM and RCPT TO, never sending DATA, and judges the RCPT "
        "reply. A 2xx is pass (deliverable), or warn (risky) when the catch-all test shows the "
        "server accepts any address; a 4xx is warn (deferred); a 5xx that refuses the address, "
        "a domain that does not exist, a null MX or no host to deliver to is fail "
        "(undeliverable). A 5.7.x refusal at RCPT is error (unknown): it refuses the sender "
        "(its IP, HELO name or reputation), not the mailbox, and so does a STARTTLS-required "
        "refusal. A 3xx at RCPT is a protocol error, no answer: the probe moves on to the "
        "next MX host as after any failure of one host, and the verdict is error (unknown) "
        "when no other host answers. No RCPT answer from any host (timeouts, port 25 "
        "blocked, DNS failure, a refusal before RCPT, no SMTPUTF8 for an internationalized "
        "address) is error (unknown) too."
    ),
    why=(
        "Mail to a mailbox that does not exist bounces, and a high bounce rate costs the "
        "sender reputation with receivers. The RCPT reply is the server's own statement about "
        "the address, short of sending a message."
    ),
    example=Example(
        bad="C: RCPT TO:<old.name@example.com>\nS: 550 5.1.1 <old.name@example.com>: Recipient address rejected: User unknown",
        good="C: RCPT TO:<jane@example.com>\nS: 250 2.1.5 Ok",
        why="The server knows the second mailbox; the first one should be removed from the list.",
    ),
    refs=(
        "RFC 5321 §4.2",
        "RFC 5321 §4.2.1",
        "RFC 5321 §4.3.2",
        "RFC 3463",
        "RFC 3207",
        "RFC 5321 §4.5.4.1",
        "RFC 6647",
        "RFC 5321 §5.1",
        "RFC 7505 §3",
    ),
)

CATCH_ALL = CheckSpec(
    id="acceptance.catch-all",
    title="The server refuses unknown addresses",
    verifies=(
        "After the first probed address of a domain is accepted, mailcheck starts a new "
        "transaction and asks RCPT TO for a random address (mailcheck-<16 hex digits>@domain). "
        "Accepted is warn (accepts all), a 5xx is pass (refuses unknown), a 4xx or a failed "
        "MAIL FROM or session is info (inconclusive), and skip when the test did not run "
        "because no address was accepted or --no-catch-all was given."
    ),
    why=(
        "A catch-all server accepts every address at RCPT and bounces or drops mail to unknown "
        "ones later, so its 250 proves nothing about the mailbox. A catch-all result turns an "
        "accepted address's verdict from deliverable into risky."
    ),
    example=Example(
        bad="C: RCPT TO:<mailcheck-3f0c9a1b2d4e5f60@example.com>\nS: 250 2.1.5 Ok",
        good="C: RCPT TO:<mailcheck-3f0c9a1b2d4e5f60@example.com>\nS: 550 5.1.1 User unknown",
        why="The server checks recipients against its directory at RCPT instead of accepting any name.",
    ),
    refs=("RFC 5321 §3.3",),
)

PROVIDER = CheckSpec(
    id="acceptance.provider",
    title="The provider's acceptance at RCPT proves little",
    verifies=(
        "Appears when an MX host belongs to Yahoo (*.yahoodns.net) or Microsoft 365 "
        "(*.mail.protection.outlook.com, *.olc.protection.outlook.com), whose 250 at RCPT does "
        "not show that the mailbox exists. Warn when the verdict is deliverable or risky, info "
        "for the other verdicts; other providers get no such check."
    ),
    why=(
        "Yahoo accepts every recipient at RCPT and bounces unknown ones after DATA; Microsoft "
        "365 accepts any recipient unless the tenant turned on Directory-Based Edge Blocking. A "
        "probe that stops before DATA cannot tell a real mailbox from a bounce to come."
    ),
    example=Example(
        bad=(
            "example.com. MX 0 example-com.mail.protection.outlook.com.\n"
            "C: RCPT TO:<nobody@example.com>\nS: 250 2.1.5 Recipient OK   (Directory-Based Edge Blocking off)"
        ),
        good="C: RCPT TO:<nobody@example.com>\nS: 550 5.4.1 Recipient address rejected: Access denied   (Directory-Based Edge Blocking on)",
        why=(
            "With edge blocking on, the tenant refuses unknown recipients at RCPT; mailcheck cannot "
            "see the setting, so it keeps the caveat on accepted addresses."
        ),
    ),
    refs=(
        "https://senders.yahooinc.com/smtp-error-codes",
        "https://learn.microsoft.com/exchange/mail-flow-best-practices/use-directory-based-edge-blocking",
    ),
)

DELIVERABLE = "deliverable"
RISKY = "risky"
DEFERRED = "deferred"
UNDELIVERABLE = "undeliverable"
UNKNOWN = "unknown"

VERDICT_STATUS = {
    DELIVERABLE: Status.PASS,
    RISKY: Status.WARN,
    DEFERRED: Status.WARN,
    UNDELIVERABLE: Status.FAIL,
    UNKNOWN: Status.ERROR,
}

PORT_BLOCKED = "outbound port {port} seems blocked on this network; many cloud and home providers block it"


@dataclass(frozen=True)
class Verdict:
    name: str
    check: Check


def reply_phrase(reply: Reply) -> str:
    """ "550 5.1.1 mailbox unknown — 'User unknown'": code, class words, the server's text."""
    head = f"{reply.code} {reply.enhanced}" if reply.enhanced else str(reply.code)
    meaning = classify(reply)
    # Unclassified replies read better in the registry's words for their code.
    words = describe_code(reply.code) if meaning.kind in (Kind.TEMPORARY, Kind.PERMANENT) else meaning.words
    # Whole: the useful part of a refusal is often at its end ("... using zen.spamhaus.org").
    return f"{head} {words} — '{reply.text}'"


def verdict(target: Target, probe: DomainProbe, options: ProbeOptions) -> Verdict:
    answer = probe.answers.get(target.smtp) or probe.protocol_errors.get(target.smtp)
    if answer is not None:
        return _answered(target, probe, answer)
    return _unanswered(target, probe, options)


def _answered(target: Target, probe: DomainProbe, answer: RcptAnswer) -> Verdict:
    reply, where = answer.reply, f"({answer.endpoint.label})"
    meaning = classify(reply)
    provider = providers.recognise(r.host for r in probe.mx)
    details: dict[str, Any] = {
        "code": reply.code,
        "enhanced": str(reply.enhanced) if reply.enhanced else None,
        "decoded": decode(reply),
        "kind": meaning.kind.value,
        "reply": list(reply.lines),
        "host": answer.endpoint.host,
        "address": answer.endpoint.address,
        "retried_after_greylisting": answer.retried,
        "explanation": meaning.explanation,
    }
    hint = providers.reply_hint(provider, reply)
    if hint:
        details["hint"] = {"provider": hint.provider, "text": hint.text, "source": hint.source}
    fix: str | None = None
    refs: tuple[str, ...] = ("RFC 5321 §4.2", "RFC 3463")
    if reply.is_positive:
        if probe.catch_all.state == "accepts all":
            name = RISKY
            summary = f"{name}: {reply_phrase(reply)} {where}, but the server accepts any address (catch-all)"
            fix = "A catch-all server accepts at RCPT and may bounce later: treat the address as unverified."
        else:
            name = DELIVERABLE
            summary = f"{name}: {reply_phrase(reply)} {where}; catch-all test: {probe.catch_all.state}"
    elif not (reply.is_transient or reply.is_permanent):
        # A 3xx at RCPT: neither acceptance nor refusal (RFC 5321 §4.3.2 allows only 2xx,
        # 4xx and 5xx there). The probe never sends DATA, so it cannot learn more.
        name = UNKNOWN
        summary = (
            f"{name}: RCPT TO answered {reply_phrase(reply)} {where}; an intermediate 3xx reply at RCPT "
            "is a protocol error, neither acceptance nor refusal of the address"
        )
        others = {a.endpoint for a in probe.attempts} - {answer.endpoint}
        if others:
            summary += f"; no other MX host answered RCPT for it ({len(others)} more tried)"
            problem = probe.problems.get(target.smtp)
            if problem:
                details["last_problem"] = problem
        fix = "The server does not speak SMTP correctly at RCPT TO: verify the address another way (double opt-in)."
        refs = ("RFC 5321 §4.2.1", "RFC 5321 §4.3.2")
    elif reply.is_transient:
        name = DEFERRED
        hint_text = retry_hint(reply)
        details["retry_hint"] = hint_text
        summary = f"{name}: {reply_phrase(reply)} {where}; {hint_text}"
        if answer.retried:
            summary += f" (still deferred after waiting {probe.greylist_wait:g} s)"
        fix = "Retry later, as a sending MTA would; a greylisting server accepts the retry after its window."
        if meaning.kind is Kind.RATE_LIMITED:
            fix = "The server throttles the prober's IP or sender: wait, and probe less often."
        refs = ("RFC 5321 §4.2.1", "RFC 5321 §4.5.4.1", "RFC 3463", "RFC 6647")
        if meaning.kind is Kind.MAILBOX_FULL:  # not greylisting: the mailbox is there, its quota is not
            fix = "The mailbox exists but is over quota; retry later or contact the recipient."
            refs = ("RFC 5321 §4.2.1", "RFC 5321 §4.5.4.1", "RFC 3463")
    elif meaning.kind is Kind.POLICY_BLOCK:
        # 5.7.x refuses the sender (its IP, name or reputation), never the address: the
        # mailbox may well exist, so this is no verdict on it.
        name = UNKNOWN
        summary = f"{name}: {reply_phrase(reply)} {where}; the server refused the sender, not the mailbox"
        fix = _refusal_fix(meaning.kind)
    elif meaning.kind is Kind.STARTTLS_REQUIRED:
        name = UNKNOWN
        summary = f"{name}: {reply_phrase(reply)} {where}; the server refused the unencrypted session, not the mailbox"
        fix = "The server requires STARTTLS: run the probe without --no-tls."
        refs = ("RFC 5321 §4.2", "RFC 3463", "RFC 3207")
    else:
        name = UNDELIVERABLE
        summary = f"{name}: {reply_phrase(reply)} {where}"
        fix = _refusal_fix(meaning.kind)
    details["verdict"] = name
    check = VERDICT.result(VERDICT_STATUS[name], target.display, summary, details=details, fix=fix, refs=refs)
    return Verdict(name, check)


def _refusal_fix(kind: Kind) -> str:
    if kind is Kind.MAILBOX_UNKNOWN:
        return "Remove the address from your lists: mail to it bounces."
    if kind is Kind.MAILBOX_DISABLED:
        return "The mailbox is disabled: stop sending to it."
    if kind is Kind.MAILBOX_FULL:
        return "The mailbox is full: its owner must make room; retrying much later may work."
    if kind is Kind.POLICY_BLOCK:
        return (
            "The server refused the sender, not the address: probe from a host with forward-confirmed "
            "reverse DNS, a real --helo name and a clean IP (see 'mailcheck blocklist')."
        )
    return "Read the server's text: the refusal is permanent for this sender and address."


def _unanswered(target: Target, probe: DomainProbe, options: ProbeOptions) -> Verdict:
    domain = probe.domain
    details: dict[str, Any] = {"routing": probe.routing}
    fix: str | None = None
    refs: tuple[str, ...] = ()
    if probe.routing == "nxdomain":
        name, refs = UNDELIVERABLE, ("RFC 5321 §5.1",)
        summary = f"{name}: domain does not exist — {domain} is NXDOMAIN; no connection was made"
        fix = "Check the address for typos in the domain."
    elif probe.routing == "null-mx":
        name, refs = UNDELIVERABLE, ("RFC 7505 §3",)
        summary = f"{name}: the domain declares it accepts no mail (RFC 7505) — {domain} has a null MX; no connection was made"
        fix = "Stop sending to this domain: it publishes that it receives no mail."
    elif probe.routing == "no-host":
        name, refs = UNDELIVERABLE, ("RFC 5321 §5.1",)
        summary = f"{name}: {probe.routing_detail}; no server receives mail for {domain}"
    elif probe.routing in ("dns-error", "crash"):
        name = UNKNOWN
        summary = f"{name}: {probe.routing_detail or 'could not resolve the MX hosts'}"
    elif probe.timed_out:
        name = UNKNOWN
        summary = f"{name}: the probe of {domain} ran out of its overall time bound ({options.overall:g} s)"
    elif probe.attempts and all(a.ending == "timeout" for a in probe.attempts):
        name = UNKNOWN
        summary = f"{name}: {PORT_BLOCKED.format(port=options.port)} (every connection to every MX of {domain} timed out)"
        details["port_blocked"] = True
        fix = f"Run the probe from a host that may open outbound connections to port {options.port}, such as a mail server."
    else:
        name = UNKNOWN
        last = next((a for a in reversed(probe.attempts) if a.stopped_by is not None), None)
        problem = probe.problems.get(target.smtp, "no MX host answered RCPT")
        if last is not None and last.stopped_by is not None:
            summary = f"{name}: {reply_phrase(last.stopped_by)} ({last.endpoint.label}); no RCPT answer"
            meaning = classify(last.stopped_by)
            details.update(
                code=last.stopped_by.code,
                enhanced=str(last.stopped_by.enhanced) if last.stopped_by.enhanced else None,
                decoded=decode(last.stopped_by),
                kind=meaning.kind.value,
                reply=list(last.stopped_by.lines),
                explanation=meaning.explanation,
                last_problem=problem,
            )
            if meaning.kind is Kind.STARTTLS_REQUIRED:
                fix = "The server requires STARTTLS: run the probe without --no-tls."
        else:
            summary = f"{name}: {problem}"
    details["verdict"] = name
    return Verdict(name, VERDICT.result(VERDICT_STATUS[name], target.display, summary, details=details, fix=fix, refs=refs))


def catch_all_check(target: Target, probe: DomainProbe) -> Check:
    state = probe.catch_all
    subject = target.domain
    shown = f"the random address {state.address}" if state.address else "a random address"
    details: dict[str, Any] = {"state": state.state, "address": state.address}
    if state.reply is not None:
        details["reply"] = list(state.reply.lines)
        details["code"] = state.reply.code
    if state.state == "accepts all":
        return CATCH_ALL.warn(
            subject,
            f"accepts all: {shown} was accepted too ({state.reply.short() if state.reply else ''})",
            details=details,
            fix="Acceptance at RCPT proves nothing at this domain: verify addresses another way (double opt-in).",
        )
    if state.state == "refuses unknown":
        return CATCH_ALL.ok(
            subject, f"refuses unknown: {shown} got {state.reply.short() if state.reply else ''}", details=details
        )
    if state.state == "inconclusive":
        return CATCH_ALL.info(subject, f"inconclusive: {shown}: {state.reason}", details=details)
    reason = state.reason
    answer = probe.answers.get(target.smtp) or probe.protocol_errors.get(target.smtp)
    if answer is not None and not answer.reply.is_positive and state.reason == "no address was accepted":
        reason = "the address was not accepted"
    return CATCH_ALL.skip(subject, f"not run: {reason}", details=details)


def provider_check(target: Target, probe: DomainProbe, verdict_name: str) -> Check | None:
    provider = providers.recognise(r.host for r in probe.mx)
    caveat = providers.acceptance_caveat(provider)
    if caveat is None:
        return None
    doubtful = verdict_name in (DELIVERABLE, RISKY)
    return PROVIDER.result(
        Status.WARN if doubtful else Status.INFO,
        target.domain,
        f"{caveat.provider}: {caveat.text}",
        details={"provider": caveat.provider, "source": caveat.source, "verdict_trusted": not doubtful},
        fix="Confirm the address another way (a real message with DSN, or double opt-in)." if doubtful else None,
        refs=(caveat.source,),
    )


def attempt_checks(attempt: Attempt, probe: DomainProbe, target: Target, verbose: bool) -> list[Check]:
    label = attempt.endpoint.label
    reached = target.smtp in probe.answers
    if attempt.ending == "answered" and target.smtp in attempt.answered:
        # Only a session in which RCPT got an answer for this address passes: reaching
        # the end of the session is not enough (no RCPT without SMTPUTF8, see probe.py).
        status = Status.PASS
    else:
        # A host that failed matters less when another one answered.
        status = Status.WARN if reached else Status.ERROR
    where = f"port {attempt.port}" + (
        ", implicit MX" if attempt.endpoint.preference is None else f", MX preference {attempt.endpoint.preference}"
    )
    details = {**attempt.to_dict(), "helo_ok": attempt.helo_ok}
    checks = [
        CONNECTION.result(
            status,
            label,
            f"{attempt.outcome} ({where})",
            details=details,
            refs=("RFC 5321 §5.1",) if status is not Status.PASS else (),
        )
    ]
    if attempt.helo_ok:
        checks.extend(_tls_checks(attempt))
    return checks


def _tls_checks(attempt: Attempt) -> list[Check]:
    label, host = attempt.endpoint.label, attempt.endpoint.host
    refs = ("RFC 3207", "RFC 7435")
    if attempt.starttls == "not offered":
        return [
            TLS_STARTTLS.warn(
                label,
                f"{host} does not offer STARTTLS: mail to it travels unencrypted",
                fix=f"Enable STARTTLS on {host} with a certificate for its name.",
                refs=refs,
            )
        ]
    if attempt.starttls == "skipped":
        if attempt.plain_retry:
            return [
                TLS_STARTTLS.warn(
                    label, f"{host} offers STARTTLS; retried in plain text after the failed TLS handshake", refs=refs
                )
            ]
        return [TLS_STARTTLS.skip(label, f"{host} offers STARTTLS; not used (--no-tls)")]
    if attempt.starttls == "refused":
        return [
            TLS_STARTTLS.warn(
                label,
                f"{host} offers STARTTLS but refused it: {attempt.starttls_detail}",
                fix=f"Fix the TLS set-up of {host}.",
                refs=refs,
            )
        ]
    if attempt.starttls == "failed" or attempt.tls is None:
        return [
            TLS_STARTTLS.warn(
                label,
                f"STARTTLS with {host} failed: {attempt.starttls_detail}",
                fix=f"Fix the TLS set-up of {host}: senders that require TLS cannot deliver to it.",
                refs=refs,
            )
        ]
    tls = attempt.tls
    checks = [
        TLS_STARTTLS.ok(label, f"STARTTLS: {tls.version}, {tls.cipher}", details={"version": tls.version, "cipher": tls.cipher})
    ]
    problems = []
    if not tls.trusted:
        problems.append(f"not trusted ({tls.trust_error})")
    if not tls.hostname_match:
        problems.append(
            f"does not match {host}" if tls.sans else f"does not match {host}: no subjectAltName; clients ignore the CN"
        )
    if tls.expired():
        problems.append(f"expired on {tls.not_after:%Y-%m-%d} ({-tls.days_left()} days ago)")
    expiry = f"expires {tls.not_after:%Y-%m-%d} ({tls.days_left()} days)"
    sans = ", ".join(tls.sans) or "none"
    if problems:
        if not tls.expired():
            problems.append(expiry)
        summary = f"certificate {tls.subject} (SANs: {sans}): " + "; ".join(problems) + "; the probe carried on over TLS"
        checks.append(
            TLS_CERTIFICATE.warn(
                label,
                summary,
                details=tls.to_dict(),
                fix=f"Install a certificate from a public CA whose SANs include {host}; senders that enforce "
                "MTA-STS or DANE refuse this one.",
                refs=("RFC 6125 §6", "RFC 8461 §4.2"),
            )
        )
    else:
        summary = f"certificate for {sans} issued by {tls.issuer}, {expiry}: trusted, matches {host}"
        checks.append(TLS_CERTIFICATE.ok(label, summary, details=tls.to_dict()))
    return checks
