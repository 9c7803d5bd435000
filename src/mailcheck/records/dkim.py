"""DKIM key records (RFC 6376 §3.6.1): their tag list, and the key they publish.

dkimpy reads the tag list and the RSA key, as verifiers that use it would; this module
adds what a diagnosis needs on top: a stricter tag name rule, the revoked key (empty
``p=``), the flags and hash list, and one error type for every way a record is broken.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

# RFC 6376 §3.2: tag-name = ALPHA *ALNUMPUNC, ALNUMPUNC = ALPHA / DIGIT / "_".
# dkimpy only checks that a name *starts* well, so "k y=1" would pass it.
_TAG_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
KeyType = Literal["rsa", "ed25519"]
KNOWN_KEY_TYPES: tuple[KeyType, ...] = ("rsa", "ed25519")


class DkimRecordError(ValueError):
    """The record cannot be read as a DKIM key record; the message says why."""


@dataclass(frozen=True)
class DkimKey:
    """What a DKIM key record publishes, as a verifier reads it."""

    tags: Mapping[str, str]
    key_type: KeyType  # k=, "rsa" when absent
    bits: int | None  # None for a revoked key
    hashes: tuple[str, ...]  # h=; () means any hash
    flags: tuple[str, ...]  # t=
    revoked: bool

    @property
    def testing(self) -> bool:
        return "y" in self.flags

    @property
    def hash_text(self) -> str:
        return ":".join(self.hashes) or "any"

    @property
    def sha1_only(self) -> bool:
        """True when h= rules out sha256, leaving verifiers only sha1 (RFC 8301 §3.1)."""
        return bool(self.hashes) and "sha256" not in self.hashes


def parse_tags(text: str) -> dict[str, str]:
    """The record's tags, names lower-cased; DkimRecordError for a broken tag list."""
    from dkim.util import DuplicateTag, InvalidTagValueList, parse_tag_value

    try:
        raw = text.encode("ascii")
    except UnicodeEncodeError:
        raise DkimRecordError("the record contains non-ASCII characters") from None
    try:
        parsed = parse_tag_value(raw)
    except DuplicateTag as exc:
        raise DkimRecordError(f"tag {_arg(exc)!r} appears twice") from None
    except InvalidTagValueList as exc:
        raise DkimRecordError(f"{_arg(exc)!r} is not a tag=value pair") from None
    tags: dict[str, str] = {}
    for name_bytes, value_bytes in parsed.items():
        name = name_bytes.decode("ascii")
        if not _TAG_NAME.fullmatch(name):
            raise DkimRecordError(f"invalid tag name {name!r}")
        # Tag names are case-sensitive in RFC 6376, but a verifier that lower-cases
        # them would see a duplicate; treat the two spellings as one tag twice.
        if name.lower() in tags:
            raise DkimRecordError(f"tag {name!r} appears twice")
        tags[name.lower()] = value_bytes.decode("ascii")
    return tags


def looks_like_key_record(text: str) -> bool:
    """Whether a TXT record at a selector name is meant as a DKIM key at all.

    Used when probing guessed selectors, where an unrelated record (a wildcard TXT,
    a site verification token) must not count as a key.
    """
    stripped = text.strip()
    return stripped.startswith("v=DKIM1") or re.search(r"(^|;)\s*p\s*=", stripped) is not None


def parse_key_record(text: str, name: str) -> DkimKey:
    """Read the key record found at ``name``; DkimRecordError when it is unusable."""
    tags = parse_tags(text)
    version = tags.get("v")
    if version is not None and version != "DKIM1":
        raise DkimRecordError(f"v={version}, expected v=DKIM1")
    if "p" not in tags:
        raise DkimRecordError("no p= tag (the public key)")
    written = tags.get("k", "rsa").lower()
    key_type = next((known for known in KNOWN_KEY_TYPES if known == written), None)
    if key_type is None:
        raise DkimRecordError(f"unknown key type k={written}")
    service = tags.get("s", "*")
    services = {s.strip() for s in service.split(":")}
    if not services & {"*", "email"}:
        raise DkimRecordError(f"s={service}: the key is not for email")
    hashes = tuple(h.strip().lower() for h in tags["h"].split(":") if h.strip()) if "h" in tags else ()
    flags = tuple(f.strip().lower() for f in tags.get("t", "").split(":") if f.strip())
    key_data = re.sub(r"\s+", "", tags["p"])
    if not key_data:
        return DkimKey(tags, key_type, None, hashes, flags, revoked=True)
    bits = _ed25519_bits(key_data) if key_type == "ed25519" else _rsa_bits(text, name)
    return DkimKey(tags, key_type, bits, hashes, flags, revoked=False)


def _rsa_bits(text: str, name: str) -> int:
    import dkim

    # dkimpy reads the key as its verifier will; its dnsfunc hook is handed the
    # record we already fetched, so this does no DNS of its own.
    try:
        _, bits, _, _ = dkim.load_pk_from_dns(name.encode("ascii"), dnsfunc=lambda _name, timeout=0: text.encode("ascii"))
    except dkim.KeyFormatError as exc:
        raise DkimRecordError(f"the RSA key in p= cannot be read: {_first_line(exc)}") from None
    except (binascii.Error, ValueError, IndexError, TypeError) as exc:
        # dkimpy lets base64 padding errors and its ASN.1 reader's slips through.
        raise DkimRecordError(f"the RSA key in p= cannot be read: {_first_line(exc)}") from None
    return int(bits)


def _ed25519_bits(key_data: str) -> int:
    # dkimpy reads Ed25519 keys only through PyNaCl, which mailcheck does not depend
    # on; cryptography (already a dependency) checks the key just as well.
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        raw = base64.b64decode(key_data, validate=True)
        Ed25519PublicKey.from_public_bytes(raw)
    except (binascii.Error, ValueError) as exc:
        raise DkimRecordError(f"the Ed25519 key in p= cannot be read: {_first_line(exc)}") from None
    return len(raw) * 8


def _arg(exc: Exception) -> str:
    arg = exc.args[0] if exc.args else ""
    return (arg.decode("ascii", "replace") if isinstance(arg, bytes) else str(arg)).strip()


def _first_line(exc: Exception) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:160]
