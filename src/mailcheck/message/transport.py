"""received.*: the path the message took, TLS on each hop, and where it waited."""

from __future__ import annotations

from collections.abc import Sequence

from mailcheck.catalogue.spec import CheckSpec, Example
from mailcheck.message.received import Hop
from mailcheck.model import Check
from mailcheck.words import counted

# A hop slower than this is worth a look (queues, greylisting, a deferral).
SLOW_HOP_SECONDS = 15 * 60

PATH = CheckSpec(
    id="received.path",
    title="The Received path",
    verifies="Every Received field from the first hop to the last: who handed the message to whom, with which protocol, and which hop the SMTP facts came from.",
    why="The path shows where the message really came from, which server the receiver judged, and which relays came between.",
    example=Example(
        bad="Received: from unknown (HELO localhost) by mx.example.net with SMTP",
        good="Received: from mail.example.com (mail.example.com [192.0.2.1]) by mx.example.net with ESMTPS",
        why="A real HELO name and a resolvable sending host are what receivers trust.",
    ),
    refs=("RFC 5321 §4.4",),
)
TLS = CheckSpec(
    id="received.tls",
    title="TLS on each hop",
    verifies="Whether each hop's Received field records TLS (ESMTPS, ESMTPSA, a TLS version or cipher) or plain SMTP.",
    why="A hop without TLS exposes the message on the wire, and Gmail asks every sender to deliver over TLS (421 4.7.29).",
    example=Example(
        bad="Received: from mail.example.com ... by mx.example.net with ESMTP",
        good="Received: from mail.example.com ... by mx.example.net with ESMTPS (version=TLS1_3)",
        why="The sending server used STARTTLS.",
    ),
    refs=("RFC 3848 §1", "RFC 8314 §1"),
)
DELAY = CheckSpec(
    id="received.delay",
    title="Delays between hops",
    verifies="The time between consecutive Received fields, and the slowest hop.",
    why="A long wait between hops is a queue, a deferral or greylisting: the place to look when mail arrives late.",
    example=Example(
        bad="hop 2 → 3: 47 minutes (deferred: 451 4.7.1 greylisted)",
        good="every hop under a minute",
        why="A sender with a good reputation, retried promptly, is not kept waiting.",
    ),
    refs=("RFC 5321 §4.5.4.1",),
)


def transport_checks(hops: Sequence[Hop], trusted: Hop | None) -> list[Check]:
    if not hops:
        return [PATH.info("(none)", "no Received fields: a message as sent, before any hop", details={"hops": []})]
    ordered = list(reversed(hops))  # first hop first
    details = {
        "hops": [
            {
                "index": h.index,
                "from": h.from_name,
                "helo": h.helo,
                "ip": h.ip,
                "by": h.by,
                "protocol": h.protocol,
                "tls": h.tls,
                "tls_version": h.tls_version,
                "date": h.when.isoformat() if h.when else None,
            }
            for h in ordered
        ],
        "trusted_hop": trusted.index if trusted else None,
    }
    checks = [
        PATH.info(
            "path",
            f"{counted(len(hops), 'hop')}; the receiver's: {_hop_name(trusted) if trusted else 'not found'}",
            details=details,
        )
    ]
    checks.append(_tls_check(ordered, trusted))
    checks.append(_delay_check(ordered))
    return checks


def _hop_name(hop: Hop) -> str:
    return f"#{hop.index} {hop.from_name or '?'} [{hop.ip or '?'}] -> {hop.by or '?'}"


def _tls_check(ordered: Sequence[Hop], trusted: Hop | None) -> Check:
    plain = [h for h in ordered if h.tls is False and not h.internal]
    unknown = [h for h in ordered if h.tls is None]
    details = {
        "plain": [h.index for h in plain],
        "unknown": [h.index for h in unknown],
        "trusted_tls": trusted.tls if trusted else None,
    }
    if plain:
        names = ", ".join(_hop_name(h) for h in plain)
        return TLS.warn(
            "hops",
            f"{len(plain)} hops without TLS: {names}",
            details=details,
            fix="Enable STARTTLS on the sending server (and the relays named).",
        )
    with_tls = len([h for h in ordered if h.tls])
    return TLS.ok("hops", f"{with_tls} of {len(ordered)} hops record TLS; none records plain SMTP from outside", details=details)


def _delay_check(ordered: Sequence[Hop]) -> Check:
    steps = []
    for earlier, later in zip(ordered, ordered[1:], strict=False):
        if earlier.when and later.when:
            steps.append((earlier, later, (later.when - earlier.when).total_seconds()))
    if not steps:
        return DELAY.info("hops", "no two consecutive Received fields carry dates", details={"delays": []})
    total = sum(s for _, _, s in steps)
    details = {
        "delays": [{"from": a.index, "to": b.index, "seconds": round(s)} for a, b, s in steps],
        "total_seconds": round(total),
    }
    slowest = max(steps, key=lambda step: step[2])
    if slowest[2] > SLOW_HOP_SECONDS:
        return DELAY.warn(
            "hops",
            f"slowest hop #{slowest[0].index} -> #{slowest[1].index}: {_duration(slowest[2])} (queued or deferred)",
            details=details,
            fix=f"Look at the logs of {slowest[1].by or 'that server'} for deferrals (4xx replies, greylisting).",
        )
    if any(s < -300 for _, _, s in steps):
        return DELAY.info("hops", "a later hop is dated before an earlier one: a server's clock is wrong", details=details)
    return DELAY.ok("hops", f"{_duration(total)} from first to last hop; slowest {_duration(slowest[2])}", details=details)


def _duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds / 3600:.1f} h"
