"""bimi.*: the BIMI record, its logo, its mark certificate, and the DMARC policy BIMI needs."""

from mailcheck.catalogue.spec import CheckSpec, Example

_DRAFT = "https://datatracker.ietf.org/doc/html/draft-brand-indicators-for-message-identification"
REF_RECORD = f"{_DRAFT}#section-4.3"
REF_DMARC = f"{_DRAFT}#section-7.1"

SPECS = (
    CheckSpec(
        id="bimi.record",
        title="The BIMI assertion record",
        verifies=(
            "Reads the TXT record starting with v=BIMI1 at SELECTOR._bimi.DOMAIN (selector "
            "default unless --bimi-selector is given). Passes for one valid record with a logo "
            "URL; info when there is none (BIMI is optional) or when an empty l= declines BIMI; "
            "fails for several records or an invalid one (no l=, a tag twice, l= or a= not one "
            "https:// URL); error when the lookup went unanswered."
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
        refs=(REF_RECORD,),
    ),
    CheckSpec(
        id="bimi.dmarc",
        title="DMARC policy strong enough for BIMI",
        verifies=(
            "When a BIMI record with a logo is published, reads p= from the single v=DMARC1 record "
            "at _dmarc.DOMAIN: passes for quarantine or reject, warns for none or when there is "
            "no record or more than one, error when the lookup went unanswered. It reads only "
            "that name's p=, not sp=, pct= or the organizational domain's record."
        ),
        why=(
            "Receivers show BIMI logos only for domains whose DMARC policy enforces (reject, or "
            "quarantine at pct=100), so under p=none the BIMI record has no effect."
        ),
        example=Example(
            bad='_dmarc.example.com. TXT "v=DMARC1; p=none; rua=mailto:dmarc-reports@example.com"',
            good='_dmarc.example.com. TXT "v=DMARC1; p=reject; rua=mailto:dmarc-reports@example.com"',
            why="An enforcing DMARC policy makes the domain's mail eligible for its BIMI logo.",
        ),
        refs=(REF_DMARC,),
    ),
    CheckSpec(
        id="bimi.logo",
        title="The BIMI logo is an SVG Tiny PS image",
        verifies=(
            "Fetches the l= URL over HTTPS without following redirects. Fails when it does not "
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
        refs=(REF_RECORD,),
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
        refs=(REF_RECORD,),
    ),
)
