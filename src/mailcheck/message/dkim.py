"""dkim.signature: every DKIM-Signature of the message verified, each on its own.

dkimpy's ``verify()`` judges one signature and returns a bare boolean. We drive its
parts instead (tag parsing, key parsing, canonicalization, the signature check), so
each signature gets the RFC 8601 word a receiver would write and the reason: which
key, the body hash expected and computed, ``l=``, ``x=`` as of ``--at``.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from mailcheck.catalogue.spec import CheckSpec, Example
from mailcheck.message.keys import KeyAnswer, dnsfunc_for
from mailcheck.message.parse import ParsedMessage, printable
from mailcheck.model import Check

DkimResult = Literal["pass", "fail", "policy", "neutral", "temperror", "permerror"]
MIN_RSA_BITS = 1024
# dkimpy allows ten hours of clock skew on t= and x=; so do we, as receivers do.
CLOCK_SLOP = 36000
_HASHES = {b"rsa-sha256": hashlib.sha256, b"rsa-sha1": hashlib.sha1, b"ed25519-sha256": hashlib.sha256}
_QUIET = logging.getLogger("mailcheck.dkimpy")
_QUIET.addHandler(logging.NullHandler())
_QUIET.propagate = False
# A run verifies many messages signed with few keys: each key record is parsed once.
_KEY_CACHE_SIZE = 1024

SIGNATURE = CheckSpec(
    id="dkim.signature",
    title="Each DKIM signature verifies",
    verifies="Each DKIM-Signature of the message on its own: tags, key (size, k=, t=y, revoked, h=), body hash expected against computed, l=, x= as of --at, and whether From is signed and over-signed.",
    why="A receiver trusts the message only through a signature that verifies; one that fails is as if the message were unsigned, and DMARC needs one aligned with From.",
    example=Example(
        bad="DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=s1; bh=(hash of the body before a footer was added) ...",
        good="DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=s1; bh=(hash of the body as delivered) ...",
        why="Sign after the last change to the body: footers and tracking rewrites belong before signing.",
    ),
    refs=("RFC 6376 §6.1", "RFC 8301 §3.1", "RFC 8463 §3", "RFC 8601 §2.7.1"),
)


@dataclass(frozen=True)
class KeyFacts:
    name: str
    key_type: str | None = None
    bits: int | None = None
    testing: bool = False
    hashes: tuple[str, ...] = ()
    revoked: bool = False


@dataclass(frozen=True)
class SignatureResult:
    index: int
    result: DkimResult
    reason: str
    domain: str | None = None
    selector: str | None = None
    algorithm: str | None = None
    canonicalization: str | None = None
    identity: str | None = None
    signed_headers: tuple[str, ...] = ()
    body_hash_expected: str | None = None
    body_hash_computed: str | None = None
    length: int | None = None
    body_length: int | None = None
    timestamp: int | None = None
    expires: int | None = None
    key: KeyFacts | None = None
    header_b: str | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def passed(self) -> bool:
        return self.result == "pass"

    @property
    def unsigned_tail(self) -> int:
        if self.length is None or self.body_length is None:
            return 0
        return max(0, self.body_length - self.length)

    def covers(self, name: str) -> bool:
        return name.lower() in self.signed_headers


def signature_tags(message: ParsedMessage) -> list[dict[bytes, bytes] | None]:
    """The tags of each DKIM-Signature, top first; None for one that cannot be read."""
    return [_tags(h.raw.partition(b":")[2]) for h in message.headers if h.name.lower() == "dkim-signature"]


def key_names(tags: Sequence[dict[bytes, bytes] | None]) -> list[str]:
    names = []
    for tag in tags:
        if tag and b"s" in tag and b"d" in tag:
            names.append(f"{_text(tag[b's'])}._domainkey.{_text(tag[b'd'])}")
    return names


def _tags(value: bytes) -> dict[bytes, bytes] | None:
    from dkim.util import InvalidTagValueList, parse_tag_value

    try:
        return dict(parse_tag_value(value))
    except (InvalidTagValueList, ValueError):
        return None


def verify_signatures(data: bytes, answers: dict[str, KeyAnswer], at: float) -> list[SignatureResult]:
    """Every signature of ``data`` verified with the fetched keys, as of ``at`` (blocking)."""
    import dkim

    _fast_rsa_integers()
    verifier = dkim.DKIM(data, logger=_QUIET, minkey=0)
    headers = [(name, value) for name, value in verifier.headers if name.lower() == b"dkim-signature"]
    return [_verify_one(verifier, index, header, answers, at) for index, header in enumerate(headers)]


def _verify_one(
    verifier: Any, index: int, header: tuple[bytes, bytes], answers: dict[str, KeyAnswer], at: float
) -> SignatureResult:
    import dkim
    from dkim.canonicalization import CanonicalizationPolicy, InvalidCanonicalizationPolicyError

    sig = _tags(header[1])
    if sig is None:
        return SignatureResult(index, "permerror", "the signature's tags cannot be read (tag=value; ...)")
    base = _facts(index, sig)
    missing = [t.decode() for t in (b"v", b"a", b"b", b"bh", b"d", b"h", b"s") if t not in sig]
    if missing:
        return _with(base, "permerror", f"required tags missing: {', '.join(missing)}=")
    try:
        dkim.validate_signature_fields({k: v for k, v in sig.items() if k not in (b"t", b"x")})
        timestamp = int(sig[b"t"]) if b"t" in sig else None
        expires = int(sig[b"x"]) if b"x" in sig else None
    except dkim.ValidationError as exc:
        return _with(base, "permerror", str(exc))
    except ValueError:
        return _with(base, "permerror", "t= or x= is not a number")
    if "from" not in base.signed_headers:
        return _with(base, "permerror", "From is not among the signed fields (h=), which RFC 6376 requires")
    try:
        canon = CanonicalizationPolicy.from_c_value(sig.get(b"c", b"simple/simple"))
    except InvalidCanonicalizationPolicyError:
        return _with(base, "permerror", f"unknown canonicalization c={_text(sig.get(b'c', b''))}")
    body = canon.canonicalize_body(verifier.body)
    length = int(sig[b"l"]) if b"l" in sig else None
    hashed = body[:length] if length is not None else body
    computed = base64.b64encode(_HASHES[sig[b"a"]](hashed).digest()).decode()
    expected = re.sub(r"\s+", "", _text(sig[b"bh"]))
    base = _replace(
        base,
        body_hash_expected=expected,
        body_hash_computed=computed,
        length=length,
        body_length=len(body),
        timestamp=timestamp,
        expires=expires,
    )
    name = f"{base.selector}._domainkey.{base.domain}".lower()
    found = _published_key(base, name, answers.get(name))
    if isinstance(found, SignatureResult):
        return found
    key, key_text = found
    algorithm_hash = _text(sig[b"a"]).rpartition("-")[2]
    if key.hashes and algorithm_hash not in key.hashes:
        return _with(base, "permerror", f"the key allows h={':'.join(key.hashes)}, the signature uses {algorithm_hash}", key=key)
    try:
        verifier.pk, verifier.keysize, verifier.ktag, verifier.seqtlsrpt = _evaluate_pk(name, key_text)
    except (dkim.KeyFormatError, ValueError, TypeError) as exc:
        return _with(base, "permerror", f"the key at {name} cannot be read: {exc}", key=key)
    key = _replace_key(key, bits=verifier.keysize, key_type=verifier.ktag.decode() if verifier.ktag else key.key_type)
    if (verifier.ktag == b"ed25519") != sig[b"a"].startswith(b"ed25519"):
        return _with(base, "permerror", f"a={base.algorithm} does not fit the {key.key_type} key at {name}", key=key)
    if length is not None and length > len(body):
        return _with(base, "fail", f"l={length} is longer than the body ({len(body)} bytes)", key=key)
    if computed != expected:
        return _with(base, "fail", "body hash mismatch: the body changed after signing", key=key)
    try:
        # The body hash is settled above; without bh= dkimpy checks only b=, and does
        # not canonicalize and hash the body a second time.
        header_only = {tag: value for tag, value in sig.items() if tag != b"bh"}
        valid = verifier.verify_sig_process(header_only, [h.encode() for h in base.signed_headers], header, dnsfunc_for(answers))
    except dkim.DKIMException as exc:
        return _with(base, "permerror", str(exc), key=key)
    if not valid:
        return _with(base, "fail", "the signature (b=) does not verify: a signed header field changed after signing", key=key)
    return _policy(base, key, at)


def _published_key(base: SignatureResult, name: str, answer: KeyAnswer | None) -> SignatureResult | tuple[KeyFacts, str]:
    """The key record at ``name`` and its facts, or the result that ends the signature's
    verification there (no answer, no record, several, revoked)."""
    if answer is None or answer.problem == "unavailable":
        return _with(
            base,
            "temperror",
            f"could not look up the key {name} TXT: {answer.reason if answer else 'not asked'}",
            key=KeyFacts(name),
        )
    if answer.problem == "missing" or answer.text is None:
        return _with(base, "permerror", f"no key at {name} ({answer.reason or 'no TXT record'})", key=KeyFacts(name))
    if "\n" in answer.text:
        return _with(
            base, "permerror", f"{answer.text.count(chr(10)) + 1} TXT records at {name}; the key is ambiguous", key=KeyFacts(name)
        )
    key = _key_facts(name, answer.text)
    if key.revoked:
        return _with(base, "permerror", f"the key at {name} is revoked (empty p=)", key=key)
    return key, answer.text


@functools.lru_cache(maxsize=_KEY_CACHE_SIZE)
def _evaluate_pk(name: str, text: str) -> tuple[Any, int | None, bytes | None, bool]:
    """dkimpy's reading of a key record (its ASN.1 decoded), kept: it is the same for
    every message the key signed. dkimpy only reads the key it returns."""
    import dkim

    return dkim.evaluate_pk(name, text)


@functools.cache
def _fast_rsa_integers() -> None:
    """dkimpy's RSA turns bytes into integers and back one byte at a time in Python,
    half the cost of a verification; ``int.from_bytes``/``to_bytes`` give the same
    values in C. Installed once, before the first verification."""
    import dkim.crypto

    def str2int(data: bytes) -> int:
        return int.from_bytes(data, "big")

    def int2str(number: int, length: int = -1) -> bytearray:
        assert number >= 0
        if length < 0:
            return bytearray(number.to_bytes(max(1, (number.bit_length() + 7) // 8), "big"))
        # dkimpy keeps the low ``length`` bytes of a number too large for them.
        return bytearray((number & ((1 << (8 * length)) - 1)).to_bytes(length, "big"))

    dkim.crypto.str2int = str2int
    dkim.crypto.int2str = int2str


def _policy(base: SignatureResult, key: KeyFacts, at: float) -> SignatureResult:
    """A signature that verifies, judged by the rules receivers apply on top."""
    if base.algorithm == "rsa-sha1":
        return _with(base, "policy", "verifies, but rsa-sha1 must not be trusted (RFC 8301)", key=key)
    if key.key_type == "rsa" and key.bits is not None and key.bits < MIN_RSA_BITS:
        return _with(
            base, "policy", f"verifies, but the key has {key.bits} bits; receivers ignore keys under {MIN_RSA_BITS}", key=key
        )
    if base.expires is not None and base.expires < at - CLOCK_SLOP:
        return _with(base, "policy", f"verifies, but it expired (x={base.expires}) before {iso_time(at)}", key=key)
    if base.timestamp is not None and base.timestamp > at + CLOCK_SLOP:
        return _with(base, "policy", f"verifies, but it was made (t={base.timestamp}) after {iso_time(at)}", key=key)
    notes = []
    if key.testing:
        notes.append("the key is in testing mode (t=y): receivers treat the message as unsigned if it fails")
    if base.unsigned_tail:
        notes.append(f"l={base.length}: the last {base.unsigned_tail} bytes of the body are not signed")
    return _with(base, "pass", "verifies", key=key, notes=tuple(notes))


def _facts(index: int, sig: dict[bytes, bytes]) -> SignatureResult:
    signed = tuple(h.strip().lower() for h in _text(sig.get(b"h", b"")).split(":") if h.strip())
    return SignatureResult(
        index,
        "neutral",
        "",
        domain=_text(sig[b"d"]).lower().rstrip(".") if b"d" in sig else None,
        selector=_text(sig[b"s"]).lower() if b"s" in sig else None,
        algorithm=_text(sig[b"a"]).lower() if b"a" in sig else None,
        canonicalization=_text(sig.get(b"c", b"simple/simple")),
        identity=_text(sig[b"i"]) if b"i" in sig else None,
        signed_headers=signed,
        header_b=re.sub(r"\s+", "", _text(sig.get(b"b", b"")))[:12] or None,
    )


def _key_facts(name: str, text: str) -> KeyFacts:
    tags: dict[str, str] = {}
    for part in text.split(";"):
        tag, eq, value = part.partition("=")
        if eq:
            tags.setdefault(tag.strip().lower(), re.sub(r"\s+", "", value))
    flags = tags.get("t", "").split(":")
    hashes = tuple(h for h in tags.get("h", "").split(":") if h)
    return KeyFacts(name, tags.get("k", "rsa"), None, "y" in flags, hashes, revoked="p" in tags and tags["p"] == "")


def _with(base: SignatureResult, result: DkimResult, reason: str, **changes: Any) -> SignatureResult:
    # Reasons quote tags and key records: the signer's text, made printable.
    return _replace(base, result=result, reason=printable(reason), **changes)


def _replace(base: SignatureResult, **changes: Any) -> SignatureResult:
    import dataclasses

    return dataclasses.replace(base, **changes)


def _replace_key(key: KeyFacts, **changes: Any) -> KeyFacts:
    import dataclasses

    return dataclasses.replace(key, **changes)


def _text(value: bytes) -> str:
    return value.decode("utf-8", "replace")


def iso_time(at: float) -> str:
    import datetime

    return datetime.datetime.fromtimestamp(at, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- the checks -----------------------------------------------------------------


def signature_checks(results: Sequence[SignatureResult], from_count: int) -> list[Check]:
    if not results:
        return [
            SIGNATURE.warn(
                "(none)",
                "the message has no DKIM signature",
                details={"result": "none"},
                fix="Sign outgoing mail with DKIM (your provider's setting, or OpenDKIM/rspamd on your server) with d= your From domain.",
            )
        ]
    any_pass = any(r.passed for r in results)
    return [_signature_check(r, any_pass, from_count) for r in results]


def _signature_check(result: SignatureResult, any_pass: bool, from_count: int) -> Check:
    subject = f"#{result.index + 1} d={result.domain or '?'} s={result.selector or '?'}"
    from_signings = result.signed_headers.count("from")
    details: dict[str, Any] = {
        "result": result.result,
        "reason": result.reason,
        "domain": result.domain,
        "selector": result.selector,
        "algorithm": result.algorithm,
        "canonicalization": result.canonicalization,
        "signed_headers": list(result.signed_headers),
        "from_signed": from_signings > 0,
        "from_oversigned": from_signings > from_count,
        "body_hash": {"expected": result.body_hash_expected, "computed": result.body_hash_computed},
        "length": result.length,
        "unsigned_bytes": result.unsigned_tail,
        "timestamp": result.timestamp,
        "expires": result.expires,
        "key": None
        if result.key is None
        else {
            "name": result.key.name,
            "type": result.key.key_type,
            "bits": result.key.bits,
            "testing": result.key.testing,
            "hashes": list(result.key.hashes),
            "revoked": result.key.revoked,
        },
        "notes": list(result.notes),
    }
    bits = f", {result.key.key_type} {result.key.bits} bits" if result.key and result.key.bits else ""
    summary = f"dkim={result.result} ({result.algorithm or '?'}{bits}): {result.reason}"
    if result.result == "pass":
        if result.notes:
            return SIGNATURE.warn(subject, summary + "; " + result.notes[0], details=details, fix=_fix(result))
        return SIGNATURE.ok(subject, summary, details=details)
    if result.result == "temperror":
        return SIGNATURE.error(subject, summary, details=details)
    if any_pass:
        # Receivers ignore a signature that fails when another one passes (RFC 6376 §6.1).
        return SIGNATURE.warn(subject, summary + " (another signature passes)", details=details, fix=_fix(result))
    return SIGNATURE.fail(subject, summary, details=details, fix=_fix(result))


def _fix(result: SignatureResult) -> str:
    reason = result.reason
    if result.unsigned_tail:
        return "Sign without l= so that nothing can be appended to the body under your signature."
    if result.key and result.key.testing:
        return f"Remove t=y from {result.key.name} once signing works."
    if "body hash" in reason:
        return "Sign as the last step: anything that rewrites the body after signing (footers, link tracking, a mailing list) breaks it."
    if "b=" in reason:
        return (
            "A header field in h= changed after signing; sign after the last header rewrite, or stop the relay that rewrites it."
        )
    if "revoked" in reason:
        return f"Sign with a current key, or publish the key again at {result.key.name if result.key else 'the selector'}."
    if "rsa-sha1" in reason:
        return "Sign with rsa-sha256 (or ed25519-sha256 beside it)."
    if "bits" in reason:
        return "Generate a 2048-bit RSA key, publish it under a new selector, and sign with it."
    if "expired" in reason:
        return "Leave x= out, or set it well after delivery (days, not minutes)."
    if result.result == "permerror" and result.key is not None:
        return f"Publish exactly one valid v=DKIM1 key at {result.key.name}, the one the signer uses."
    return "Fix the signer's configuration so the signature carries every required tag with valid values."
