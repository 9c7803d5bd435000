"""bimi.*: the BIMI record, its logo, its mark certificate, and the DMARC policy BIMI needs."""

from mailcheck.catalogue.spec import CheckSpec, Example

_DRAFT_URL = "https://datatracker.ietf.org/doc/html/draft-brand-indicators-for-message-identification"
_RECORD_URL = f"{_DRAFT_URL}#section-4.3"
_DMARC_URL = f"{_DRAFT_URL}#section-7.1"

SPECS = (
    CheckSpec(
        id="bimi.record",
        title="The BIMI assertion record",
        verifies=(
            "Reads the TXT record starting with v=BIMI1 at SELECTOR._bimi.DOMAIN (selector "
            "default unless --bimi-selector is given) and, as receivers do, at "
            "SELECTOR._bimi.ORGDOMAIN (the organizational domain, from the Public Suffix List) "
            "when DOMAIN has none; the summary says when the organizational domain's record "
            "applies. Passes for one valid record with a logo URL or a mark certificate URL "
            "(an empty l= next to an a= URL is not a declination); info when there is none "
            "(BIMI is optional) or when empty l= and a= decline BIMI; fails for several records "
            "or an invalid one (no l=, a tag twice, l= or a= not one https:// URL; tag names "
            "are case-sensitive, so L= is not l=); error when a lookup went unanswered."
        ),
        why=(
            "Mailboxes that support BIMI show the brand's logo next to authenticated mail only "
            "when they find exactly one valid record; an invalid or duplicated record shows "
            "no logo."
        ),
        example=Example(
            bad='default._bimi.example.com. TXT "v=BIMI1; l=http://example.com/logo.svg"',
            good=(
                'default._bimi.example.com. TXT "v=BIMI1; l=https://example.com/bimi/logo.svg; '
                'a=https://example.com/bimi/vmc.pem"'
            ),
            why="BIMI fetches the logo and the certificate only over HTTPS, so l= and a= must be https:// URLs.",
        ),
        refs=(_RECORD_URL,),
    ),
    CheckSpec(
        id="bimi.dmarc",
        title="DMARC policy strong enough for BIMI",
        verifies=(
            "When a BIMI record that does not decline is published, finds the DMARC policy that "
            "applies to the domain: p= of the single v=DMARC1 record at _dmarc.DOMAIN, else the "
            "organizational domain's record at _dmarc.ORGDOMAIN, where sp= applies (p= when it "
            "has no sp=). Passes for reject, or quarantine with pct=100 (pct= absent counts as "
            "100); warns for none, quarantine with pct under 100, no valid p=, no record at "
            "either name, or several records; error when a lookup went unanswered. The summary "
            "names the record the policy came from and the tag that decided."
        ),
        why=(
            "Receivers show BIMI logos only for domains whose DMARC policy enforces (reject, or "
            "quarantine at pct=100), so under p=none, or sp=none for a subdomain that relies on "
            "its organizational domain's record, the BIMI record has no effect."
        ),
        example=Example(
            bad='_dmarc.example.com. TXT "v=DMARC1; p=reject; sp=none; rua=mailto:dmarc-reports@example.com"',
            good='_dmarc.example.com. TXT "v=DMARC1; p=reject; sp=reject; rua=mailto:dmarc-reports@example.com"',
            why=(
                "Subdomains without a _dmarc record of their own take sp= from the organizational "
                "domain's record; sp=none left their mail, and their BIMI logo, unenforced."
            ),
        ),
        refs=(_DMARC_URL,),
    ),
    CheckSpec(
        id="bimi.logo",
        title="The BIMI logo is an SVG Tiny PS image",
        verifies=(
            "Info when l= is empty and a= names a mark certificate (receivers then show the logo "
            "the certificate embeds, which is not checked). Otherwise fetches the l= URL over "
            "HTTPS without following redirects. Fails when it does not "
            "answer 200 or the body is not SVG; warns when the SVG breaks the Tiny PS profile "
            "(version 1.2, baseProfile tiny-ps, a <title>, no x or y on the root), is over 32 KB "
            "or is not served as image/svg+xml; passes otherwise."
        ),
        why=(
            "Mailboxes display only logos they can fetch and that follow the SVG Tiny PS profile; "
            "any other image is not shown, even when the record is valid."
        ),
        example=Example(
            bad='default._bimi.example.com. TXT "v=BIMI1; l=https://example.com/logo.png"',
            good=(
                'default._bimi.example.com. TXT "v=BIMI1; l=https://example.com/bimi/logo.svg"   '
                "(SVG Tiny PS, served as image/svg+xml)"
            ),
            why="The PNG was converted to an SVG Tiny PS file, the only logo format BIMI accepts.",
        ),
        refs=(_RECORD_URL,),
    ),
    CheckSpec(
        id="bimi.vmc",
        title="A BIMI mark certificate is published",
        verifies=(
            "Info when a= is empty or absent. Otherwise fetches the a= URL over HTTPS: fails when "
            "it does not answer 200 or holds no PEM certificate, passes when it holds at least "
            "one. The certificate itself (issuer, embedded logo, validity) is not validated."
        ),
        why=(
            "Gmail and Apple Mail show a BIMI logo only when a Verified Mark Certificate or Common "
            "Mark Certificate vouches for it; without one the logo appears in few mailboxes."
        ),
        example=Example(
            bad='default._bimi.example.com. TXT "v=BIMI1; l=https://example.com/bimi/logo.svg; a="',
            good=(
                'default._bimi.example.com. TXT "v=BIMI1; l=https://example.com/bimi/logo.svg; '
                'a=https://example.com/bimi/vmc.pem"'
            ),
            why="a= now points to the PEM chain of a mark certificate issued for the logo.",
        ),
        refs=(_RECORD_URL,),
    ),
)
