"""acceptance.*: what `mailcheck probe` learns at RCPT TO, without sending DATA."""

from mailcheck.catalogue.spec import CheckSpec, Example

SPECS = (
    CheckSpec(
        id="acceptance.verdict",
        title="The address is accepted at RCPT TO",
        verifies=(
            "`mailcheck probe` walks the domain's MX hosts in preference order through EHLO, "
            "STARTTLS when offered, MAIL FROM and RCPT TO, never sending DATA, and judges the RCPT "
            "reply. A 2xx is pass (deliverable), or warn (risky) when the catch-all test shows the "
            "server accepts any address; a 4xx is warn (deferred); a 5xx that refuses the address, "
            "a domain that does not exist, a null MX or no host to deliver to is fail "
            "(undeliverable). A 5.7.x refusal at RCPT is error (unknown): it refuses the sender "
            "(its IP, HELO name or reputation), not the mailbox, and so does a STARTTLS-required "
            "refusal. A 3xx at RCPT is a protocol error, no answer: the probe moves on to the "
            "next MX host as after any failure of one host, and the verdict is error (unknown) "
            "when no other host answers. No RCPT answer from any host (timeouts, port 25 "
            "blocked, DNS failure, a refusal before RCPT, no SMTPUTF8 for an internationalized "
            "address) is error (unknown) too."
        ),
        why=(
            "Mail to a mailbox that does not exist bounces, and a high bounce rate costs the "
            "sender reputation with receivers. The RCPT reply is the server's own statement about "
            "the address, short of sending a message."
        ),
        example=Example(
            bad="C: RCPT TO:<old.name@example.com>\nS: 550 5.1.1 <old.name@example.com>: Recipient address rejected: User unknown",
            good="C: RCPT TO:<jane@example.com>\nS: 250 2.1.5 Ok",
            why="The server knows the second mailbox; the first one should be removed from the list.",
        ),
        refs=(
            "RFC 5321 §4.2",
            "RFC 5321 §4.2.1",
            "RFC 5321 §4.3.2",
            "RFC 3463",
            "RFC 3207",
            "RFC 5321 §4.5.4.1",
            "RFC 6647",
            "RFC 5321 §5.1",
            "RFC 7505 §3",
        ),
    ),
    CheckSpec(
        id="acceptance.catch-all",
        title="The server refuses unknown addresses",
        verifies=(
            "After the first probed address of a domain is accepted, mailcheck starts a new "
            "transaction and asks RCPT TO for a random address (mailcheck-<16 hex digits>@domain). "
            "Accepted is warn (accepts all), a 5xx is pass (refuses unknown), a 4xx or a failed "
            "MAIL FROM or session is info (inconclusive), and skip when the test did not run "
            "because no address was accepted or --no-catch-all was given."
        ),
        why=(
            "A catch-all server accepts every address at RCPT and bounces or drops mail to unknown "
            "ones later, so its 250 proves nothing about the mailbox. A catch-all result turns an "
            "accepted address's verdict from deliverable into risky."
        ),
        example=Example(
            bad="C: RCPT TO:<mailcheck-3f0c9a1b2d4e5f60@example.com>\nS: 250 2.1.5 Ok",
            good="C: RCPT TO:<mailcheck-3f0c9a1b2d4e5f60@example.com>\nS: 550 5.1.1 User unknown",
            why="The server checks recipients against its directory at RCPT instead of accepting any name.",
        ),
        refs=("RFC 5321 §3.3",),
    ),
    CheckSpec(
        id="acceptance.provider",
        title="The provider's acceptance at RCPT proves little",
        verifies=(
            "Appears when an MX host belongs to Yahoo (*.yahoodns.net) or Microsoft 365 "
            "(*.mail.protection.outlook.com, *.olc.protection.outlook.com), whose 250 at RCPT does "
            "not show that the mailbox exists. Warn when the verdict is deliverable or risky, info "
            "for the other verdicts; other providers get no such check."
        ),
        why=(
            "Yahoo accepts every recipient at RCPT and bounces unknown ones after DATA; Microsoft "
            "365 accepts any recipient unless the tenant turned on Directory-Based Edge Blocking. A "
            "probe that stops before DATA cannot tell a real mailbox from a bounce to come."
        ),
        example=Example(
            bad=(
                "example.com. MX 0 example-com.mail.protection.outlook.com.\n"
                "C: RCPT TO:<nobody@example.com>\nS: 250 2.1.5 Recipient OK   (Directory-Based Edge Blocking off)"
            ),
            good="C: RCPT TO:<nobody@example.com>\nS: 550 5.4.1 Recipient address rejected: Access denied   (Directory-Based Edge Blocking on)",
            why=(
                "With edge blocking on, the tenant refuses unknown recipients at RCPT; mailcheck cannot "
                "see the setting, so it keeps the caveat on accepted addresses."
            ),
        ),
        refs=(
            "https://senders.yahooinc.com/smtp-error-codes",
            "https://learn.microsoft.com/exchange/mail-flow-best-practices/use-directory-based-edge-blocking",
        ),
    ),
)
