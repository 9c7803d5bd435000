"""dns.*: the domain exists and is served."""

from mailcheck.catalogue.spec import CheckSpec, Example

SPECS = (
    CheckSpec(
        id="dns.exists",
        title="The domain exists",
        verifies="The domain resolves: its name server answers with anything other than NXDOMAIN.",
        why=(
            "Receivers reject mail whose envelope sender or From domain does not exist, and nobody "
            "can reply to it. Every other check is skipped for a domain that does not exist."
        ),
        example=Example(
            bad="shop.example.com   (NXDOMAIN: the zone was never delegated)",
            good="shop.example.com.  3600 IN A 192.0.2.10",
            why="Publish at least one record at the name, or send from a domain that exists.",
        ),
        refs=("RFC 5321 §2.3.5", "RFC 8020"),
    ),
    CheckSpec(
        id="dns.soa",
        title="The zone has an SOA record",
        verifies="The zone that holds the domain answers for its SOA record.",
        why=(
            "A zone without a reachable SOA is usually a broken or lame delegation: some resolvers "
            "will fail to look up the domain's MX, SPF and DMARC records at all."
        ),
        example=Example(
            bad="example.com. NS ns1.old-host.example.   (the old host no longer serves the zone)",
            good="example.com. SOA ns1.example.com. hostmaster.example.com. 2026112401 7200 3600 1209600 3600",
            why="Point the delegation at servers that serve the zone and answer for its SOA.",
        ),
        refs=("RFC 1035 §3.3.13",),
    ),
    CheckSpec(
        id="dns.ns",
        title="At least two name servers",
        verifies="The domain is served by two or more name servers.",
        why=(
            "With one name server, one outage makes the domain vanish: receivers cannot check SPF "
            "or DMARC and defer or reject the mail, and bounces to the domain cannot be delivered."
        ),
        example=Example(
            bad="example.com. NS ns1.example.com.",
            good="example.com. NS ns1.example.com.\nexample.com. NS ns2.other-network.example.",
            why="Add a second name server, ideally on a different network.",
        ),
        refs=("RFC 1034 §4.1", "RFC 2182 §5"),
    ),
)
