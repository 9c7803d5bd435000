"""mx.*: where mail for the domain goes, and whether each host there can be reached."""

from mailcheck.catalogue.spec import CheckSpec, Example

SPECS = (
    CheckSpec(
        id="mx.records",
        title="The domain has MX records",
        verifies=(
            "The domain publishes MX records; they are listed in preference order (pass). With no "
            "MX it warns when the domain has A/AAAA records, which senders then use as an implicit "
            "MX, and fails when it has neither or when the domain does not exist (NXDOMAIN)."
        ),
        why=(
            "The MX records tell every sender, including those returning bounces and replies, "
            "where to deliver mail for the domain. The implicit-MX fallback sends that mail to "
            "whatever host serves the name, often a web server that does not accept SMTP."
        ),
        example=Example(
            bad="example.com.  3600 IN A 192.0.2.10   (no MX: senders fall back to this address)",
            good="example.com.  3600 IN MX 10 mx1.example.com.\nexample.com.  3600 IN MX 20 mx2.example.com.",
            why="Name the hosts that receive the domain's mail in MX records instead of relying on the A record.",
        ),
        refs=("RFC 5321 §5.1", "RFC 7505"),
    ),
    CheckSpec(
        id="mx.null",
        title="Null MX (the domain accepts no mail)",
        verifies=(
            "Reported instead of the other mx checks when the domain publishes a null MX (an MX "
            'whose target is "."). A single "0 ." record is valid but warns, since it declares '
            "that the domain receives no mail. Fails when the null MX sits next to other MX "
            'records, has a preference other than 0 (such as "10 ."), or is not the only null MX: '
            'RFC 7505 allows exactly one MX record, "0 .".'
        ),
        why=(
            "Receivers may refuse mail whose sender domain publishes a null MX, because bounces "
            "and replies to it cannot be delivered. A null MX mixed with real MX records is "
            "invalid, and senders may treat the domain as one that accepts no mail."
        ),
        example=Example(
            bad="example.com.  3600 IN MX 0 .\nexample.com.  3600 IN MX 10 mx1.example.com.",
            good="example.com.  3600 IN MX 10 mx1.example.com.",
            why=(
                'A domain that receives mail drops the "0 ." record; one that never sends or '
                "receives mail keeps it as its only MX."
            ),
        ),
        refs=("RFC 7505 §3", "RFC 7505 §4.2"),
    ),
    CheckSpec(
        id="mx.host",
        title="Each MX host resolves to an address",
        verifies=(
            "Each MX target is a host name with A or AAAA records (pass). Fails when the target is "
            "an IP address, does not exist, or has no address records; warns when the name is an "
            "alias (CNAME); error when its address lookups could not be answered."
        ),
        why=(
            "Senders cannot deliver to an MX target they cannot resolve: the mail queues at the "
            "sender and then bounces. IP addresses and aliases are not allowed as MX targets, and "
            "some senders refuse to follow them."
        ),
        example=Example(
            bad="example.com.       3600 IN MX 10 mail.example.com.\nmail.example.com.  3600 IN CNAME mx1.provider.example.",
            good="example.com.       3600 IN MX 10 mx1.provider.example.",
            why="The MX names the canonical host directly instead of an alias for it.",
        ),
        refs=("RFC 5321 §5.1", "RFC 1035 §3.3.9", "RFC 2181 §10.3"),
    ),
    CheckSpec(
        id="mx.ptr",
        title="MX addresses have forward-confirmed reverse DNS",
        verifies=(
            "For every address of every MX host, the PTR record names a host whose A/AAAA records "
            "include that address again (forward-confirmed reverse DNS, FCrDNS): pass. Warns when "
            "there is no PTR or no PTR name resolves back to the address (a name that does not "
            "exist or lacks the matching A or AAAA record does not); error when the PTR lookup, or "
            "the forward lookup of a PTR name when no other name confirms the address, could not "
            "be answered (timeout, SERVFAIL)."
        ),
        why=(
            "Receivers look up the reverse DNS of every host that connects to them and distrust "
            "or refuse addresses without a forward-confirmed name. MX hosts often send mail too, "
            "so a missing or mismatched PTR there tends to hurt outgoing mail as well."
        ),
        example=Example(
            bad="25.2.0.192.in-addr.arpa.  3600 IN PTR host-25.isp.example.   (that name has no A record)",
            good="25.2.0.192.in-addr.arpa.  3600 IN PTR mx1.example.com.\nmx1.example.com.          3600 IN A 192.0.2.25",
            why="The PTR names a host whose A record points back to the same address.",
        ),
        refs=("RFC 1912 §2.1", "RFC 8601 §2.7.3"),
    ),
    CheckSpec(
        id="mx.lookup",
        title="The MX lookup could not be answered",
        verifies=(
            "Reported as an error instead of the mx checks when the DNS query for the domain's MX "
            "records, or for its A/AAAA fallback, timed out, was refused or returned SERVFAIL. "
            "`mailcheck probe` reports it for the recipient's domain, whose verdict is then "
            "unknown; `mailcheck domain` reports it for the domain it checks."
        ),
        why=(
            "Without the MX records nobody can tell where the domain's mail goes. Senders that hit "
            "the same failure treat it as temporary and queue the mail, which then arrives late or "
            "bounces once the retries run out."
        ),
        example=Example(
            bad="example.com.  MX ?   (SERVFAIL: neither name server answers)",
            good="example.com.  3600 IN MX 10 mx1.example.com.   (answered)",
            why="Fix the name servers so the MX query is answered, then run the check again.",
        ),
        refs=("RFC 5321 §5.1", "RFC 1035 §4.1.1"),
    ),
)
