"""tlsrpt.*: the SMTP TLS Reporting record (RFC 8460) and where its reports go."""

from mailcheck.catalogue.spec import CheckSpec, Example

SPECS = (
    CheckSpec(
        id="tlsrpt.record",
        title="The _smtp._tls TXT record",
        verifies=(
            "Looks up TXT at _smtp._tls.DOMAIN and keeps the records that start with "
            "v=TLSRPTv1. Exactly one that parses passes, or warns when the parser notes a "
            "problem; two or more, or an invalid one, fail. None is info, or a warning when "
            "the domain publishes an MTA-STS record; a lookup that fails is an error."
        ),
        why=(
            "Sending MTAs use it to report the TLS failures they meet on the way to the "
            "domain's MX hosts. Without it, mail that MTA-STS or DANE senders refuse to deliver "
            "is lost without anyone hearing of it."
        ),
        example=Example(
            bad='_smtp._tls.example.com. TXT "v=TLSRPTv1; rua=tlsrpt@example.com"',
            good='_smtp._tls.example.com. TXT "v=TLSRPTv1; rua=mailto:tlsrpt@example.com"',
            why="Each rua destination must be a mailto: or https: URI.",
        ),
        refs=("RFC 8460 §3", "RFC 8461 §6"),
    ),
    CheckSpec(
        id="tlsrpt.rua",
        title="TLS reports can reach their destination",
        verifies=(
            "For each rua destination of a valid record: a mailto: address's domain must have "
            "MX or address records and no null MX, an https: URL's host must resolve. Pass when "
            "one of those lookups answers, fail when none does or when the mail domain publishes "
            "a null MX (RFC 7505: it accepts no mail, whatever its addresses), error when DNS "
            "did not answer; whether the mailbox or the web endpoint accepts reports is not "
            "tested."
        ),
        why=(
            "Reports sent to a domain or host that does not exist, or to a domain that declares "
            "it accepts no mail, are lost, and the record only looks like monitoring."
        ),
        example=Example(
            bad=(
                '_smtp._tls.example.com. TXT "v=TLSRPTv1; rua=mailto:tls@reports.example.com"\n'
                "reports.example.com   (NXDOMAIN)"
            ),
            good='_smtp._tls.example.com. TXT "v=TLSRPTv1; rua=mailto:tlsrpt@example.com"',
            why="The reports go to an address at a domain that exists and receives mail.",
        ),
        refs=("RFC 8460 §3", "RFC 7505 §3"),
    ),
)
