"""The DKIM selectors tried when the user names none.

DNS cannot list a domain's selectors, so, like other mail testers, mailcheck guesses
the defaults that providers' setup guides tell their customers to publish. Each entry
is (selector, who uses it). Providers that generate a selector per customer (Amazon
SES Easy DKIM's random tokens, HubSpot's hs1-<account id>, Postmark's dated ones)
cannot be guessed: for those the user passes --dkim-selector.
"""

from __future__ import annotations

COMMON_SELECTORS: tuple[tuple[str, str], ...] = (
    # Google Workspace: the default selector in the Admin console's DKIM setup.
    ("google", "Google Workspace"),
    # Microsoft 365 / Exchange Online: two selectors, CNAMEs to onmicrosoft.com keys.
    ("selector1", "Microsoft 365"),
    ("selector2", "Microsoft 365"),
    # SendGrid (Twilio): automated security CNAMEs s1/s2; smtpapi in legacy setups.
    ("s1", "SendGrid"),
    ("s2", "SendGrid"),
    ("smtpapi", "SendGrid (legacy)"),
    # Mailchimp: k1 (and k2/k3 for rotation) CNAMEs to dkim.mcsv.net.
    ("k1", "Mailchimp"),
    ("k2", "Mailchimp"),
    ("k3", "Mailchimp"),
    # Mailchimp Transactional (Mandrill): mandrill, later mte1/mte2.
    ("mandrill", "Mailchimp Transactional (Mandrill)"),
    ("mte1", "Mailchimp Transactional"),
    ("mte2", "Mailchimp Transactional"),
    # Mailgun: the selectors its domain setup has proposed over the years.
    ("mg", "Mailgun"),
    ("smtp", "Mailgun"),
    ("mailo", "Mailgun"),
    ("krs", "Mailgun"),
    # Amazon SES: Easy DKIM uses random tokens; this name appears in hand-made setups.
    ("amazonses", "Amazon SES (hand-made setups)"),
    # Postmark: pm in older accounts (newer ones use dated selectors).
    ("pm", "Postmark"),
    # Zoho Mail: zmail is the selector its admin console suggests; zoho in older guides.
    ("zmail", "Zoho Mail"),
    ("zoho", "Zoho Mail"),
    # Fastmail: fm1-fm3, CNAMEs to dkim.fmhosted.com.
    ("fm1", "Fastmail"),
    ("fm2", "Fastmail"),
    ("fm3", "Fastmail"),
    # Proton Mail: three CNAMEs to its domainkey hosts.
    ("protonmail", "Proton Mail"),
    ("protonmail2", "Proton Mail"),
    ("protonmail3", "Proton Mail"),
    # Apple iCloud+ custom email domains.
    ("sig1", "iCloud+ custom domains"),
    # Mailjet.
    ("mailjet", "Mailjet"),
    # Brevo (Sendinblue).
    ("brevo1", "Brevo"),
    ("brevo2", "Brevo"),
    # Klaviyo.
    ("kl", "Klaviyo"),
    ("kl2", "Klaviyo"),
    # Zendesk.
    ("zendesk1", "Zendesk"),
    ("zendesk2", "Zendesk"),
    # Constant Contact.
    ("ctct1", "Constant Contact"),
    ("ctct2", "Constant Contact"),
    # Campaign Monitor.
    ("cm", "Campaign Monitor"),
    # MailerLite.
    ("litesrv", "MailerLite"),
    # Everlytic.
    ("everlytickey1", "Everlytic"),
    ("everlytickey2", "Everlytic"),
    # MXVault (hosted mail).
    ("mxvault", "MXVault"),
    # Yahoo's own and copied setups: key size in the name.
    ("s1024", "Yahoo and others"),
    ("s2048", "Yahoo and others"),
    # Defaults of self-hosted signers and control panels: cPanel, Plesk and
    # DirectAdmin sign with "default"; OpenDKIM/rspamd guides use "dkim", "mail",
    # "default"; the rest are names found in public lists of seen selectors.
    ("default", "cPanel, Plesk, OpenDKIM guides"),
    ("dkim", "rspamd and OpenDKIM guides"),
    ("mail", "self-hosted (OpenDKIM guides)"),
    ("email", "self-hosted"),
    ("key1", "self-hosted"),
    ("key2", "self-hosted"),
    ("selector", "self-hosted"),
    ("sm", "seen in public selector lists"),
)


def common_selector_names() -> tuple[str, ...]:
    return tuple(selector for selector, _ in COMMON_SELECTORS)


def provider_of(selector: str) -> str | None:
    return next((who for name, who in COMMON_SELECTORS if name == selector), None)
