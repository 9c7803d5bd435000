"""dnssec.*: is the domain signed, is the chain from its parent intact, do the signatures verify."""

from mailcheck.catalogue.spec import CheckSpec, Example

SPECS = (
    CheckSpec(
        id="dnssec.signed",
        title="The domain is DNSSEC-signed",
        verifies=(
            "The domain publishes DNSKEY records; the keys are listed, KSKs first (pass). With no "
            "DNSKEY and no DS at the parent the domain is unsigned, reported as info and never as "
            "a failure; when the DS lookup cannot be answered (a --zone run without the parent's "
            "zone) it is still info, and says the parent's DS was not checked. Error when the "
            "DNSKEY lookup could not be answered."
        ),
        why=(
            "Without DNSSEC, forged answers for the domain's MX, SPF, DKIM and DMARC records "
            "cannot be detected, and DANE cannot protect the TLS connections to its MX hosts."
        ),
        example=Example(
            bad="example.com.   (no DNSKEY in the zone, no DS for it in com.)",
            good=(
                "example.com.  3600 IN DNSKEY 257 3 13 <base64 public key>\n"
                "example.com.  86400 IN DS 31589 13 2 <SHA-256 digest of that key>   (in com.)"
            ),
            why="Sign the zone at the DNS host and publish the DS of its key at the registrar.",
        ),
        refs=("RFC 4033",),
    ),
    CheckSpec(
        id="dnssec.ds",
        title="The parent's DS matches a DNSKEY",
        verifies=(
            "A DS record at the parent matches one of the zone's DNSKEYs (key tag and recomputed "
            "digest): pass. Fails when no DS matches any key, or when the parent has a DS but the "
            "zone has no DNSKEY at all; warns when the zone is signed but the parent has no DS; "
            "error when the DS lookup could not be answered."
        ),
        why=(
            "A DS that matches no key breaks the chain of trust: validating resolvers answer "
            "SERVFAIL for every name in the domain, so senders cannot find its MX and receivers "
            "cannot check its SPF, DKIM or DMARC. Without any DS, nobody can validate the "
            "signatures."
        ),
        example=Example(
            bad=(
                "example.com.  86400 IN DS 4711 13 2 <digest>   (in com.: the key retired at the last rollover)\n"
                "example.com.  3600 IN DNSKEY 257 3 13 <current KSK, tag 31589>"
            ),
            good="example.com.  86400 IN DS 31589 13 2 <SHA-256 digest of the current KSK>   (in com.)",
            why="The DS at the registrar now names the KSK the zone is actually signed with.",
        ),
        refs=("RFC 4035 §5.2", "RFC 6781 §4.1.2"),
    ),
    CheckSpec(
        id="dnssec.signatures",
        title="The zone's signatures verify",
        verifies=(
            "The DNSKEY, SOA and MX RRsets are fetched with their RRSIGs and each signature is "
            "verified against the zone's DNSKEYs at the current time: pass. Fails when an RRset has "
            "no RRSIG or a signature does not verify (including expired ones); warns when a "
            "signature expires within 7 days or no RRset could be checked; error when a lookup "
            "could not be answered."
        ),
        why=(
            "Validating resolvers discard answers with bad or expired signatures and return "
            "SERVFAIL, so the domain's mail records vanish for every receiver that validates. "
            "Signatures close to expiry usually mean the zone is no longer re-signed automatically."
        ),
        example=Example(
            bad=(
                "example.com.  3600 IN RRSIG SOA 13 2 3600 20250101000000 20241202000000 31589 "
                "example.com. <signature>   (expired)"
            ),
            good=(
                "example.com.  3600 IN RRSIG SOA 13 2 3600 20270101000000 20261202000000 31589 "
                "example.com. <signature>   (re-signed, weeks before expiry)"
            ),
            why="The zone is re-signed before its signatures expire.",
        ),
        refs=("RFC 4035 §5.3",),
    ),
    CheckSpec(
        id="dnssec.ad",
        title="The resolver validated the domain (AD bit)",
        verifies=(
            "The resolver used for the run set the AD (authenticated data) bit on its answer for "
            "the domain's SOA: pass. Info when the bit is not set, because the resolver does not "
            "validate or the answer came from --zone, and when the SOA lookup failed; the "
            "dnssec.ds and dnssec.signatures checks are then the run's verification."
        ),
        why=(
            "The AD bit from a validating resolver covers the whole chain of trust up to the root, "
            "which dnssec.ds and dnssec.signatures, checking only the parent-to-zone link, do not."
        ),
        example=Example(
            bad=";; flags: qr rd ra; QUERY: 1, ANSWER: 2   (example.com. SOA, through a non-validating resolver)",
            good=";; flags: qr rd ra ad; QUERY: 1, ANSWER: 2   (the same query, through a validating resolver)",
            why="Run the check through a resolver that validates DNSSEC, so its answers carry the AD bit.",
        ),
        refs=("RFC 4035 §3.2.3",),
    ),
)
