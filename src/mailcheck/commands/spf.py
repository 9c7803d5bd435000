"""``mailcheck spf``: check_host() for raw SMTP identities, with the include tree walked
and the mechanism that matched."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from mailcheck.checks.spf_evaluation import EVALUATION
from mailcheck.checks.spf_tree import SpfNode, walk_spf
from mailcheck.errors import BadInput
from mailcheck.message.spf import SpfOutcome, evaluate_helo, evaluate_mfrom, is_null, spf_fix
from mailcheck.model import Check, Obstacle, Report, Status
from mailcheck.run import DnsScope, Env, RunOutcome, run_targets
from mailcheck.runtime import NetworkOptions

# What each result means for this command's exit code (RFC 7208 §8): a softfail is a
# failure to fix here, where the domain report only warns about it.
_STATUS = {
    "pass": Status.PASS,
    "neutral": Status.WARN,
    "none": Status.WARN,
    "fail": Status.FAIL,
    "softfail": Status.FAIL,
    "permerror": Status.FAIL,
    "temperror": Status.ERROR,
}


@dataclass(frozen=True)
class SpfRequest:
    ip: str
    mail_from: str | None  # "<>" for the null sender
    helo: str | None

    @classmethod
    def from_cli(cls, ip: str | None, mail_from: str | None, helo: str | None) -> SpfRequest:
        from mailcheck.commands.message import parse_helo, parse_ip, parse_mail_from

        if ip is None:
            raise BadInput("--ip ADDR is required: the address the client connects from")
        if mail_from is None and helo is None:
            raise BadInput("give --mail-from ADDRESS|<> and/or --helo NAME: the identities to check")
        return cls(
            parse_ip(ip),
            parse_mail_from(mail_from) if mail_from is not None else None,
            parse_helo(helo) if helo is not None else None,
        )

    @property
    def label(self) -> str:
        parts = [self.ip]
        if self.mail_from is not None:
            parts.append(f"MAIL FROM:<{'' if is_null(self.mail_from) else self.mail_from}>")
        if self.helo is not None:
            parts.append(f"HELO {self.helo}")
        return " ".join(parts)


class SpfChecker:
    command = "spf"

    def label(self, target: SpfRequest) -> str:
        return target.label

    async def check(self, target: SpfRequest, env: Env) -> Report:
        assert env.resolver is not None
        outcomes = []
        if target.mail_from is not None:
            outcomes.append(evaluate_mfrom(target.ip, target.mail_from, target.helo or ""))
        if target.helo is not None:
            outcomes.append(evaluate_helo(target.ip, target.helo))
        results = await asyncio.gather(*outcomes)
        trees = await asyncio.gather(*(walk_spf(env.resolver, r.domain) if r.domain else _nothing() for r in results))
        checks = tuple(_evaluation(result, tree) for result, tree in zip(results, trees, strict=False))
        return Report("spf", target.label, (Obstacle("authentication", "Authentication", checks),))


async def _nothing() -> None:
    return None


def _evaluation(outcome: SpfOutcome, tree: SpfNode | None) -> Check:
    identity = "MAIL FROM" if outcome.identity == "mfrom" else "HELO"
    matched = f", matched {outcome.mechanism}" if outcome.mechanism else ""
    explanation = f": {outcome.explanation}" if outcome.explanation else ""
    shown = outcome.sender if outcome.identity == "mfrom" else outcome.helo
    status = _STATUS[outcome.result]
    return EVALUATION.result(
        status,
        f"{identity} {shown}",
        f"SPF {outcome.result} for {outcome.ip} as {identity} {shown}{matched}{explanation}",
        details={
            "identity": outcome.identity,
            "ip": outcome.ip,
            "domain": outcome.domain,
            "sender": outcome.sender,
            "helo": outcome.helo,
            "result": outcome.result,
            "explanation": outcome.explanation,
            "mechanism": outcome.mechanism,
            "tree": tree.to_dict() if tree is not None else None,
        },
        fix=spf_fix(outcome) if status.severity else None,
        refs=("RFC 7208 §2.3", "RFC 7208 §2.4", "RFC 7208 §4.3") if status.severity else (),
    )


def run_spf(
    request: SpfRequest, network: NetworkOptions, on_report: Callable[[Report], None] | None = None, keep: bool = True
) -> RunOutcome[SpfRequest]:
    return run_targets(SpfChecker(), [request], network, scope=DnsScope.RUN, on_report=on_report, keep=keep)
