"""dmarc.*: the domain's DMARC policy, where it comes from, and who receives its reports."""

from mailcheck.catalogue.spec import CheckSpec, Example

SPECS = (
    CheckSpec(
        id="dmarc.record",
        title="A DMARC record applies to the domain",
        verifies=(
            "Looks for one TXT record starting with v=DMARC1 at _dmarc.DOMAIN and, when there is "
            "none, at the organizational domain's _dmarc (Public Suffix List). Passes when the "
            "domain has its own record, gives info when the organizational domain's applies, and "
            "fails when neither has one (pointing out a TXT record there that does not start with "
            "v=DMARC1;) or when one name holds several; error when a lookup went unanswered."
        ),
        why=(
            "Without a DMARC record, receivers have no policy for mail that forges the domain and "
            "send no reports about it, and Gmail and Yahoo require one from bulk senders. When a "
            "name holds two records, receivers apply neither."
        ),
        example=Example(
            bad='_dmarc.example.com. TXT "v=DMARC1 p=quarantine"',
            good='_dmarc.example.com. TXT "v=DMARC1; p=quarantine; rua=mailto:dmarc-reports@example.com"',
            why=(
                "The version tag now ends with ';', so receivers recognise the record instead of "
                "discarding it."
            ),
        ),
        refs=("RFC 7489 §6.1", "RFC 7489 §6.6.3"),
    ),
    CheckSpec(
        id="dmarc.syntax",
        title="The DMARC record is well-formed",
        verifies=(
            "checkdmarc parses the record that applies and mailcheck parses its rua=/ruf= URIs. "
            "A record with no p= or an invalid one fails when it has no syntactically valid rua= "
            "URI either (RFC 7489 receivers ignore such a record, RFC 9989 ones monitor without "
            "reports) and warns when it has one (receivers act as if p=none). Otherwise it fails when the record cannot be parsed (for example sp= outside "
            "none, quarantine and reject, or a report URI without a scheme); warns when it holds "
            "tags receivers discard: unknown tag names, invalid adkim=, aspf= or fo= values, or a "
            "pct= that is not a whole number from 0 to 100, each falling back to the default; "
            "passes otherwise."
        ),
        why=(
            "A record receivers cannot parse leaves the domain as if it had none; RFC 7489 "
            "§6.6.3 keeps only a record without a valid p= that still asks for aggregate reports, "
            "as p=none. A discarded tag silently replaces what the owner meant with the default, "
            "such as relaxed alignment where strict was intended."
        ),
        example=Example(
            bad='_dmarc.example.com. TXT "v=DMARC1; p=reject; adkim=strict"',
            good='_dmarc.example.com. TXT "v=DMARC1; p=reject; adkim=s"',
            why="adkim= takes s or r; the value 'strict' was discarded and relaxed alignment applied.",
        ),
        refs=("RFC 7489 §6.3", "RFC 7489 §6.4", "RFC 7489 §6.6.3"),
    ),
    CheckSpec(
        id="dmarc.policy",
        title="The DMARC policy enforces",
        verifies=(
            "Reads the policy that applies to the domain: p= of its own record, or sp= of the "
            "organizational domain's record when it inherits that (sp= defaults to p=). Passes "
            "for quarantine or reject, noting an explicit sp= that leaves subdomains unprotected; "
            "warns for none, which only monitors, including a record without a valid p= that "
            "receivers treat as p=none because of its rua= (see dmarc.syntax)."
        ),
        why=(
            "Under p=none receivers deliver mail that fails DMARC as if there were no policy, so "
            "the domain can still be spoofed. Quarantine or reject makes receivers act on those "
            "failures, and BIMI requires one of them."
        ),
        example=Example(
            bad='_dmarc.example.com. TXT "v=DMARC1; p=none; rua=mailto:dmarc-reports@example.com"',
            good='_dmarc.example.com. TXT "v=DMARC1; p=reject; rua=mailto:dmarc-reports@example.com"',
            why=(
                "Once the aggregate reports show every legitimate sender aligned, p=reject (or "
                "p=quarantine first) makes receivers refuse mail that fails DMARC."
            ),
        ),
        refs=("RFC 7489 §6.3", "RFC 7489 §6.7"),
    ),
    CheckSpec(
        id="dmarc.pct",
        title="The policy applies to all failing mail",
        verifies=(
            "Warns when pct= is below 100 under a quarantine or reject policy, so the policy "
            "applies to only that share of failing mail. Under a policy of none, pct= below 100 "
            "changes nothing yet and gives info. No result when pct= is absent or 100, or when it "
            "is not a whole number from 0 to 100 (receivers then use 100; dmarc.syntax warns)."
        ),
        why=(
            "Failing mail outside the sample is handled under the next weaker policy (reject "
            "becomes quarantine, quarantine becomes none), so part of the forged mail still "
            "reaches inboxes. BIMI requires pct=100 with p=quarantine."
        ),
        example=Example(
            bad='_dmarc.example.com. TXT "v=DMARC1; p=quarantine; pct=25; rua=mailto:dmarc-reports@example.com"',
            good='_dmarc.example.com. TXT "v=DMARC1; p=quarantine; rua=mailto:dmarc-reports@example.com"',
            why="Without pct= the policy covers all failing mail (the default is 100).",
        ),
        refs=("RFC 7489 §6.3", "RFC 7489 §6.6.4"),
    ),
    CheckSpec(
        id="dmarc.alignment",
        title="DMARC alignment modes",
        verifies=(
            "Reports (info) the alignment modes the record sets: adkim= for DKIM and aspf= for "
            "SPF, each r (relaxed, the default) or s (strict). It never warns or fails; invalid "
            "values are reported by dmarc.syntax."
        ),
        why=(
            "DMARC passes only when a domain that SPF or DKIM authenticated aligns with the From "
            "domain. Relaxed mode accepts any name in the same organizational domain, strict mode "
            "only the exact name, so mail signed by a subdomain fails strict alignment."
        ),
        example=Example(
            bad=(
                '_dmarc.example.com. TXT "v=DMARC1; p=reject; adkim=s; aspf=s"   '
                "(newsletters are signed with d=news.example.com)"
            ),
            good='_dmarc.example.com. TXT "v=DMARC1; p=reject"',
            why="Relaxed alignment, the default, accepts d=news.example.com for From: example.com.",
        ),
        refs=("RFC 7489 §3.1",),
    ),
    CheckSpec(
        id="dmarc.rua",
        title="Aggregate reports have an authorized destination",
        verifies=(
            "Warns when the record has no rua=. Each rua= URI warns when it is not mailto: and "
            "passes for an address in the record's organizational domain; an address in another "
            "domain passes when DOMAIN._report._dmarc.DEST holds a v=DMARC1 TXT record, warns "
            "when it does not, and gives an error when that lookup went unanswered. Either way "
            "the destination must be able to take mail: it warns when the address's domain does "
            "not exist, has a null MX (RFC 7505), or none of its MX hosts (or, without MX, the "
            "domain itself) has an address, so the reports would bounce."
        ),
        why=(
            "Aggregate reports show which servers send as the domain and whether they align, "
            "which is what makes tightening p= safe. Receivers send no reports to an outside "
            "domain that has not authorized them."
        ),
        example=Example(
            bad=(
                '_dmarc.example.com. TXT "v=DMARC1; p=none; rua=mailto:reports@dmarc.example.net"   '
                "(no authorization record at dmarc.example.net)"
            ),
            good='example.com._report._dmarc.dmarc.example.net. TXT "v=DMARC1"',
            why=(
                "The destination domain now publishes the authorization record, so receivers send "
                "it the reports for example.com."
            ),
        ),
        refs=("RFC 7489 §7.1", "RFC 7489 §6.3", "RFC 7489 §7.2"),
    ),
    CheckSpec(
        id="dmarc.ruf",
        title="Failure reports have an authorized destination",
        verifies=(
            "Checks each ruf= URI by the same rules as rua=: warns when it is not mailto:, passes "
            "for an address in the record's organizational domain, and for another domain passes "
            "or warns on its DOMAIN._report._dmarc.DEST record (error when that lookup went "
            "unanswered), and warns when the address's domain cannot take mail (no such domain, "
            "a null MX, no MX host with an address). A record without ruf= gives no result."
        ),
        why=(
            "Failure reports describe single messages that failed DMARC, which helps find a "
            "misconfigured sender. Receivers are only required to send them by mail, and send "
            "none to an outside domain that has not authorized them."
        ),
        example=Example(
            bad='_dmarc.example.com. TXT "v=DMARC1; p=reject; ruf=https://dmarc.example.net/failures"',
            good='_dmarc.example.com. TXT "v=DMARC1; p=reject; ruf=mailto:dmarc-failures@example.com"',
            why=(
                "A mailto: address in the record's own domain is a destination every receiver can "
                "use and needs no authorization record."
            ),
        ),
        refs=("RFC 7489 §7.1", "RFC 7489 §7.3"),
    ),
)
