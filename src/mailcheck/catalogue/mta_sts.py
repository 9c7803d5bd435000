"""mta-sts.*: the MTA-STS record and policy (RFC 8461), tied to the real MX hosts."""

from mailcheck.catalogue.spec import CheckSpec, Example

SPECS = (
    CheckSpec(
        id="mta-sts.record",
        title="The _mta-sts TXT record",
        verifies=(
            "Looks up TXT at _mta-sts.DOMAIN and keeps the records that start with v=STSv1. "
            "Exactly one that parses (v=STSv1 and an id of 1-32 letters or digits) passes, or "
            "warns when the parser notes a problem; two or more, or an invalid one, fail. None "
            "is info and the other mta-sts checks are not run; a lookup that fails is an error."
        ),
        why=(
            "Senders discover MTA-STS through this record, and its id tells them when to fetch "
            "the policy again. Without it they use opportunistic TLS, which an attacker on the "
            "path can strip."
        ),
        example=Example(
            bad='_mta-sts.example.com. TXT "v=STSv1; id=2026-01-15"',
            good='_mta-sts.example.com. TXT "v=STSv1; id=20260115"',
            why="The id may contain only letters and digits, so the hyphens are gone.",
        ),
        refs=("RFC 8461 §3.1",),
    ),
    CheckSpec(
        id="mta-sts.policy",
        title="The MTA-STS policy file is served and valid",
        verifies=(
            "Fetches https://mta-sts.DOMAIN/.well-known/mta-sts.txt (through mailcheck's own "
            "resolver) and fails on an invalid certificate, a failed fetch, a redirect or any "
            "status but 200, a Content-Type other than text/plain, a body over 64 KiB, or a "
            "policy that does not parse (version, mode, mx, max_age). A valid policy passes, or "
            "warns on the parser's warnings or a max_age under one day in enforce mode."
        ),
        why=(
            "Senders use only a policy fetched exactly this way: with any of these faults they "
            "ignore it, and the domain has no MTA-STS protection although it published the "
            "record."
        ),
        example=Example(
            bad=(
                "GET https://mta-sts.example.com/.well-known/mta-sts.txt\n"
                "HTTP/1.1 301 Moved Permanently\n"
                "Location: https://www.example.com/mta-sts.txt"
            ),
            good=(
                "HTTP/1.1 200 OK\nContent-Type: text/plain\n\n"
                "version: STSv1\nmode: enforce\nmx: mx.example.com\nmax_age: 604800"
            ),
            why="The policy is served at the well-known URL itself, as text/plain with status 200.",
        ),
        refs=("RFC 8461 §3.2", "RFC 8461 §3.3"),
    ),
    CheckSpec(
        id="mta-sts.mode",
        title="The MTA-STS policy mode",
        verifies=(
            "Reports the mode of a valid policy: enforce passes, testing is info (senders "
            "report TLS failures but still deliver without valid TLS), and none warns (the "
            "policy is withdrawn)."
        ),
        why=(
            "Only enforce mode stops senders from delivering over a downgraded or intercepted "
            "connection; testing is the step before it, and none protects nothing."
        ),
        example=Example(
            bad="version: STSv1\nmode: none\nmx: mx.example.com\nmax_age: 86400",
            good="version: STSv1\nmode: enforce\nmx: mx.example.com\nmax_age: 604800",
            why=(
                "The policy is enforced (after a period in testing with clean TLS-RPT reports), "
                "and a new id in the _mta-sts record makes senders fetch it again."
            ),
        ),
        refs=("RFC 8461 §3.2", "RFC 8461 §8.3"),
    ),
    CheckSpec(
        id="mta-sts.mx",
        title="Every MX host is covered by the policy",
        verifies=(
            "Matches each MX host name of the domain against the policy's mx patterns (a "
            "leading *. stands for exactly one label). A covered host passes; an uncovered one "
            "fails in enforce mode, warns in testing mode and is info in mode none. An MX "
            "lookup that fails is an error."
        ),
        why=(
            "A sender enforcing MTA-STS will not deliver to an MX host the policy does not "
            "list, so an MX added without updating the policy loses mail."
        ),
        example=Example(
            bad=(
                "example.com. MX 10 mx1.example.com.\n"
                "example.com. MX 20 backup.mail-host.example.\n"
                "(policy: mx: mx1.example.com)"
            ),
            good="(policy: mx: mx1.example.com\n         mx: backup.mail-host.example)",
            why=(
                "The policy lists every MX host, and a new id in the _mta-sts record makes "
                "senders fetch it again."
            ),
        ),
        refs=("RFC 8461 §4.1",),
    ),
    CheckSpec(
        id="mta-sts.certificate",
        title="MX certificates satisfy the MTA-STS policy",
        verifies=(
            "In enforce and testing mode, every MX address must offer STARTTLS and present a "
            "certificate that chains to a trusted root and names the MX host: pass when it "
            "does; otherwise fail in enforce mode and warn in testing mode. An MX address that "
            "cannot be reached, an MX with no address, or --no-smtp is a skip; a failed lookup "
            "of an MX's addresses (or of the MX records the sessions need) is an error naming "
            "that lookup, as is a session that breaks off before STARTTLS."
        ),
        why=(
            "Under an enforced policy this is the test senders apply to every delivery: an "
            "expired, self-signed or wrongly named certificate means they do not deliver to "
            "that MX at all."
        ),
        example=Example(
            bad="mx.example.com [192.0.2.10]: certificate names only mail.hosting.example",
            good="mx.example.com [192.0.2.10]: certificate names mx.example.com, issued by a public CA",
            why="The MX presents a publicly trusted certificate for the name the policy lists.",
        ),
        refs=("RFC 8461 §4.2",),
    ),
)
