"""ip.*: the sending IP given with --ip."""

from mailcheck.catalogue.spec import CheckSpec, Example

SPECS = (
    CheckSpec(
        id="ip.fcrdns",
        title="The sending IP has forward-confirmed reverse DNS",
        verifies=(
            "The same test as mx.ptr, applied to the sending IP given with --ip: its PTR record "
            "names a host whose A/AAAA records include the IP again (pass). Warns when there is no "
            "PTR or no PTR name resolves back to the IP; error when the PTR lookup, or the forward "
            "lookup of a PTR name when no other name confirms the IP, could not be answered "
            "(timeout, SERVFAIL). Only run when --ip (or sending_ips in mailcheck.toml) is given."
        ),
        why=(
            "Receivers check the reverse DNS of the IP that connects to them; Gmail and other "
            "large mailbox providers require the sending IP to have a PTR whose name resolves "
            "back to it, and defer or reject mail from IPs that do not."
        ),
        example=Example(
            bad="44.2.0.192.in-addr.arpa.   (no PTR record for the sending IP 192.0.2.44)",
            good="44.2.0.192.in-addr.arpa.  3600 IN PTR out1.example.com.\nout1.example.com.         3600 IN A 192.0.2.44",
            why=(
                "The owner of 192.0.2.44 (usually the hosting provider) publishes a PTR naming a "
                "host whose A record is that IP."
            ),
        ),
        refs=(
            "RFC 1912 §2.1",
            "RFC 8601 §2.7.3",
            "https://support.google.com/a/answer/81126",
        ),
    ),
)
