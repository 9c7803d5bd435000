"""fml's error notices: the Japanese mailing-list manager (fml.org) answers a post it
will not distribute with a message of its own, not a DSN.

It signs every message with ``X-MLServer: fml ...``, and its notices carry a title
("Loop Alert: ...", "NOT MEMBER article from ...", "Security Alert") in the Subject,
then the list address in angle brackets, then "Original mail as follows:" and the
post. The list refused the post; retrying the same post cannot help, nor does it say
anything about the address.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mailcheck.bounce.parse import address_in

# Subject titles of fml's notices (a plain post distributed by fml has none of them).
_TITLES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("rejected", re.compile(r"not member|are not (?:a )?member|reject mail|spam mail from a spammer is rejected", re.I)),
    ("systemerror", re.compile(r"loop alert|loop back warning|unix from loop|fml system error", re.I)),
    ("securityerror", re.compile(r"security alert", re.I)),
)
# The notice's own words, which decide before the title does.
_WORDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "rejected",
        re.compile(
            r"not a member of this mailing list|not member article|reject mail from|reject spammers|header may cause mail loop",
            re.I,
        ),
    ),
    ("systemerror", re.compile(r"duplicated message-id|detected a loop condition|loop back warning", re.I)),
    ("securityerror", re.compile(r"security alert", re.I)),
)
_COPY = re.compile(r"^\s*original mail as follows:", re.I | re.M)
_BRACKETED = re.compile(r"<([^<>\s]+@[^<>\s]+)>")


@dataclass(frozen=True)
class FmlRefusal:
    address: str
    reason: str
    text: str


def is_notice(mlserver: str, subject: str) -> bool:
    return mlserver.lower().startswith("fml") and any(p.search(subject) for _, p in _TITLES)


def refusals(subject: str, body: str) -> list[FmlRefusal]:
    """The list addresses the notice names, each with its reason."""
    copy = _COPY.search(body)
    notice = body[: copy.start()] if copy else body
    title_reason = next((reason for reason, pattern in _TITLES if pattern.search(subject)), "systemerror")
    found: dict[str, FmlRefusal] = {}
    for line in notice.split("\n"):
        match = _BRACKETED.search(line)
        if match is None:
            continue
        address = address_in(match.group(1))
        text = " ".join(line.split())
        reason = next((r for r, pattern in _WORDS if pattern.search(text)), title_reason)
        found.setdefault(address, FmlRefusal(address, reason, text))
    return list(found.values())
