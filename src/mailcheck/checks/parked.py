"""A parked domain: one that sends no mail and says so (null MX, ``v=spf1 -all``, DMARC
p=reject). Asking it for DKIM keys, report addresses, TLS reporting, MTA-STS or a logo
would be asking it to prepare for mail it declares it never sends nor receives, so once
the report's own findings show the three records (or --parked says so), those requests
are told as not needed, and ``dns.parked`` says the domain was judged that way.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from mailcheck.catalogue.spec import CheckSpec, Example
from mailcheck.model import Check, Status

PARKED = CheckSpec(
    id="dns.parked",
    title="Parked domain (sends and receives no mail)",
    verifies=(
        "Whether the domain declares that it sends and receives no mail: a null MX (RFC 7505), "
        'an SPF record of just "v=spf1 -all", and a DMARC policy p=reject. With all three (or '
        "with --parked) the report judges the domain as parked: it does not ask for DKIM keys, "
        "DMARC report addresses, TLS-RPT, MTA-STS or BIMI. With --parked, warns about each of "
        "the three records the domain does not publish."
    ),
    why=(
        "Spammers forge the sender domains that publish nothing. A domain that is not meant to "
        "send mail is protected by the three records, and by nothing else: a DKIM key or a "
        "report address would only prepare for mail that never comes."
    ),
    example=Example(
        bad='parked.example. MX 0 .\nparked.example. TXT "v=spf1 ~all"',
        good=('parked.example. MX 0 .\nparked.example. TXT "v=spf1 -all"\n_dmarc.parked.example. TXT "v=DMARC1; p=reject;"'),
        why="-all and p=reject tell receivers to refuse every message that claims the domain.",
    ),
    refs=("RFC 7505 §4", "RFC 7208 §5.1", "RFC 7489 §6.3"),
)

# What a parked domain is not asked for: ids (or areas, ending in '.') whose requests
# become "not needed".
NOT_ASKED = ("dkim.selectors", "dmarc.rua", "dmarc.ruf", "tlsrpt.", "mta-sts.record", "bimi.")


@dataclass(frozen=True)
class Declarations:
    """The three records by which a domain says it is parked, as the report found them."""

    null_mx: bool
    spf_fail_all: bool
    dmarc_reject: bool

    @classmethod
    def of(cls, checks: Sequence[Check]) -> Declarations:
        return cls(
            null_mx=any(c.id == "mx.null" and c.status is not Status.FAIL for c in checks),
            spf_fail_all=any(c.id == "spf.record" and _spf_fails_all(c.details.get("record")) for c in checks),
            dmarc_reject=any(c.id == "dmarc.policy" and c.details.get("effective") == "reject" for c in checks),
        )

    @property
    def complete(self) -> bool:
        return self.null_mx and self.spf_fail_all and self.dmarc_reject

    def missing(self) -> list[str]:
        return [
            name
            for name, present in (
                ("no null MX (MX 0 .)", self.null_mx),
                ('no SPF record "v=spf1 -all"', self.spf_fail_all),
                ("no DMARC policy p=reject", self.dmarc_reject),
            )
            if not present
        ]


def _spf_fails_all(record: object) -> bool:
    return isinstance(record, str) and record.lower().split() == ["v=spf1", "-all"]


def judge_parked(domain: str, checks: Sequence[Check], *, forced: bool) -> list[Check]:
    """The report's checks, told for a parked domain when it is one (or ``forced``), with
    ``dns.parked`` first; unchanged otherwise."""
    declared = Declarations.of(checks)
    if not (declared.complete or forced):
        return list(checks)
    why = "it declares that it sends and receives no mail" if declared.complete else "--parked"
    told = [_not_asked(check, domain, why) for check in checks]
    return [_parked_check(domain, declared, forced), *told]


def _parked_check(domain: str, declared: Declarations, forced: bool) -> Check:
    if declared.complete:
        how = "--parked, and it says so" if forced else "it says so"
        return PARKED.info(
            domain,
            f"judged as parked ({how}: null MX, v=spf1 -all, DMARC p=reject): "
            "no DKIM keys, report addresses, TLS-RPT, MTA-STS or BIMI asked of it",
            details={"parked": True, "forced": forced, "missing": []},
        )
    missing = declared.missing()
    records = {
        "no null MX (MX 0 .)": f"{domain}. MX 0 .",
        'no SPF record "v=spf1 -all"': f'{domain}. TXT "v=spf1 -all"',
        "no DMARC policy p=reject": f'_dmarc.{domain}. TXT "v=DMARC1; p=reject;"',
    }
    return PARKED.warn(
        domain,
        f"judged as parked (--parked), but {domain} does not say so: {'; '.join(missing)}",
        details={"parked": True, "forced": True, "missing": missing},
        fix=f"Publish {' and '.join(records[m] for m in missing)}, so that receivers refuse mail forged in its name.",
    )


def _not_asked(check: Check, domain: str, why: str) -> Check:
    if check.id == "mx.null" and check.status is Status.WARN:
        # For a sending domain a null MX is a problem; for a parked one it is the point.
        return dataclasses.replace(
            check,
            status=Status.INFO,
            summary=f"{domain} publishes a null MX (0 .): it receives no mail, as a parked domain should",
            fix=None,
            refs=(),
        )
    if check.id == "dmarc.record" and check.status is Status.FAIL:
        # The usual advice (start at p=none, collect reports) is for a domain that sends.
        return dataclasses.replace(
            check, fix=f'Publish _dmarc.{domain}. TXT "v=DMARC1; p=reject;": a parked domain needs no reports.'
        )
    asked = any(check.id == name or (name.endswith(".") and check.id.startswith(name)) for name in NOT_ASKED)
    # Fails and errors stay: a published record that is broken is still broken.
    if not asked or check.status in (Status.FAIL, Status.ERROR, Status.PASS, Status.SKIP):
        return check
    return dataclasses.replace(
        check,
        status=Status.SKIP,
        summary=f"not asked: {domain} is judged as parked ({why})",
        fix=None,
        refs=(),
    )
