"""tls.*: the TLS an MX negotiates after STARTTLS, and the certificate it presents."""

from mailcheck.catalogue.spec import CheckSpec, Example

SPECS = (
    CheckSpec(
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
    ),
    CheckSpec(
        id="tls.version",
        title="The MX speaks TLS 1.2 or newer",
        verifies=(
            "`mailcheck domain` reads the TLS version each MX address negotiates after "
            "STARTTLS: TLS 1.3 passes, and so does TLS 1.2 (with a hint to enable 1.3). A "
            "server whose handshake fails at 1.2 and that completes one only with TLS 1.1 or "
            "older, tried in a second session, fails."
        ),
        why=(
            "TLS 1.0 and 1.1 are deprecated, and senders that require TLS 1.2 cannot encrypt to "
            "such a server: they send in clear text or, if they insist on TLS, not at all."
        ),
        example=Example(
            bad="C: STARTTLS\nS: 220 2.0.0 Ready to start TLS\n(handshake: the server offers TLSv1.1 at most)",
            good="C: STARTTLS\nS: 220 2.0.0 Ready to start TLS\n(handshake: TLSv1.3, TLS_AES_256_GCM_SHA384)",
            why="The server enables TLS 1.2 and 1.3 and disables 1.0 and 1.1.",
        ),
        refs=("RFC 8996", "RFC 9325 §3.1.1"),
    ),
    CheckSpec(
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
            good=(
                "mx.example.com [192.0.2.10]: SAN mx.example.com, issued by a public CA, "
                "full chain sent, renewed automatically"
            ),
            why="The server presents a current certificate from a public CA that names mx.example.com.",
        ),
        refs=("RFC 8461 §4.2", "RFC 7672 §3.1", "RFC 6125 §6"),
    ),
)
