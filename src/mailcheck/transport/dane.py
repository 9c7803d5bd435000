"""Match a certificate against TLSA records (RFC 6698 §2.1, RFC 7671, RFC 7672).

dnspython parses TLSA records but does not match them; no well-kept library does it for
a certificate we already hold, and the rule is a few lines: pick the bytes by selector,
hash them by matching type, compare.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

USAGES = {0: "PKIX-TA", 1: "PKIX-EE", 2: "DANE-TA", 3: "DANE-EE"}
SELECTORS = {0: "Cert", 1: "SPKI"}
MATCHING = {0: "Full", 1: "SHA2-256", 2: "SHA2-512"}


@dataclass(frozen=True)
class Tlsa:
    usage: int
    selector: int
    mtype: int
    data: bytes

    def to_text(self) -> str:
        return f"{self.usage} {self.selector} {self.mtype} {self.data.hex()}"

    def describe(self) -> str:
        return (
            f"{USAGES.get(self.usage, self.usage)} {SELECTORS.get(self.selector, self.selector)} "
            f"{MATCHING.get(self.mtype, self.mtype)}"
        )


def association(der: bytes, selector: int, mtype: int) -> bytes | None:
    """The certificate association data for ``der``; None for an unknown selector or type."""
    if selector == 0:
        data = der
    elif selector == 1:
        from cryptography import x509
        from cryptography.hazmat.primitives import serialization

        key = x509.load_der_x509_certificate(der).public_key()
        data = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    else:
        return None
    if mtype == 0:
        return data
    if mtype == 1:
        return hashlib.sha256(data).digest()
    if mtype == 2:
        return hashlib.sha512(data).digest()
    return None


def matches(record: Tlsa, chain: list[bytes]) -> bool:
    """Does ``record`` match the presented certificates (leaf first)?

    DANE-EE (3) matches the leaf only. DANE-TA (2) matches any certificate of the chain
    other than the leaf; only the certificates the server sent can be tried.
    PKIX usages (0, 1) are not used for SMTP (RFC 7672 §3.1.3) and never match here.
    """
    if record.usage == 3:
        candidates = chain[:1]
    elif record.usage == 2:
        candidates = chain[1:]
    else:
        return False
    return any(association(der, record.selector, record.mtype) == record.data for der in candidates)
