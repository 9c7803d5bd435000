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
from mailcheck.message.keys import KeyAnswer, dnsfunc_for
from mailcheck.message.parse import ParsedMessage
from mailcheck.model import Check

ChainStatus = Literal["pass", "fail", "none"]
_QUIET = logging.getLogger("mailcheck.dkimpy.arc")
_QUIET.addHandler(logging.NullHandler())
_QUIET.propagate = False
_TAG = re.compile(r"\b([a-z]+)\s*=\s*([^;\s]+)")

CHAIN = CheckSpec(
    id="arc.chain",
    title="The ARC chain validates",
    verifies="The ARC sets of the message (ARC-Seal, ARC-Message-Signature, ARC-Authentication-Results) instance by instance: what each sealed, what its AAR recorded, the chain's cv, and whether the newest sealer is trusted (--trusted-arc-sealer).",
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


@dataclass(frozen=True)
class ArcChain:
    cv: ChainStatus
    reason: str
    instances: tuple[ArcInstance, ...]
    sealer: str | None
    trusted: bool
    vouches: bool  # trusted, valid, and its AAR records an authentication pass


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


def verify_chain(data: bytes, answers: dict[str, KeyAnswer], trusted: Sequence[str]) -> ArcChain:
    """Blocking: dkimpy's ARC verification with the fetched keys."""
    import dkim

    try:
        cv, results, reason = dkim.ARC(data, logger=_QUIET, minkey=1024).verify(dnsfunc=dnsfunc_for(answers))
    except dkim.DKIMException as exc:
        return ArcChain("fail", str(exc), (), None, False, False)
    instances = tuple(
        sorted(
            (
                ArcInstance(
                    int(r["instance"]),
                    _text(r.get("as-domain")),
                    _text(r.get("ams-domain")),
                    bool(r.get("as-valid")),
                    bool(r.get("ams-valid")),
                    _text(r.get("cv")),
                    " ".join((_text(r.get("aar-value")) or "").split()),
                )
                for r in results
            ),
            key=lambda i: i.instance,
        )
    )
    status: ChainStatus = "pass" if cv == dkim.CV_Pass else "none" if cv == dkim.CV_None else "fail"
    sealer = instances[-1].sealer.lower() if instances and instances[-1].sealer else None
    is_trusted = sealer is not None and sealer in {t.lower().rstrip(".") for t in trusted}
    vouches = status == "pass" and is_trusted and _aar_passes(instances[-1].aar)
    return ArcChain(status, reason if isinstance(reason, str) else str(reason), instances, sealer, is_trusted, vouches)


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
        "instances": [
            {
                "instance": i.instance,
                "sealer": i.sealer,
                "signer": i.signer,
                "seal_valid": i.seal_valid,
                "signature_valid": i.signature_valid,
                "cv": i.cv,
                "aar": i.aar,
            }
            for i in chain.instances
        ],
        "lines": [
            f"i={i.instance} {i.sealer}: seal {'valid' if i.seal_valid else 'INVALID'}, signature {'valid' if i.signature_valid else 'INVALID'}, cv={i.cv}; AAR {i.aar[:120]}"
            for i in chain.instances
        ],
    }
    trust = " (trusted sealer)" if chain.trusted else ""
    subject = chain.sealer or "(chain)"
    summary = f"arc={chain.cv}, {len(chain.instances)} instances, newest by {chain.sealer}{trust}: {chain.reason}"
    if chain.cv == "pass":
        return CHAIN.ok(subject, summary, details=details)
    return CHAIN.warn(
        subject,
        summary,
        details=details,
        fix="The intermediary whose seal fails changed the message after sealing, or its key is not published; ask it to seal last.",
    )
