"""Checks any area can produce: a lookup that could not be answered, a crash, an expectation."""

from mailcheck.catalogue.spec import CheckSpec, Example

SPECS = (
    CheckSpec(
        id="expect.*",
        title="A config expectation",
        verifies=(
            "`mailcheck check` turns each expectation in mailcheck.toml into a check named after the "
            "check it is about (expect.dmarc.policy, expect.spf.lookups): pass when the report "
            "meets it, fail when it does not or when the report has no such check."
        ),
        why=(
            "A team's own rules (policy must be reject, at most 8 SPF lookups) are what CI should "
            "hold a change to, beyond mailcheck's general advice."
        ),
        example=Example(
            bad='[domains."shop.example".expect]\n"dmarc.policy" = { policy = "reject" }   # zone has p=none',
            good='_dmarc.shop.example. TXT "v=DMARC1; p=reject; rua=mailto:dmarc@shop.example"',
            why="Change the zone to meet the expectation, or the expectation if the rule changed.",
        ),
        refs=("docs/ci.md",),
    ),
    CheckSpec(
        id="*.lookup",
        title="A lookup the area needs could not be answered",
        verifies=(
            "Reported instead of an area's checks (spf.lookup, dkim.lookup, ...) when a DNS query "
            "they depend on timed out, was refused or came back SERVFAIL."
        ),
        why=(
            "mailcheck cannot give a verdict on what it could not see, so it says error rather than "
            "guessing. Receivers that hit the same failure usually defer the mail (a temporary "
            "error), so a lookup that fails here may be failing for them too."
        ),
        example=Example(
            bad="example.com. TXT ?   (SERVFAIL: the zone's DNSSEC signatures expired)",
            good='example.com. TXT "v=spf1 mx -all"   (answered, signatures valid)',
            why="Fix the name server or the signatures, then run the check again; --timeout gives slow servers longer.",
        ),
        refs=("RFC 1035 §4.1.1", "RFC 8914"),
    ),
    CheckSpec(
        id="*.crash",
        title="An area's checks crashed",
        verifies=(
            "Reported instead of an area's checks (spf.crash, smtp.crash, ...) when the code "
            "checking it raised an unexpected exception. The other areas still run."
        ),
        why="It is a bug in mailcheck, not a finding about the domain: the area has no verdict.",
        example=Example(
            bad="spf.crash  error  the spf checks crashed: ValueError: ...",
            good="spf.record  pass  ...",
            why="Report it with the domain and the message; the other areas' results stand.",
        ),
        refs=("https://github.com/mailcheck/mailcheck/issues",),
    ),
)
