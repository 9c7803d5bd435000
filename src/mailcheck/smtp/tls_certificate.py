"""tls.certificate: one check that both ``mailcheck domain`` (checks/starttls.py) and
``mailcheck probe`` (smtp/findings.py) emit, so it is declared below both."""

from __future__ import annotations

from mailcheck.catalogue.spec import CheckSpec, Example

TLS_CERTIFICATE = CheckSpec(
    id="tls.certificate",
    title="The MX certificate is trusted, current and for its name",
    verifies=(
        "Inspects the certificate an MX presents after STARTTLS (in `mailcheck domain` and "
        "`mailcheck probe`): it must chain to a trusted root (system store plus --ca-file), "
        "name the MX host, and not be expired. Any of these problems is a warning, never a "
        "failure, and `mailcheck domain` also warns when fewer than 14 days are left; "
        "otherwise it passes."
    ),
    why=(
        "Senders doing opportunistic TLS deliver despite a bad certificate, but senders "
        "that enforce MTA-STS or DANE refuse it; the stricter verdicts are "
        "mta-sts.certificate and dane.match."
    ),
    example=Example(
        bad="mx.example.com [192.0.2.10]: CN=localhost, self-signed, expired 2025-01-31",
        good=("mx.example.com [192.0.2.10]: SAN mx.example.com, issued by a public CA, full chain sent, renewed automatically"),
        why="The server presents a current certificate from a public CA that names mx.example.com.",
    ),
    refs=("RFC 8461 §4.2", "RFC 7672 §3.1", "RFC 6125 §6"),
)
