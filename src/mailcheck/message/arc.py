"""arc.chain: the ARC chain (RFC 8617) verified by dkimpy, instance by instance, and
whether its newest sealer is one the user trusts to vouch for forwarded mail."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from mailcheck.catalogue.spec import CheckSpec, Example
from mailcheck.message.auth_results import read_field
from mailcheck.message.dkim import CLOCK_SLOP, iso_time
from mailcheck.message.keys import KeyAnswer, dnsfunc_for
from mailcheck.message.parse import ParsedMessage
from mailcheck.model import Check

ChainStatus = Literal["pass", "fail", "none"]
_QUIET = logging.getLogger("mailcheck.dkimpy.arc")
_QUIET.addHandler(logging.NullHandler())
_QUIET.propagate = False
_TAG = re.compile(r"\b([a-z]+)\s*=\s*([^;\s]+)")
_AAR_INSTANCE = re.compile(rb"\s*i\s*=\s*(\d+)\s*;")

CHAIN = CheckSpec(
    id="arc.chain",
    title="The ARC chain validates",
    verifies="The ARC sets of the message (ARC-Seal, ARC-Message-Signature, ARC-Authentication-Results) instance by instance: what each sealed, what its AAR recorded, its t= as of --at (a set made after the verification time, beyond 10 hours of clock skew, fails the chain), the chain's cv, and whether the newest sealer is trusted (--trusted-arc-sealer).",
    why="A forwarder or mailing list breaks SPF and often DKIM; a valid ARC chain from a sealer the receiver trusts carries the original verdicts, so DMARC failures can be overridden.",
    example=Example(
        bad="ARC-Seal: i=2; cv=pass; d=list.example; ... (b= no longer verifies: the AAR of i=2 was edited)",
        good="ARC-Seal: i=2; cv=pass; d=list.example; ... (every seal verifies)",
        why="Each intermediary seals what it received without changing earlier sets.",
    ),
    refs=("RFC 8617 §5.2", "RFC 8617 §7.2"),
)


@dataclass(frozen=True)
class ArcInstance:
    instance: int
    sealer: str | None
    signer: str | None
    seal_valid: bool
    signature_valid: bool
    cv: str | None
    aar: str
    sealed_at: int | None = None  # the ARC-Seal's t=
    signed_at: int | None = None  # the ARC-Message-Signature's t=
    verified: bool = True  # False: dkimpy stopped at a newer instance before this one


@dataclass(frozen=True)
class ArcChain:
    cv: ChainStatus
    reason: str
    instances: tuple[ArcInstance, ...]
    sealer: str | None
    trusted: bool
    vouches: bool  # trusted, valid, and its AAR records an authentication pass
    at: float = 0.0  # the verification time (--at, or now)
    # Instances sealed or signed after ``at`` (beyond CLOCK_SLOP): the chain fails on them.
    future: tuple[int, ...] = ()


def arc_key_names(message: ParsedMessage) -> list[str]:
    names = []
    for header in message.headers:
        if header.name.lower() in ("arc-seal", "arc-message-signature"):
            tags = dict(_TAG.findall(header.value))
            if "s" in tags and "d" in tags:
                names.append(f"{tags['s']}._domainkey.{tags['d']}".lower())
    return names


def has_arc(message: ParsedMessage) -> bool:
    return any(h.name.lower() == "arc-seal" for h in message.headers)


def verify_chain(data: bytes, answers: dict[str, KeyAnswer], trusted: Sequence[str], at: float) -> ArcChain:
    """Blocking: dkimpy's ARC verification with the fetched keys, as of ``at`` (its
    t= and x= judgements included, RFC 8617 §4.1.3 and RFC 6376 §3.5)."""
    import dkim

    from mailcheck.message.dkimpy_clock import dkimpy_now

    verifier = dkim.ARC(data, logger=_QUIET, minkey=1024)
    try:
        with dkimpy_now(at):
            cv, results, reason = verifier.verify(dnsfunc=dnsfunc_for(answers))
        headers = _sets(verifier)
    except dkim.DKIMException as exc:
        return ArcChain("fail", str(exc), (), None, False, False, at)
    verified = {int(r["instance"]): r for r in results}
    instances = tuple(_instance(n, tags, verified.get(n)) for n, tags in sorted(headers.items()))
    status: ChainStatus = "pass" if cv == dkim.CV_Pass else "none" if cv == dkim.CV_None else "fail"
    future = tuple(i.instance for i in instances if _after(i, at))
    reason = reason if isinstance(reason, str) else str(reason)
    if future and status != "pass":
        # dkimpy's words name only a raw t=; say which instance and against what time.
        newest = max(future)
        made = next(i for i in instances if i.instance == newest)
        when = max(t for t in (made.sealed_at, made.signed_at) if t is not None)
        reason = f"ARC set i={newest} was made (t={when}) after {iso_time(at)}, the verification time"
    sealer = instances[-1].sealer.lower() if instances and instances[-1].sealer else None
    is_trusted = sealer is not None and sealer in {t.lower().rstrip(".") for t in trusted}
    vouches = status == "pass" and is_trusted and _aar_passes(instances[-1].aar)
    return ArcChain(status, reason, instances, sealer, is_trusted, vouches, at, future)


def _sets(verifier: Any) -> dict[int, dict[str, dict[bytes, bytes] | str]]:
    """Each instance's headers as written: the tags of its seal and signature, its AAR.
    Read from the parsed headers directly: dkimpy's sorted_arc_headers() canonicalizes
    every header of the message again."""
    from dkim.util import InvalidTagValueList, parse_tag_value

    sets: dict[int, dict[str, dict[bytes, bytes] | str]] = {}
    for name, value in verifier.headers:
        kind = name.decode("ascii", "replace").lower()
        if kind == "arc-authentication-results":
            number = _AAR_INSTANCE.match(value)
            if number:
                sets.setdefault(int(number.group(1)), {})[kind] = _text(value) or ""
        elif kind in ("arc-seal", "arc-message-signature"):
            try:
                tags = dict(parse_tag_value(value))
            except (InvalidTagValueList, ValueError):
                continue
            instance = _number(tags.get(b"i"))
            if instance is not None:
                sets.setdefault(instance, {})[kind] = tags
    return sets


def _instance(number: int, headers: dict[str, dict[bytes, bytes] | str], result: dict[str, Any] | None) -> ArcInstance:
    seal = headers.get("arc-seal")
    signature = headers.get("arc-message-signature")
    seal_tags = seal if isinstance(seal, dict) else {}
    signature_tags = signature if isinstance(signature, dict) else {}
    aar = headers.get("arc-authentication-results")
    if result is not None:
        aar = _text(result.get("aar-value"))
    return ArcInstance(
        number,
        _text(seal_tags.get(b"d")),
        _text(signature_tags.get(b"d")),
        bool(result and result.get("as-valid")),
        bool(result and result.get("ams-valid")),
        _text(seal_tags.get(b"cv")),
        " ".join((aar if isinstance(aar, str) else "").split()),
        _number(seal_tags.get(b"t")),
        _number(signature_tags.get(b"t")),
        verified=result is not None,
    )


def _number(value: bytes | None) -> int | None:
    return int(value) if value is not None and value.strip().isdigit() else None


def _after(instance: ArcInstance, at: float) -> bool:
    return any(t is not None and t > at + CLOCK_SLOP for t in (instance.sealed_at, instance.signed_at))


def _aar_passes(aar: str) -> bool:
    recorded = read_field("ARC-Authentication-Results", aar, 0)
    return any(r.result == "pass" for r in recorded.results if r.method in ("dmarc", "dkim", "spf"))


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def chain_check(chain: ArcChain | None) -> Check:
    if chain is None:
        return CHAIN.info(
            "(none)",
            "no ARC headers: the message was not forwarded through an ARC sealer",
            details={"cv": "none", "instances": [], "sealer": None, "trusted": False},
        )
    details = {
        "cv": chain.cv,
        "reason": chain.reason,
        "sealer": chain.sealer,
        "trusted": chain.trusted,
        "vouches": chain.vouches,
        "at": iso_time(chain.at),
        "future_instances": list(chain.future),
        "instances": [
            {
                "instance": i.instance,
                "sealer": i.sealer,
                "signer": i.signer,
                "seal_valid": i.seal_valid,
                "signature_valid": i.signature_valid,
                "verified": i.verified,
                "cv": i.cv,
                "sealed_at": i.sealed_at,
                "signed_at": i.signed_at,
                "aar": i.aar,
            }
            for i in chain.instances
        ],
    }
    trust = " (trusted sealer)" if chain.trusted else ""
    subject = chain.sealer or "(chain)"
    count = len(chain.instances)
    summary = f"arc={chain.cv}, {count} instance{'' if count == 1 else 's'}, newest by {chain.sealer}{trust}: {chain.reason}"
    if chain.cv == "pass":
        return CHAIN.ok(subject, summary, details=details)
    fix = "The intermediary whose seal fails changed the message after sealing, or its key is not published; ask it to seal last."
    if chain.future:
        fix = "Check the sealer's clock, or give --at the time the message arrived (an old message judged as of then)."
    return CHAIN.warn(subject, summary, details=details, fix=fix)
