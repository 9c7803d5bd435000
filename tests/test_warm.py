"""mailcheck.warm: the modules a run needs later are loaded while its first answers travel,
one a turn of the event loop, and the lists name only what a run loads anyway."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mailcheck import domain_report
from mailcheck.message import report as message_report
from mailcheck.warm import cold, start_warm_up, warm_up
from tests.helpers import ROOT, ZONES
from tests.helpers.cli_subprocess import guarded_env


@pytest.fixture
def modules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Three importable modules of this test's own; each notes its import in ``order``."""
    names = [f"warm_probe_module_{n}_{tmp_path.name}".replace("-", "_") for n in range(3)]
    for name in names:
        (tmp_path / f"{name}.py").write_text(f"import builtins\nbuiltins.warm_order.append({name!r})\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr("builtins.warm_order", [], raising=False)
    yield names
    for name in names:
        sys.modules.pop(name, None)


def order() -> Any:
    import builtins

    return builtins.warm_order


def test_warm_up_imports_one_module_a_turn_of_the_loop(modules: list[str]) -> None:
    async def run() -> None:
        async def other_work() -> None:
            for _ in range(3):
                order().append("turn")
                await asyncio.sleep(0)

        await asyncio.gather(warm_up(modules), other_work())

    assert cold(modules)
    asyncio.run(run())
    assert order() == ["turn", modules[0], "turn", modules[1], "turn", modules[2]]
    assert not cold(modules)


def test_a_step_that_fails_does_not_stop_the_others(modules: list[str]) -> None:
    def broken() -> None:
        raise RuntimeError("a parser that cannot load")

    asyncio.run(warm_up([modules[0], broken, "warm_probe_no_such_module", modules[1]]))
    assert order() == [modules[0], modules[1]]


def test_nothing_starts_when_every_module_is_loaded(modules: list[str]) -> None:
    async def run() -> tuple[object, object]:
        done = start_warm_up(["asyncio", "json"])
        started = start_warm_up(modules)
        assert started is not None
        await started
        return done, started

    done, started = asyncio.run(run())
    assert done is None
    assert order() == modules


@pytest.mark.parametrize(
    ("module", "args"),
    [
        (domain_report, ["domain", "good.example", "--no-smtp", "--format", "json"]),
        (message_report, ["message", str(ROOT / "fixtures" / "messages" / "forwarded.eml"), "--format", "json"]),
    ],
    ids=["domain", "message"],
)
def test_a_command_warms_only_what_its_run_loads_anyway(module: Any, args: list[str]) -> None:
    # With the command's warm-up list emptied, a real run (fresh process, fixture zones)
    # must itself load every step of that list: a stale entry would cost CPU for nothing.
    steps = module.WARM_UP
    assert steps
    probe = [sys.executable, "-m", "tests.helpers.netguard", "tests.helpers.warm_probe", module.__name__]
    run = subprocess.run(
        [*probe, *args, "--zone", str(ZONES), "--offline"],
        cwd=ROOT,
        env=guarded_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode in (0, 1), run.stderr
    assert json.loads(run.stdout)["target"]
    assert json.loads(run.stderr.splitlines()[-1]) == []


def test_a_bulk_run_loads_every_area_before_it_forks_its_workers() -> None:
    # The parent loads them once, and the forked workers share that copy.
    script = (
        "import json, sys\n"
        "from mailcheck.domain_report import AREAS, load_checks\n"
        "before = [m for _a, m, _f in AREAS if m in sys.modules]\n"
        "load_checks()\n"
        "print(json.dumps([before, [m for _a, m, _f in AREAS if m not in sys.modules],"
        " 'mailcheck.smtp.starttls_probe' in sys.modules]))\n"
    )
    run = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)
    assert run.returncode == 0, run.stderr
    before, missing, probe_loaded = json.loads(run.stdout)
    assert before == []
    assert missing == []
    assert probe_loaded is True
