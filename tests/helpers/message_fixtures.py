"""Messages for the ``message`` tests, signed at test time with the keys under
fixtures/keys/ (their public halves are in fixtures/zones/*.example.zone)."""

from __future__ import annotations

import base64
import time

import dkim
from dkim.canonicalization import CanonicalizationPolicy

from tests.helpers.paths import ROOT

KEYS = ROOT / "fixtures" / "keys"
SIGNED = ["from", "to", "subject", "date", "message-id", "list-unsubscribe", "list-unsubscribe-post", "feedback-id"]


def key(name: str) -> bytes:
    suffix = ".key" if name == "ed25519" else ".pem"
    return (KEYS / f"{name}{suffix}").read_bytes().strip()


def message(
    *,
    sender: str = "news@sender.example",
    subject: str = "Your March statement",
    body: str = "Hello,\r\n\r\nyour statement is ready.\r\n",
    extra: str = "",
    message_id: str = "<20260301120000.1@sender.example>",
) -> bytes:
    head = (
        f"From: Sender News <{sender}>\r\n"
        "To: alice@receiver.test\r\n"
        f"Subject: {subject}\r\n"
        "Date: Sun, 01 Mar 2026 12:00:00 +0000\r\n"
        f"Message-ID: {message_id}\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        f"{extra}"
    )
    return (head + "\r\n" + body).encode()


def sign(
    data: bytes,
    *,
    domain: str = "sender.example",
    selector: str = "s2048",
    key_name: str = "rsa2048",
    algorithm: str = "rsa-sha256",
    headers: list[str] | None = None,
    length: bool = False,
    timestamp: int | None = None,
    expires: int | None = None,
) -> bytes:
    """``data`` with a DKIM-Signature on top; t= and x= as asked (dkimpy's sign() has no x=)."""
    present = {
        line.split(b":", 1)[0].strip().lower().decode() for line in data.split(b"\r\n\r\n", 1)[0].split(b"\r\n") if b":" in line
    }
    include = [h for h in (headers or SIGNED) if h in present or h == "from"]
    if timestamp is None and expires is None:
        signature = dkim.sign(
            data,
            selector.encode(),
            domain.encode(),
            key(key_name),
            include_headers=[h.encode() for h in include],
            length=length,
            signature_algorithm=algorithm.encode(),
        )
        return signature + data
    return _sign_with_times(data, domain, selector, key_name, algorithm, include, timestamp or int(time.time()), expires)


def _sign_with_times(
    data: bytes,
    domain: str,
    selector: str,
    key_name: str,
    algorithm: str,
    include: list[str],
    timestamp: int,
    expires: int | None,
) -> bytes:
    from dkim.crypto import parse_pem_private_key

    signer = dkim.DKIM(data, signature_algorithm=algorithm.encode())
    signer.hasher = dkim.HASH_ALGORITHMS[algorithm.encode()]
    policy = CanonicalizationPolicy.from_c_value(b"relaxed/simple")
    body_hash = base64.b64encode(dkim.HASH_ALGORITHMS[algorithm.encode()](policy.canonicalize_body(signer.body)).digest())
    fields = [
        (b"v", b"1"),
        (b"a", algorithm.encode()),
        (b"c", b"relaxed/simple"),
        (b"d", domain.encode()),
        (b"s", selector.encode()),
        (b"t", str(timestamp).encode()),
    ]
    if expires is not None:
        fields.append((b"x", str(expires).encode()))
    fields += [(b"h", b" : ".join(h.encode() for h in include)), (b"bh", body_hash), (b"b", b"0" * 60)]
    value = signer.gen_header(
        fields, tuple(h.encode() for h in include), policy, b"DKIM-Signature", parse_pem_private_key(key(key_name))
    )
    return b"DKIM-Signature: " + value + data


def received(
    by: str, from_host: str, ip: str, *, protocol: str = "ESMTPS", when: str = "Sun, 01 Mar 2026 12:00:05 +0000"
) -> bytes:
    return f"Received: from {from_host} ({from_host} [{ip}])\r\n\tby {by} with {protocol} id 4f2a;\r\n\t{when}\r\n".encode()


def arc_seal(data: bytes, sealer: str, results: str, *, timestamp: int | None = None) -> bytes:
    """``data`` as ``sealer`` passes it on: its Authentication-Results, then its ARC set."""
    with_results = f"Authentication-Results: {sealer}; {results}\r\n".encode() + data
    headers = dkim.arc_sign(
        with_results,
        b"arc",
        sealer.encode(),
        key("rsa2048"),
        sealer.encode(),
        include_headers=[b"from", b"to", b"subject", b"date", b"message-id"],
        timestamp=timestamp,
    )
    return b"".join(headers) + with_results
