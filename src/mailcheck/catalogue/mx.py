"""mx.*: where mail for the domain goes, and whether each host there can be reached."""

from mailcheck.catalogue.spec import CheckSpec, Example

SPECS = (
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
