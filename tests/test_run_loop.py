"""The run loop every command plugs into: bounded, streaming, crash-guarded."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from mailcheck.errors import BadInput
from mailcheck.model import Check, Obstacle, Report, Status
from mailcheck.run import DnsScope, Env, run_targets
from mailcheck.runtime import NetworkOptions


class Doubler:
    command = "double"

    def __init__(self) -> None:
        self.in_flight = 0
        self.most = 0

    def label(self, target: int) -> str:
        return str(target)

    async def check(self, target: int, env: Env) -> Report:
        self.in_flight += 1
        self.most = max(self.most, self.in_flight)
        await asyncio.sleep(0.001 * (target % 3))
        self.in_flight -= 1
        if target == 13:
            raise ValueError("unlucky")
        status = Status.FAIL if target == 7 else Status.PASS
        check = Check("double.value", status, str(target), f"{target} doubled is {target * 2}")
        return Report(self.command, str(target), (Obstacle("value", "Value", (check,)),))


def test_targets_run_bounded_in_input_order_and_a_crash_is_that_targets_error():
    checker = Doubler()
    seen: list[str] = []
    outcome = run_targets(
        checker, range(20), NetworkOptions(), scope=DnsScope.NONE, concurrency=4, on_report=lambda r: seen.append(r.target)
    )
    assert [r.target for r in outcome.reports] == [str(n) for n in range(20)]
    assert sorted(seen, key=int) == [str(n) for n in range(20)]
    assert checker.most == 4
    crashed = outcome.reports[13].checks[0]
    assert (crashed.id, crashed.status, crashed.summary) == (
        "run.crash",
        Status.ERROR,
        "checking 13 crashed: ValueError: unlucky",
    )
    assert outcome.worst is Status.FAIL and outcome.count == 20 and outcome.dns is None


def test_a_lazy_input_runs_two_at_a_time_and_keeps_no_report():
    checker = Doubler()
    pulled = itertools.count()
    outcome = run_targets(
        checker, (next(pulled) for _ in range(1000)), NetworkOptions(), scope=DnsScope.NONE, concurrency=2, keep=False
    )
    assert outcome.reports == [] and outcome.count == 1000 and checker.most == 2


class RefusesInput:
    command = "refuse"

    def label(self, target: int) -> str:
        return str(target)

    async def check(self, target: int, env: Env) -> Report:
        if target == 2:
            raise BadInput("target 2 is not one a reader can check")
        await asyncio.sleep(0.01)
        check = Check("refuse.value", Status.PASS, str(target), f"{target} is fine")
        return Report(self.command, str(target), (Obstacle("value", "Value", (check,)),))


def test_bad_input_met_while_checking_ends_the_run_as_bad_input_not_a_crash():
    with pytest.raises(BadInput, match="target 2 is not one a reader can check"):
        run_targets(RefusesInput(), range(5), NetworkOptions(), scope=DnsScope.NONE, concurrency=5)
