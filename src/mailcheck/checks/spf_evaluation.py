"""spf.evaluation: with --ip, what a receiver decides for that IP, by pyspf's check_host()."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from mailcheck.catalogue.spec import CheckSpec, Example
from mailcheck.checks.context import DomainContext
from mailcheck.model import Check, Status

EVALUATION = CheckSpec(
    id="spf.evaluation",
    title="The SPF verdict for the sending IP",
    verifies=(
        "Only with --ip: evaluates SPF the way a receiver does (pyspf's check_host()) for that "
        "IP sending as --mail-from (default postmaster@DOMAIN) with --helo (default the domain). "
        "pass passes; fail and permerror fail; softfail, neutral and none warn; temperror, or "
        "input pyspf cannot evaluate, is an error."
    ),
    why=(
        "This is the result the receiver records and DMARC uses: only pass counts toward SPF "
        "alignment, so a sending IP that gets anything else relies on DKIM alone."
    ),
    example=Example(
        bad=(
            'example.com. TXT "v=spf1 include:_spf.example.net -all"\n'
            "   (mail is sent from 192.0.2.25, which _spf.example.net does not list: fail)"
        ),
        good='example.com. TXT "v=spf1 ip4:192.0.2.25 include:_spf.example.net -all"',
        why="Listing the sending IP turns the result for 192.0.2.25 from fail into pass.",
    ),
    refs=("RFC 7208 §2.6", "RFC 7208 §4"),
)

# How a check_host() result reads as a check, in the domain report and for a message.
RESULT_STATUS = {
    "pass": Status.PASS,
    "fail": Status.FAIL,
    "softfail": Status.WARN,
    "neutral": Status.WARN,
    "none": Status.WARN,
    "permerror": Status.FAIL,
    "temperror": Status.ERROR,
}


@dataclass(frozen=True)
class Evaluation:
    ip: str
    mail_from: str
    helo: str
    result: str
    explanation: str
    mechanism: str | None


async def evaluate_ip(context: DomainContext, ip: str) -> Check:
    """spf.evaluation: pyspf's check_host() for ``ip``, its DNS through the run's resolver
    (runtime.run_dns routes pyspf there; to_thread carries that routing into the thread)."""
    domain = context.domain.ascii
    mail_from = context.options.mail_from or f"postmaster@{domain}"
    helo = context.options.helo or domain
    try:
        evaluation = await asyncio.to_thread(_check_host, ip, mail_from, helo)
    except Exception as exc:  # pyspf raises on inputs it cannot take (e.g. a malformed sender)
        return EVALUATION.error(
            ip,
            f"could not evaluate SPF for {ip} sending as {mail_from}: {type(exc).__name__}: {exc}",
            details={"ip": ip, "mail_from": mail_from, "helo": helo},
        )
    status = RESULT_STATUS.get(evaluation.result, Status.ERROR)
    matched = f", matched {evaluation.mechanism}" if evaluation.mechanism else ""
    explanation = f": {evaluation.explanation}" if evaluation.explanation else ""
    sender_domain = mail_from.rpartition("@")[2] if "@" in mail_from else helo
    return EVALUATION.result(
        status,
        ip,
        f"SPF {evaluation.result} for {ip} sending as {mail_from} (HELO {helo}){matched}{explanation}",
        details={
            "ip": ip,
            "mail_from": mail_from,
            "helo": helo,
            "result": evaluation.result,
            "explanation": evaluation.explanation,
            "mechanism": evaluation.mechanism,
        },
        fix=_evaluation_fix(evaluation, sender_domain, status),
        refs=("RFC 7208 §2.6", "RFC 7208 §4"),
    )


def _check_host(ip: str, mail_from: str, helo: str) -> Evaluation:
    query = _rfc7208_query(ip, mail_from, helo)
    result, _code, explanation = query.check()
    return Evaluation(ip, mail_from, helo, result, explanation, query.mechanism)


# RFC 7208 §4.6.4: at most 10 PTR names are looked at.
MAX_PTR_NAMES = 10


def _rfc7208_query(ip: str, mail_from: str, helo: str) -> Any:  # pyspf is untyped
    """pyspf's query, with ``ptr`` (and ``%{p}``) validation as RFC 7208 §5.5 has it.

    pyspf lets a DNS error on any PTR name's address lookup end the whole evaluation
    in temperror; the RFC says that name is skipped and the search goes on, and that
    an error on the PTR lookup itself only makes the mechanism not match. A receiver
    following the RFC gives the verdict we report, so we do the same.
    """
    from mailcheck.dns.library import pyspf

    spf = pyspf()
    pyspf_query: Any = spf.query

    class Rfc7208Query(pyspf_query):
        def validated_ptrs(self) -> list[str]:
            try:
                names = self.dns_ptr(self.i)[:MAX_PTR_NAMES]
            except spf.TempError:
                return []
            validated = []
            for name in names:
                try:
                    addresses = self.dns_a(name, self.A)
                except spf.TempError:
                    continue
                if self.cidrmatch(addresses, self.cidrmax):
                    validated.append(name)
            return validated

    return Rfc7208Query(i=ip, s=mail_from, h=helo)


def _evaluation_fix(evaluation: Evaluation, sender_domain: str, status: Status) -> str | None:
    if status is Status.PASS:
        return None
    term = f"ip6:{evaluation.ip}" if ":" in evaluation.ip else f"ip4:{evaluation.ip}"
    if evaluation.result in ("fail", "softfail", "neutral"):
        return (
            f"If {evaluation.ip} sends mail for {sender_domain}, add {term} (or the include of its provider) to its SPF record."
        )
    if evaluation.result == "none":
        return f"Publish an SPF record at {sender_domain} that lists {evaluation.ip}."
    if evaluation.result == "permerror":
        return "Fix the SPF errors reported above; receivers treat permerror as a failure and DMARC fails."
    return None
