"""list-unsubscribe.* and feedback-id: how a recipient leaves the list, and how the
sender hears of complaints. Nothing here fetches or POSTs an unsubscribe URI."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from mailcheck.catalogue.spec import CheckSpec, Example
from mailcheck.message.body import TextPart
from mailcheck.message.dkim import SignatureResult
from mailcheck.message.parse import ParsedMessage, printable
from mailcheck.model import Check

ONE_CLICK_VALUE = "List-Unsubscribe=One-Click"
_BRACKETED = re.compile(r"<([^<>]*)>")
_WORDS = re.compile(
    r"unsubscribe|opt[\s-]?out|abmelden|d[ée]sinscri|desuscrib|darse de baja|afmelden|cancella|manage (your )?(preferences|subscription)",
    re.I,
)
_ANCHOR = re.compile(r"<a\b[^>]*?href\s*=\s*[\"']?([^\"'\s>]+)[^>]*>(.*?)</a\s*>", re.I | re.S)
_TAGS = re.compile(r"<[^>]+>")
_TEXT_URL = re.compile(r"https?://\S+", re.I)
_SENDER_ID = re.compile(r"^[A-Za-z0-9_.-]{5,15}$")

SYNTAX = CheckSpec(
    id="list-unsubscribe.syntax",
    title="List-Unsubscribe is well formed",
    verifies="That List-Unsubscribe is a comma-separated list of URIs in angle brackets (RFC 2369), each a mailto: or http(s): URI.",
    why="Receivers show their own unsubscribe button only for a header they can read; without it recipients press 'Report spam' instead.",
    example=Example(
        bad="List-Unsubscribe: https://example.com/unsub?u=42",
        good="List-Unsubscribe: <https://example.com/unsub?u=42>, <mailto:unsub@example.com?subject=u42>",
        why="Each URI goes in angle brackets.",
    ),
    refs=("RFC 2369 §3.2",),
)
ONE_CLICK = CheckSpec(
    id="list-unsubscribe.one-click",
    title="One-click unsubscribe (RFC 8058)",
    verifies="That List-Unsubscribe has an https URI and List-Unsubscribe-Post is exactly List-Unsubscribe=One-Click, as Gmail and Yahoo require of bulk marketing mail.",
    why="Since 2024 Gmail and Yahoo require one-click unsubscribe from bulk senders of marketing mail; without it mail is filtered or rejected.",
    example=Example(
        bad="List-Unsubscribe: <mailto:unsub@example.com>",
        good="List-Unsubscribe: <https://example.com/u/42>\nList-Unsubscribe-Post: List-Unsubscribe=One-Click",
        why="The receiver POSTs to the https URI; a mailto alone is not one-click.",
    ),
    refs=("RFC 8058 §3.1", "https://support.google.com/a/answer/81126"),
)
SIGNED = CheckSpec(
    id="list-unsubscribe.signed",
    title="Unsubscribe headers are DKIM-signed",
    verifies="That List-Unsubscribe and List-Unsubscribe-Post are both listed in h= of a DKIM signature that passes.",
    why="RFC 8058 requires the signature to cover both, so nobody can add or change an unsubscribe URI on the way; receivers ignore unsigned ones.",
    example=Example(
        bad="DKIM-Signature: ... h=from:to:subject:date; ...",
        good="DKIM-Signature: ... h=from:to:subject:date:list-unsubscribe:list-unsubscribe-post; ...",
        why="Add both fields to the signer's list of signed headers.",
    ),
    refs=("RFC 8058 §4",),
)
MAILTO = CheckSpec(
    id="list-unsubscribe.mailto",
    title="A mailto: unsubscribe address",
    verifies="Whether List-Unsubscribe offers a mailto: URI and that it names a valid address.",
    why="Yahoo accepts a mailto: unsubscribe and some clients only use that one; a malformed address leaves the recipient nothing to press.",
    example=Example(
        bad="List-Unsubscribe: <mailto:unsubscribe>",
        good="List-Unsubscribe: <mailto:unsubscribe@example.com?subject=unsubscribe>",
        why="A full address that a mail client can send to.",
    ),
    refs=("RFC 2369 §3.2", "RFC 6068 §2"),
)
BODY_LINK = CheckSpec(
    id="list-unsubscribe.body-link",
    title="A visible unsubscribe link in the body",
    verifies="That the message body has a link whose text or address says unsubscribe (or opt out, in the common languages).",
    why="Gmail and Yahoo require a clearly visible unsubscribe link in the body of marketing mail, beside the header.",
    example=Example(
        bad="<p>You receive this because you signed up.</p>",
        good='<p><a href="https://example.com/u/42">Unsubscribe</a></p>',
        why="A link a reader can see and click.",
    ),
    refs=("https://support.google.com/a/answer/81126", "https://senders.yahooinc.com/best-practices/"),
)
FEEDBACK_ID = CheckSpec(
    id="feedback-id.format",
    title="Feedback-ID in Gmail's format",
    verifies="That Feedback-ID has at most four colon-separated fields ending in a SenderId of 5 to 15 characters, and that a passing DKIM signature covers it.",
    why="Gmail's Feedback Loop reports spam rates per Feedback-ID to the sender, but only for an id in its format under the sender's signature.",
    example=Example(
        bad="Feedback-ID: newsletter",
        good="Feedback-ID: campaign42:customer7:newsletter:examplesend",
        why="Up to three identifiers and the sender's own id, colon-separated.",
    ),
    refs=("https://support.google.com/a/answer/6254652",),
)


@dataclass(frozen=True)
class Unsubscribe:
    uris: tuple[str, ...]
    malformed: bool
    post: str | None

    @property
    def https(self) -> list[str]:
        return [u for u in self.uris if u.lower().startswith("https://")]

    @property
    def mailto(self) -> list[str]:
        return [u for u in self.uris if u.lower().startswith("mailto:")]

    @property
    def one_click(self) -> bool:
        return bool(self.https) and self.post is not None and self.post.strip() == ONE_CLICK_VALUE


def read_unsubscribe(message: ParsedMessage) -> Unsubscribe | None:
    value = message.first("list-unsubscribe")
    if value is None:
        return None
    uris = tuple(u.strip() for u in _BRACKETED.findall(value))
    leftover = _BRACKETED.sub("", value).replace(",", "").strip()
    return Unsubscribe(uris, bool(leftover) or not uris, message.first("list-unsubscribe-post"))


def body_link(parts: Sequence[TextPart]) -> str | None:
    """The first visible unsubscribe link of the body, None when there is none."""
    for part in parts:
        if part.content_type == "text/html":
            for href, inner in _ANCHOR.findall(part.text):
                if _WORDS.search(_TAGS.sub("", inner)) or _WORDS.search(href):
                    return printable(str(href))
        else:
            for line in part.text.splitlines():
                url = _TEXT_URL.search(line)
                if url and _WORDS.search(line):
                    return printable(url.group(0))
    return None


def unsubscribe_checks(
    unsub: Unsubscribe | None, signatures: Sequence[SignatureResult], link: str | None, marketing: bool
) -> list[Check]:
    subject = "List-Unsubscribe"
    kind = "marketing" if marketing else "transactional"
    if unsub is None:
        details: dict[str, object] = {"present": False, "marketing": marketing}
        absent = f"no List-Unsubscribe header ({kind} mail)"
        checks = [
            SYNTAX.warn(
                subject, absent, details=details, fix="Add List-Unsubscribe: <https://...>, <mailto:...> to every list message."
            )
            if marketing
            else SYNTAX.info(subject, absent, details=details),
            ONE_CLICK.fail(
                subject,
                "no one-click unsubscribe on marketing mail",
                details={**details, "one_click": False},
                fix="Add List-Unsubscribe: <https://...> and List-Unsubscribe-Post: List-Unsubscribe=One-Click, both DKIM-signed.",
            )
            if marketing
            else ONE_CLICK.skip(
                subject, "transactional mail: one-click unsubscribe not required", details={**details, "one_click": False}
            ),
        ]
    else:
        details = {"present": True, "uris": list(unsub.uris), "post": unsub.post, "marketing": marketing}
        if unsub.malformed:
            checks = [
                SYNTAX.fail(
                    subject,
                    f"List-Unsubscribe is not <uri>, <uri>: {', '.join(unsub.uris) or 'no URI in angle brackets'}",
                    details=details,
                    fix="Write each URI in angle brackets, separated by commas.",
                )
            ]
        else:
            checks = [SYNTAX.ok(subject, f"{len(unsub.uris)} URIs: {', '.join(_scheme(u) for u in unsub.uris)}", details=details)]
        checks.append(_one_click(unsub, marketing, details))
        checks.extend(_signed(unsub, signatures))
        checks.append(_mailto(unsub))
    checks.append(_body_link(link, marketing))
    return checks


def _one_click(unsub: Unsubscribe, marketing: bool, details: dict[str, object]) -> Check:
    subject = "List-Unsubscribe"
    details = {**details, "one_click": unsub.one_click}
    if unsub.one_click:
        return ONE_CLICK.ok(
            subject, f"one-click: {unsub.https[0]} with List-Unsubscribe-Post: {ONE_CLICK_VALUE}", details=details
        )
    if not unsub.https:
        why = "no https URI in List-Unsubscribe"
    elif unsub.post is None:
        why = "no List-Unsubscribe-Post header"
    else:
        why = f"List-Unsubscribe-Post is {unsub.post!r}, not exactly {ONE_CLICK_VALUE!r}"
    fix = f"Add an https URI and List-Unsubscribe-Post: {ONE_CLICK_VALUE}."
    if marketing:
        return ONE_CLICK.fail(subject, f"not one-click: {why}", details=details, fix=fix)
    return ONE_CLICK.info(subject, f"not one-click ({why}); transactional mail is exempt", details=details)


def _signed(unsub: Unsubscribe, signatures: Sequence[SignatureResult]) -> list[Check]:
    subject = "List-Unsubscribe"
    wanted = ["list-unsubscribe"] + (["list-unsubscribe-post"] if unsub.post is not None else [])
    covering = [s for s in signatures if s.passed and all(s.covers(name) for name in wanted)]
    details = {"fields": wanted, "signed_by": [s.domain for s in covering]}
    if covering:
        return [SIGNED.ok(subject, f"{' and '.join(wanted)} signed by d={covering[0].domain}", details=details)]
    partly = [s for s in signatures if s.passed and any(s.covers(name) for name in wanted)]
    why = f"d={partly[0].domain} signs only some of them" if partly else "no passing DKIM signature lists them in h="
    return [
        SIGNED.fail(
            subject,
            f"{' and '.join(wanted)} not signed: {why}",
            details=details,
            fix="Add list-unsubscribe and list-unsubscribe-post to the signed headers (h=) of your DKIM signer.",
        )
    ]


def _mailto(unsub: Unsubscribe) -> Check:
    subject = "List-Unsubscribe"
    if not unsub.mailto:
        return MAILTO.info(subject, "no mailto: URI (fine with one-click https)", details={"mailto": None})
    uri = unsub.mailto[0]
    address = uri[len("mailto:") :].split("?", 1)[0]
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", address):
        return MAILTO.fail(
            subject,
            f"mailto: URI {uri!r} names no valid address",
            details={"mailto": uri},
            fix="Write mailto:unsubscribe@your-domain (optionally ?subject=...).",
        )
    return MAILTO.ok(subject, f"mailto: {address}", details={"mailto": uri, "address": address})


def _body_link(link: str | None, marketing: bool) -> Check:
    subject = "body"
    if link is not None:
        return BODY_LINK.ok(subject, f"visible unsubscribe link: {link[:100]}", details={"link": link})
    if marketing:
        return BODY_LINK.fail(
            subject,
            "no visible unsubscribe link in the body of marketing mail",
            details={"link": None},
            fix="Add a clearly labelled Unsubscribe link to the footer.",
        )
    return BODY_LINK.info(subject, "no unsubscribe link in the body (transactional mail)", details={"link": None})


def _scheme(uri: str) -> str:
    return urlsplit(uri).scheme or uri[:20]


def feedback_id_check(value: str | None, signatures: Sequence[SignatureResult]) -> Check:
    subject = "Feedback-ID"
    if value is None:
        return FEEDBACK_ID.info(subject, "no Feedback-ID (Gmail's Feedback Loop reports need one)", details={"present": False})
    fields = [f.strip() for f in value.split(":")]
    sender_id = fields[-1]
    signed = [s.domain for s in signatures if s.passed and s.covers("feedback-id")]
    details = {"present": True, "value": value, "fields": fields, "sender_id": sender_id, "signed_by": signed}
    if len(fields) > 4 or not _SENDER_ID.match(sender_id) or any(not f for f in fields):
        return FEEDBACK_ID.warn(
            subject,
            f"Feedback-ID {value!r} is not a:b:c:SenderId (SenderId 5-15 characters)",
            details=details,
            fix="Write Feedback-ID: CampaignId:CustomerId:MailType:SenderId, SenderId your own 5-15 character id.",
        )
    if not signed:
        return FEEDBACK_ID.warn(
            subject,
            f"Feedback-ID {value} is not covered by a passing DKIM signature",
            details=details,
            fix="Add feedback-id to the signed headers (h=).",
        )
    return FEEDBACK_ID.ok(subject, f"Feedback-ID {value}, signed by d={signed[0]}", details=details)
