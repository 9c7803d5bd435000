"""What a STARTTLS handshake showed: protocol, cipher, and the server's certificate.

Public API (stable, shared with ``mailcheck domain``'s transport checks):

- ``TlsInfo``: frozen result; ``to_dict()`` for reports.
- ``client_context(verify, ca_file)``: the ``ssl.SSLContext`` a probe handshakes with.
- ``tls_info(ssl_object, host, trusted, trust_error)``: read a finished handshake.
- ``certificate_facts(der)`` and ``hostname_matches(host, sans)``: the pieces.

How trust is decided: Python 3.11 cannot hand over the peer's whole chain, so the
session first handshakes with ``CERT_REQUIRED`` (system trust store plus ``--ca-file``)
and ``check_hostname=False``; when OpenSSL refuses the chain, its reason (expired,
self-signed, unknown issuer) is kept and the session reconnects with ``CERT_NONE`` to
carry on over TLS, as a sending MTA doing opportunistic TLS would (RFC 7435). The host
name is matched here rather than by OpenSSL so that a mismatch is reported next to a
trusted chain instead of aborting the handshake; ``ssl.match_hostname`` is gone in 3.12.
"""

from __future__ import annotations

import ipaddress
import ssl
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True)
class TlsInfo:
    version: str  # "TLSv1.3"
    cipher: str  # "TLS_AES_256_GCM_SHA384"
    subject: str  # RFC 4514: "CN=mx.example.com"
    sans: tuple[str, ...]  # DNS names and IP addresses
    issuer: str
    not_before: datetime
    not_after: datetime
    trusted: bool  # the chain verified against the system store (+ --ca-file)
    trust_error: str | None  # OpenSSL's reason when not trusted
    hostname_match: bool  # the MX host name matches a SAN (RFC 6125)
    leaf_der: bytes = field(repr=False)

    def expired(self, now: datetime | None = None) -> bool:
        return (now or datetime.now(UTC)) > self.not_after

    def days_left(self, now: datetime | None = None) -> int:
        return (self.not_after - (now or datetime.now(UTC))).days

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "cipher": self.cipher,
            "subject": self.subject,
            "sans": list(self.sans),
            "issuer": self.issuer,
            "not_before": self.not_before.isoformat(),
            "not_after": self.not_after.isoformat(),
            "trusted": self.trusted,
            "trust_error": self.trust_error,
            "hostname_match": self.hostname_match,
        }


@dataclass(frozen=True)
class CertificateFacts:
    subject: str
    sans: tuple[str, ...]
    dns_names: tuple[str, ...]
    ip_addresses: tuple[str, ...]
    issuer: str
    not_before: datetime
    not_after: datetime


def client_context(verify: bool, ca_file: str | None = None) -> ssl.SSLContext:
    """A client context; ``verify`` checks the chain (never the name: see the module doc).

    TLS 1.2 is the floor, set here rather than left to Python's build or the system's
    OpenSSL configuration: a server that speaks only TLS 1.0/1.1 must fail this
    handshake, and ``starttls_probe.legacy_tls_version`` (its own context) then names
    the old version it does speak, for tls.version (RFC 8996).
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.check_hostname = False
    if verify:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_default_certs(ssl.Purpose.SERVER_AUTH)
        if ca_file:
            context.load_verify_locations(cafile=ca_file)
    else:
        context.verify_mode = ssl.CERT_NONE
    return context


def certificate_facts(der: bytes) -> CertificateFacts:
    from cryptography import x509

    cert = x509.load_der_x509_certificate(der)
    dns_names: list[str] = []
    ips: list[str] = []
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        dns_names = [str(n) for n in san.get_values_for_type(x509.DNSName)]
        ips = [str(a) for a in san.get_values_for_type(x509.IPAddress)]
    except x509.ExtensionNotFound:
        pass
    return CertificateFacts(
        subject=cert.subject.rfc4514_string(),
        sans=tuple(dns_names + ips),
        dns_names=tuple(dns_names),
        ip_addresses=tuple(ips),
        issuer=cert.issuer.rfc4514_string(),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
    )


def hostname_matches(host: str, dns_names: tuple[str, ...], ip_addresses: tuple[str, ...] = ()) -> bool:
    """RFC 6125 §6.4: exact match, or a '*' that is the whole left-most label.

    The subject CN is not consulted: RFC 6125 §6.4.4 allows it only without SANs, and
    public CAs have put every name in the SANs for years (CA/B Baseline Requirements).
    """
    try:
        return str(ipaddress.ip_address(host)) in {str(ipaddress.ip_address(a)) for a in ip_addresses}
    except ValueError:
        pass
    wanted = _ascii_host(host)
    for pattern in dns_names:
        pattern = _ascii_host(pattern)
        if pattern == wanted:
            return True
        if pattern.startswith("*.") and "*" not in pattern[2:]:
            head, _, rest = wanted.partition(".")
            # The wildcard stands for exactly one label, never for a public suffix alone.
            if head and rest == pattern[2:] and "." in rest:
                return True
    return False


def tls_info(ssl_object: ssl.SSLObject | ssl.SSLSocket, host: str, trusted: bool, trust_error: str | None) -> TlsInfo:
    der = ssl_object.getpeercert(binary_form=True)
    if not der:
        raise ssl.SSLError("the server sent no certificate")
    facts = certificate_facts(der)
    cipher = ssl_object.cipher()
    return TlsInfo(
        version=ssl_object.version() or "unknown",
        cipher=cipher[0] if cipher else "unknown",
        subject=facts.subject,
        sans=facts.sans,
        issuer=facts.issuer,
        not_before=facts.not_before,
        not_after=facts.not_after,
        trusted=trusted,
        trust_error=trust_error,
        hostname_match=hostname_matches(host, facts.dns_names, facts.ip_addresses),
        leaf_der=der,
    )


def verify_reason(error: ssl.SSLCertVerificationError) -> str:
    """OpenSSL's words ('certificate has expired', 'self-signed certificate', ...)."""
    return error.verify_message or error.reason or str(error)


def _ascii_host(name: str) -> str:
    name = name.strip().rstrip(".").lower()
    if name.isascii():
        return name
    import idna

    try:
        return idna.encode(name, uts46=True).decode("ascii")
    except idna.IDNAError:
        return name
