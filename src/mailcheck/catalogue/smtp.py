"""smtp.*: the SMTP sessions with the MX hosts, and the name the probe introduces itself with."""

from mailcheck.catalogue.spec import CheckSpec, Example

SPECS = (
    CheckSpec(
        id="smtp.connect",
        title="Each MX address accepts an SMTP session",
        verifies=(
            "`mailcheck domain` connects to port 25 (or --port) of every address of every MX "
            "host and reads the greeting: a 220 greeting passes, any other greeting warns, and "
            "so does an address that cannot be reached while others answer. An address that "
            "accepts the connection and never greets is an error (could not tell); one that "
            "speaks something other than SMTP or hangs up is named so, and fails when no MX "
            "gave a session. When every MX address refuses the connection, one fail says the "
            "domain cannot receive mail; when none accepted it and one timed out, one error says "
            "it could not tell (outbound port 25 is often blocked where mailcheck runs)."
        ),
        why=(
            "Senders queue the mail when no MX accepts a session, and fall back to the other "
            "MX hosts when one is down, which delays mail and moves load onto them. A greeting "
            "other than 220 (such as 554) turns every sender away."
        ),
        example=Example(
            bad="S: 554 5.3.2 mx2.example.com Service unavailable   (192.0.2.20:25)",
            good="S: 220 mx2.example.com ESMTP ready   (192.0.2.20:25)",
            why="The host greets with 220, so senders can go on to EHLO and STARTTLS.",
        ),
        refs=("RFC 5321 §4.3.2",),
    ),
    CheckSpec(
        id="smtp.banner",
        title="The MX greeting names the host its PTR names",
        verifies=(
            "Compares the first word of an MX address's 220 greeting with the PTR records of "
            "that address. Always info: it reports a match, a mismatch, a missing PTR, or that "
            "the PTR lookup failed, and never warns or fails."
        ),
        why=(
            "The greeting is how the server introduces itself; a name that agrees with its "
            "reverse DNS makes it easy to identify in senders' logs and bounces. Where the same "
            "host also sends mail, some receivers score a name that disagrees with the PTR."
        ),
        example=Example(
            bad=(
                "10.2.0.192.in-addr.arpa. PTR host-10.hosting.example.\n"
                "S: 220 mx.example.com ESMTP"
            ),
            good="10.2.0.192.in-addr.arpa. PTR mx.example.com.\nS: 220 mx.example.com ESMTP",
            why="The address's PTR now names the host the greeting names.",
        ),
        refs=("RFC 5321 §4.3.1",),
    ),
    CheckSpec(
        id="smtp.starttls",
        title="Each MX offers STARTTLS and TLS starts",
        verifies=(
            "`mailcheck domain` sends EHLO to every MX address that greets with 220 and, when "
            "STARTTLS is advertised, starts TLS 1.2 or newer. Pass when TLS starts, warn when "
            "STARTTLS is not advertised, fail when it is advertised but refused or the handshake "
            "fails (a server that speaks only TLS 1.1 or older is reported as tls.version "
            "instead). Error when the session breaks off before STARTTLS, or when the MX lookup or "
            "every MX host's address lookup could not be answered; skip with --no-smtp or when no "
            "MX host has an address."
        ),
        why=(
            "Without STARTTLS, mail to the domain crosses the network in clear text. Advertising "
            "STARTTLS and then failing the handshake is worse: senders that require TLS cannot "
            "deliver, and not all of them retry in plain text."
        ),
        example=Example(
            bad="S: 250-mx.example.com\nS: 250-PIPELINING\nS: 250 8BITMIME   (no STARTTLS)",
            good=(
                "S: 250-mx.example.com\nS: 250-STARTTLS\nS: 250 8BITMIME\n"
                "C: STARTTLS\nS: 220 2.0.0 Ready to start TLS"
            ),
            why="The server advertises STARTTLS in its EHLO reply and completes the handshake.",
        ),
        refs=("RFC 3207", "RFC 3207 §4", "RFC 8461 §4"),
    ),
    CheckSpec(
        id="smtp.helo",
        title="The probe's HELO name is a real public name",
        verifies=(
            "`mailcheck probe` checks the name it says EHLO with (--helo, else the host's fully "
            "qualified name): pass when it resolves in DNS; warn when it is a bare IP address, "
            "has no dot, is under a private suffix (.local, .lan, .internal, ...), belongs to a "
            "big mailbox provider (gmail.com, outlook.com, ...), or does not resolve. A "
            "bracketed address literal, or a lookup that fails, is info; the check does not test "
            "that the name points back to the prober's own address."
        ),
        why=(
            "Receivers compare the HELO name with DNS, and a made-up or borrowed name is a "
            "common spam trait: it gets the probing address refused or listed, and the probe's "
            "answers then describe the prober rather than the mailbox."
        ),
        example=Example(
            bad="C: EHLO gmail.com",
            good=(
                "C: EHLO probe.example.com\n"
                "probe.example.com. A 192.0.2.25\n"
                "25.2.0.192.in-addr.arpa. PTR probe.example.com."
            ),
            why="The probe gives its own name, which resolves to its address and matches its PTR.",
        ),
        refs=("RFC 5321 §4.1.1.1", "RFC 5321 §2.3.5"),
    ),
    CheckSpec(
        id="smtp.connection",
        title="How each probe session with an MX ended",
        verifies=(
            "`mailcheck probe` reports one check per MX address it tried, with the banner, the "
            "ESMTP extensions and (with --verbose) the timed transcript. Pass when RCPT got an "
            "answer for the address in that session; any other ending (connection refused or "
            "timed out, a banner other than 220, a refusal at EHLO or MAIL, a 3xx at RCPT, a "
            "broken session, or a session that sent no RCPT for the address because the server "
            "lacks the SMTPUTF8 an internationalized address needs) says what stopped it, and "
            "warns when another MX answered for the address or is an error when none did."
        ),
        why=(
            "It shows where and why a probe was turned away: a refused connection or a 554 "
            "banner is a fact about the MX or about the prober's address, not about the mailbox, "
            "and explains an 'unknown' verdict."
        ),
        example=Example(
            bad="S: 554 5.7.1 mx.example.com Service unavailable; client [192.0.2.99] blocked",
            good=(
                "S: 220 mx.example.com ESMTP\n...\n"
                "C: RCPT TO:<alice@example.com>\nS: 250 2.1.5 OK"
            ),
            why=(
                "Probing from a host with a clean address and proper DNS lets the session reach "
                "RCPT."
            ),
        ),
        refs=("RFC 5321 §5.1",),
    ),
)
