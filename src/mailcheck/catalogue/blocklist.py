"""blocklist.*: IP addresses and domains on DNS blocklists (RFC 5782)."""

from mailcheck.catalogue.spec import CheckSpec, Example

SPECS = (
    CheckSpec(
        id="blocklist.listing",
        title="Not listed on a DNS blocklist",
        verifies=(
            "Asks one list about one target, an IP address by its reversed octets (IPv6: nibbles) "
            "under the list's zone or a domain by its name (its registered domain on URIBL and "
            "SURBL): the targets of `mailcheck blocklist`, the domain, MX addresses and --ip of "
            "`mailcheck domain`, the link hosts of `mailcheck links`. NXDOMAIN or no record is "
            "pass; an A answer in 127.0.0.0/8 is fail, with the list's meaning for the code and its "
            "TXT reason; a list's error code (such as Spamhaus 127.255.255.254, or 127.0.0.1 from "
            "URIBL and SURBL), an answer outside 127.0.0.0/8 or no answer is error, never a "
            "listing. Skip when no chosen list takes that kind of target (an IPv6 address and only "
            "IPv4 lists, a domain and only IP lists). Error (no verdict) when every chosen list "
            "that takes the target failed its --self-test and was left out; the summary names "
            "those lists."
        ),
        why=(
            "Receivers query these lists during the SMTP session and reject or junk mail from a "
            "listed IP or carrying a listed domain. A refused query says nothing about the target, "
            "which is why it is an error and not a pass."
        ),
        example=Example(
            bad=(
                "10.2.0.192.zen.example. A 127.0.0.2\n"
                '10.2.0.192.zen.example. TXT "192.0.2.10 sent spam; see https://lists.example/lookup"'
            ),
            good="10.2.0.192.zen.example.   (NXDOMAIN: 192.0.2.10 is not listed)",
            why="The cause of the listing was removed and delisting requested, so the list no longer answers for the address.",
        ),
        refs=("RFC 5782 §2.1", "RFC 5782 §2.2"),
    ),
    CheckSpec(
        id="blocklist.list",
        title="A chosen blocklist cannot be asked offline",
        verifies=(
            "With --offline, mailcheck asks for the SOA of each chosen list's zone and skips (skip) "
            "every list whose zone no --zone file serves, instead of reporting an error for each "
            "lookup. Without --offline every list is asked and this check does not appear."
        ),
        why=(
            "A listing on a list that was not asked goes unnoticed: the report says which lists "
            "its pass verdicts do not cover."
        ),
        example=Example(
            bad="zen.spamhaus.org. SOA ?   (--offline, and no --zone file serves the zone)",
            good="zen.spamhaus.org. SOA ns.zen.example. hostmaster.zen.example. 1 3600 600 86400 60   (from --zone)",
            why="Give a --zone file for the list's zone, or leave the list out with --skip or --only.",
        ),
        refs=("RFC 5782 §2", "docs/reputation.md"),
    ),
    CheckSpec(
        id="blocklist.self-test",
        title="The blocklist answers its RFC 5782 test points",
        verifies=(
            "With --self-test, each list is asked about the test point it must list (127.0.0.2 on "
            "IP lists, TEST on domain lists, or the list's own test domain such as dbltest.com) "
            "and the one it must not (127.0.0.1, INVALID). Pass when it lists the first and not "
            "the second; warn when it gets either wrong, and its answers are then left out of the "
            "run; error when either query is refused, answered with an error code or an address "
            "outside 127.0.0.0/8, or not answered, and such a list is still asked about the targets."
        ),
        why=(
            "A list whose zone lapsed into a wildcard, or whose name is misspelt, lists everything "
            "or nothing: false listings or false all-clears. RFC 5782 asks clients to test lists "
            "and stop using those that fail."
        ),
        example=Example(
            bad="2.0.0.127.bl.example. A 127.0.0.2\n1.0.0.127.bl.example. A 127.0.0.2   (a wildcard answers every name)",
            good="2.0.0.127.bl.example. A 127.0.0.2\n1.0.0.127.bl.example.   (NXDOMAIN)",
            why="The list answers for its test point only, so its listings can be trusted.",
        ),
        refs=("RFC 5782 §5",),
    ),
)
