"""dane.*: TLSA records for the MX hosts (RFC 7672) and the certificates they pin."""

from mailcheck.catalogue.spec import CheckSpec, Example

SPECS = (
    CheckSpec(
        id="dane.tlsa",
        title="TLSA records for each MX host",
        verifies=(
            "Looks up TLSA at _25._tcp.MXHOST for every MX host. Records authenticated by "
            "DNSSEC (the resolver's AD bit) that include a DANE-TA (2) or DANE-EE (3) usage "
            "pass; unauthenticated records warn, and so do records with only the PKIX usages "
            "0 and 1. No records is info (the host does not use DANE); a failed lookup is an "
            "error."
        ),
        why=(
            "DANE lets senders authenticate the MX without public CAs or a policy fetch, but "
            "only from DNSSEC-signed records: unsigned ones are ignored. In a signed zone, a "
            "TLSA lookup that fails makes DANE senders defer the mail."
        ),
        example=Example(
            bad=(
                "_25._tcp.mx.example.com. 3600 IN TLSA 3 1 1 (SHA-256 of the key)\n"
                "(example.com is not signed: no DS at the parent)"
            ),
            good=(
                "example.com. DS 2371 13 2 (digest of the zone's KSK)\n"
                "_25._tcp.mx.example.com. 3600 IN TLSA 3 1 1 (SHA-256 of the key)"
            ),
            why="The zone is signed and its DS published, so resolvers authenticate the TLSA record.",
        ),
        refs=("RFC 7672 §3.1", "RFC 7672 §2.2", "RFC 7672 §3.1.3", "RFC 6698 §4"),
    ),
    CheckSpec(
        id="dane.match",
        title="The MX certificate matches its TLSA records",
        verifies=(
            "For each address of an MX host that has TLSA records, compares the leaf "
            "certificate presented after STARTTLS with the DANE-EE (3) records, by selector and "
            "matching type: a match passes; no match, STARTTLS not offered by a server that "
            "greets with 220 and answers EHLO, or a TLS handshake that fails, fails when the "
            "records are DNSSEC-authenticated and warns when not. With DANE-TA (2) records and "
            "no DANE-EE match it is info, since only the leaf is available to compare. A server "
            "that greets with anything but 220 or fails EHLO is an error (TLS could not be "
            "checked); an unreachable address or --no-smtp is a skip."
        ),
        why=(
            "A DANE sender that finds no matching record refuses to deliver, so a key rolled "
            "over before its TLSA record was updated stops the domain's mail."
        ),
        example=Example(
            bad=(
                "_25._tcp.mx.example.com. TLSA 3 1 1 (SHA-256 of last year's key)\n"
                "(mx.example.com now presents a new key)"
            ),
            good=(
                "_25._tcp.mx.example.com. TLSA 3 1 1 (SHA-256 of the current key)\n"
                "_25._tcp.mx.example.com. TLSA 3 1 1 (SHA-256 of the next key)"
            ),
            why=(
                "The record for the key in use is published, and the next key's record goes in "
                "before the key changes."
            ),
        ),
        refs=("RFC 7672 §3.1", "RFC 7672 §2.2", "RFC 7671 §8"),
    ),
)
