"""DMARC records (RFC 7489 §6.3, RFC 9989 §4.7): what a receiver of either generation
reads in one, judged by checkdmarc.

checkdmarc judges a record strictly, the RFC 9989 way; the checks also need the tags
as written (pct=, rf=, ri=, which checkdmarc no longer keeps but RFC 7489 receivers
still apply, and the policy BIMI looks at), even in a record checkdmarc rejects, so
``record_tags`` reads them the forgiving way receivers do.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from types import ModuleType
from typing import Literal

# RFC 7489 §6.6.3 step 3: only records that begin with v=DMARC1 count (the tag name
# is case-insensitive, the value is not).
DMARC_START = re.compile(r"\s*[vV]\s*=\s*DMARC1\s*(;|$)")
ReportTag = Literal["rua", "ruf"]
REPORT_TAGS: tuple[ReportTag, ...] = ("rua", "ruf")
POLICIES = ("none", "quarantine", "reject")
# RFC 9989 removed these RFC 7489 tags; its receivers ignore them, older ones apply them.
REMOVED_TAGS = ("pct", "rf", "ri")

PsdFlag = Literal["y", "n", "u"]
PolicyTag = Literal["p", "sp", "np"]


def applied_tag(*, subdomain: bool, nonexistent: bool, sp_explicit: bool, np_explicit: bool) -> PolicyTag:
    """The tag whose policy applies to mail from a name (RFC 7489 §6.6.3, RFC 9989 §4.7).

    p= for the name the record is published at; below it, sp= (which defaults to p=,
    and is named sp= either way); under RFC 9989, a name that does not exist (NXDOMAIN)
    gets np=, falling back to sp= and then p=. RFC 7489 knows no np=: its receivers pass
    ``nonexistent=False``.
    """
    if not subdomain:
        return "p"
    if nonexistent:
        return "np" if np_explicit else "sp" if sp_explicit else "p"
    return "sp"


@dataclass(frozen=True)
class Policy:
    """The record's values a receiver acts on, after checkdmarc's validation."""

    p: str
    sp: str
    sp_explicit: bool
    pct: int  # as receivers apply it: 100 when pct= is absent or invalid
    pct_text: str  # as written
    adkim: str
    aspf: str
    notes: tuple[str, ...]  # tags a receiver discards (unknown names, invalid values)
    # "no p= tag" or "invalid p=VALUE" when receivers act as if p=none because the
    # record has a valid rua= (RFC 7489 §6.6.3 step 6); None when p= is valid.
    p_problem: str | None = None
    # RFC 9989 §4.7: np= for non-existent subdomains, falling back to sp= then p=.
    np: str = "none"
    np_explicit: bool = False
    psd: PsdFlag = "u"
    testing: bool = False  # t=y
    t_explicit: bool = False
    # Tags as written that the two generations read differently.
    removed: dict[str, str] = field(default_factory=dict)  # pct=, rf=, ri=
    unknown: tuple[str, ...] = ()  # tag names neither generation defines

    @property
    def np_source(self) -> PolicyTag:
        """The tag whose value non-existent subdomains get (RFC 9989 §4.7 np=)."""
        return applied_tag(subdomain=True, nonexistent=True, sp_explicit=self.sp_explicit, np_explicit=self.np_explicit)

    def value_of(self, tag: PolicyTag) -> str:
        """The policy a tag from ``applied_tag`` asks for, its defaults filled in."""
        return {"p": self.p, "sp": self.sp, "np": self.np}[tag]


@dataclass(frozen=True)
class ReportUri:
    tag: ReportTag
    uri: str
    scheme: str
    address: str  # the mailbox for mailto:, else the whole URI

    @property
    def domain(self) -> str:
        return self.address.rsplit("@", 1)[-1].lower().rstrip(".")


class RecordError(ValueError):
    """checkdmarc (or the URI parser) rejected the record; the message says why."""


class NoPolicyError(RecordError):
    """No valid p= and no valid rua= URI: RFC 7489 receivers ignore the record (§6.6.3),
    RFC 9989 ones monitor without reporting: no receiver does anything with it."""


def record_tags(text: str) -> dict[str, str]:
    """Tag names (lower-cased) and values as written; the first of a repeated tag wins,
    and parts without ``=`` are skipped, as a receiver skips what it cannot read."""
    tags: dict[str, str] = {}
    for part in text.split(";"):
        name, sep, value = part.partition("=")
        if sep and name.strip():
            tags.setdefault(name.strip().lower(), value.strip())
    return tags


def read_record(text: str, policy_domain: str) -> tuple[Policy, list[ReportUri]]:
    """checkdmarc's judgement of the record, without letting it resolve anything.

    checkdmarc resolves report destinations itself, one query at a time, through a
    process-wide cache (stale across runs and --zone sets), and it folds "could not
    tell" into "not authorized". So the rua=/ruf= tags are parsed here with its URI
    parser and authorized through the run's resolver, concurrently; checkdmarc sees
    the record without them and so makes no lookup at all.
    """
    policy, uris = _read_record(text, policy_domain)
    return policy, list(uris)


# A domain's report reads its record three times (the record's checks, and the policy
# each generation of receivers applies), and checkdmarc's parsing is most of the cost.
@functools.lru_cache(maxsize=256)
def _read_record(text: str, policy_domain: str) -> tuple[Policy, tuple[ReportUri, ...]]:
    cd = checkdmarc_dmarc()
    raw = record_tags(text)
    p_problem = _p_problem(raw)
    if p_problem and not any(_valid_report_uri(uri) for uri in raw.get("rua", "").split(",")):
        # RFC 7489 §6.6.3 step 6: without a valid p= a receiver falls back to p=none
        # only to send the aggregate reports rua= asks for; with none, it ignores the
        # record. RFC 9989 takes a missing p= as p=none, which without rua= does nothing.
        missing = "no valid rua= URI" if "rua" in raw else "no rua="
        raise NoPolicyError(
            f"{p_problem} and {missing}: receivers following RFC 7489 ignore the record, "
            "and under RFC 9989 it only monitors, with no reports"
        )
    uris: list[ReportUri] = []
    try:
        for tag in REPORT_TAGS:
            if tag in raw:
                for uri in raw[tag].split(","):
                    parsed = cd.parse_dmarc_report_uri(uri)
                    uris.append(ReportUri(tag, uri.strip(), parsed["scheme"], parsed["address"]))
        # checkdmarc rejects an invalid p= outright and takes a missing one as p=none
        # (RFC 9989); receivers following RFC 7489 act as if p=none here, so it is
        # handed the record that way.
        without_reports = "; ".join(
            "p=none" if p_problem and _tag_name(part) == "p" else part.strip()
            for part in text.split(";")
            if _tag_name(part) not in REPORT_TAGS and part.strip()
        )
        parsed_record = cd.parse_dmarc_record(without_reports, policy_domain)
    except cd.DMARCError as exc:
        raise RecordError(str(exc).splitlines()[0]) from None
    tags = parsed_record["tags"]
    # Unknown tags are ignored by both generations (RFC 7489 §6.3, RFC 9989 §4.7): the
    # dmarc.tags check names them, so they are not among the syntax notes.
    unknown = tuple(name for name in raw if name not in cd.dmarc_tags and name not in REMOVED_TAGS)
    notes: list[str] = []
    for name in ("adkim", "aspf", "fo"):
        if name in raw and not tags[name]["explicit"]:
            notes.append(f"{name}={raw[name]} is invalid; receivers use the default {name}={tags[name]['value']}")
    pct_text = raw.get("pct", "100")
    # RFC 7489 §6.3: pct= is a whole number from 0 to 100, and a receiver discards an
    # invalid tag for its default. checkdmarc no longer reads pct= (RFC 9989 dropped it),
    # so the range is checked here; RFC 7489 receivers still apply it.
    pct_valid = pct_text.isdigit() and int(pct_text) <= 100
    if not pct_valid:
        notes.append(f"pct={pct_text} is invalid, not a whole number from 0 to 100; receivers use the default pct=100")
    pct = int(pct_text) if pct_valid else 100
    return (
        Policy(
            p=tags["p"]["value"],
            sp=tags["sp"]["value"],
            sp_explicit=bool(tags["sp"]["explicit"]),
            pct=pct,
            pct_text=pct_text,
            adkim=tags["adkim"]["value"],
            aspf=tags["aspf"]["value"],
            notes=tuple(notes),
            p_problem=p_problem,
            np=tags["np"]["value"],
            np_explicit=bool(tags["np"]["explicit"]),
            psd=_psd_flag(tags["psd"]["value"]),
            testing=tags["t"]["value"] == "y",
            t_explicit=bool(tags["t"]["explicit"]),
            removed={name: raw[name] for name in REMOVED_TAGS if name in raw},
            unknown=unknown,
        ),
        tuple(uris),
    )


def psd_flag(text: str) -> PsdFlag:
    """The psd= value of a record as a tree walk reads it, before any full parse
    (RFC 9989 §4.10 steps 2 and 7 stop on psd=n and psd=y)."""
    return _psd_flag(record_tags(text).get("psd", "u").lower())


def _psd_flag(value: str) -> PsdFlag:
    return "y" if value == "y" else "n" if value == "n" else "u"


def _tag_name(part: str) -> str:
    return part.partition("=")[0].strip().lower()


def _p_problem(raw: dict[str, str]) -> str | None:
    """What is wrong with p= (RFC 7489 §6.6.3 step 6), None when it is valid."""
    if "p" not in raw:
        return "no p= tag"
    if raw["p"].lower() not in POLICIES:
        return f"invalid p={raw['p']}"
    return None


def checkdmarc_dmarc() -> ModuleType:
    """checkdmarc's DMARC module, imported the cheap way (mailcheck.checkdmarc_import)."""
    from mailcheck import checkdmarc_import

    checkdmarc_import.prepare()
    import checkdmarc.dmarc

    return checkdmarc.dmarc


def _valid_report_uri(uri: str) -> bool:
    cd = checkdmarc_dmarc()
    try:
        cd.parse_dmarc_report_uri(uri)
    except cd.DMARCError:
        return False
    return True
