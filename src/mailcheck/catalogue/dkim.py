"""dkim.*: the public keys at SELECTOR._domainkey.DOMAIN, and whether receivers can use them."""

from mailcheck.catalogue.spec import CheckSpec, Example

SPECS = (
    CheckSpec(
        id="dkim.selectors",
        title="DKIM keys found under common selectors",
        verifies=(
            "Without --dkim-selector, mailcheck asks for a key at each selector that common "
            "providers use (google, selector1, s1, k1, ...) and lists the ones that hold a key "
            "(info). It warns when none does, and gives an error when none does and some of the "
            "lookups went unanswered; each key found is then checked as dkim.key."
        ),
        why=(
            "DNS cannot list a domain's selectors, so a key under a selector the probe does not "
            "guess stays invisible to it: the warning means no key was found, not that none "
            "exists. Without a key receivers can verify, DMARC has only SPF to align on."
        ),
        example=Example(
            bad=(
                "google._domainkey.example.com, selector1._domainkey.example.com, ...   "
                "(no key at any of them: the signer uses s=mail2024)"
            ),
            good=(
                'mail2024._domainkey.example.com. TXT "v=DKIM1; k=rsa; p=MIIBIjANBgkqh..."   '
                "(checked with --dkim-selector mail2024)"
            ),
            why=(
                "Read s= from the DKIM-Signature header of a message you sent and name that "
                "selector with --dkim-selector."
            ),
        ),
        refs=("RFC 6376 §3.1",),
    ),
    CheckSpec(
        id="dkim.cname",
        title="DKIM key delegated by CNAME",
        verifies=(
            "Reports (info) that the selector's key name is an alias and names the CNAME target "
            "the key was read from. It never warns or fails: the key at the target is judged by "
            "dkim.key, which fails when the target has none."
        ),
        why=(
            "Providers such as Microsoft 365, SendGrid and Mailchimp host the key in their own "
            "zone and have customers publish a CNAME to it, so they can rotate the key without "
            "the customer editing DNS."
        ),
        example=Example(
            bad=(
                'selector1._domainkey.example.com. TXT "v=DKIM1; k=rsa; p=MIIBIjANBgkqh..."   '
                "(a copy of the provider's key)"
            ),
            good="selector1._domainkey.example.com. CNAME selector1-example-com._domainkey.esp.example.net.",
            why=(
                "The CNAME follows the provider's key rotation; a copied TXT record keeps the old "
                "key, and signatures made with the new one stop verifying."
            ),
        ),
        refs=("RFC 6376 §3.6.2.1", "RFC 1034 §3.6.2"),
    ),
    CheckSpec(
        id="dkim.key",
        title="DKIM public key is published and strong enough",
        verifies=(
            "Reads the key record at SELECTOR._domainkey.DOMAIN. Fails when a selector named with "
            "--dkim-selector has none, when there is more than one, when it cannot be read (wrong "
            "v=, no p=, unknown k=, s= not for email, an unreadable key) or when an RSA key is "
            "under 1024 bits; warns for an RSA key of 1024 to 2047 bits, for one over 4096 bits "
            "(verifiers need only handle 1024 to 4096, RFC 8301 §3.2) and for a revoked key "
            "(empty p=); passes for RSA of 2048 to 4096 bits and for Ed25519 (noting that many "
            "receivers verify only RSA); error when the lookup went unanswered."
        ),
        why=(
            "Receivers verify each DKIM signature against this key: with no usable key, or an RSA "
            "key under 1024 bits, the signature fails and DMARC rests on SPF alone, which breaks "
            "when mail is forwarded. 1024-bit keys still verify but are weak; 2048 is the norm."
        ),
        example=Example(
            bad='mail._domainkey.example.com. TXT "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC..."   (1024-bit RSA)',
            good='mail2._domainkey.example.com. TXT "v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA..."   (2048-bit RSA)',
            why=(
                "A 2048-bit key was published under a new selector and the signer switched to it, "
                "so the old key can be retired without breaking mail still in transit."
            ),
        ),
        refs=(
            "RFC 6376 §3.6.1",
            "RFC 6376 §3.6.2.2",
            "RFC 8301 §3.2",
            "RFC 6376 §3.3.3",
            "RFC 8463",
        ),
    ),
    CheckSpec(
        id="dkim.testing",
        title="DKIM key not in testing mode",
        verifies=(
            "Warns when the key record's t= flags include y (testing mode). Keys without the flag "
            "give no result, and revoked keys are not checked."
        ),
        why=(
            "Verifiers must treat mail from a signer in testing mode like unsigned mail, so its "
            "signatures earn the domain nothing. The flag is often left in place after setup."
        ),
        example=Example(
            bad='mail._domainkey.example.com. TXT "v=DKIM1; t=y; k=rsa; p=MIIBIjANBgkqh..."',
            good='mail._domainkey.example.com. TXT "v=DKIM1; k=rsa; p=MIIBIjANBgkqh..."',
            why="Removing t=y tells receivers that signatures made with the key are meant to count.",
        ),
        refs=("RFC 6376 §3.6.1",),
    ),
    CheckSpec(
        id="dkim.hash",
        title="DKIM key allows SHA-256 signatures",
        verifies=(
            "Warns when the key record's h= tag lists hash algorithms and sha256 is not among "
            "them, and says what that leaves: sha1 (h=sha1, alone or beside hashes DKIM does not "
            "define), which RFC 8301 forbids, or only unknown hashes (such as h=sha512), which "
            "verifiers ignore, so they cannot use the key at all. A record without h= (any hash) "
            "or with sha256 in it gives no result; revoked keys are not checked."
        ),
        why=(
            "RFC 8301 forbids rsa-sha1 for signing and verifying, so a key limited to SHA-1 can "
            "back no signature a current receiver accepts, and DKIM fails for all mail signed "
            "with it. DKIM defines only sha1 and sha256, and verifiers ignore any other name in "
            "h=, so a key listing only such names verifies nothing."
        ),
        example=Example(
            bad='mail._domainkey.example.com. TXT "v=DKIM1; h=sha1; k=rsa; p=MIIBIjANBgkqh..."',
            good='mail._domainkey.example.com. TXT "v=DKIM1; k=rsa; p=MIIBIjANBgkqh..."',
            why="Dropping h=sha1 lets the key verify rsa-sha256 signatures, which the signer must then use.",
        ),
        refs=("RFC 8301 §3.1", "RFC 6376 §3.6.1"),
    ),
)
