"""Run ``mailcheck`` in a child process the way a user would, under the test network guard.

A child does not inherit the guard of the pytest process, so every test that starts
mailcheck (or any Python code that may touch the network) in a subprocess goes through
here: the child runs ``python -m tests.helpers.netguard mailcheck ARGS...``, which installs the
same guard and reports what it blocked to the watching test.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from tests.helpers.netguard import LOG_VARIABLE
from tests.helpers.paths import ROOT


def mailcheck_command(*args: str) -> list[str]:
    """The argv of a guarded ``python -m mailcheck ARGS``, for Popen, pty spawns and the like."""
    return [sys.executable, "-m", "tests.helpers.netguard", "mailcheck", *args]


def guarded_env(env: dict[str, str] | None = None) -> dict[str, str]:
    """ENV (default: this process's environment) with the project root importable, so
    ``-m tests.helpers.netguard`` works from any working directory. The guard's log variable is
    inherited from the environment the watching fixture set."""
    merged = dict(os.environ if env is None else env)
    if log := os.environ.get(LOG_VARIABLE):
        merged[LOG_VARIABLE] = log
    merged["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), merged.get("PYTHONPATH")) if p)
    return merged


def popen_mailcheck(*args: str, env: dict[str, str] | None = None, **popen: Any) -> subprocess.Popen[str]:
    """Start ``mailcheck ARGS`` in a guarded child process (text mode, cwd the repo root unless given)."""
    popen.setdefault("cwd", ROOT)
    popen.setdefault("text", True)
    return subprocess.Popen(mailcheck_command(*args), env=guarded_env(env), **popen)


def run_mailcheck(
    *args: str, timeout: float = 60, env: dict[str, str] | None = None, **run: Any
) -> subprocess.CompletedProcess[str]:
    """Run ``mailcheck ARGS`` to the end in a guarded child process, capturing its output."""
    run.setdefault("cwd", ROOT)
    run.setdefault("text", True)
    run.setdefault("capture_output", True)
    return subprocess.run(mailcheck_command(*args), env=guarded_env(env), timeout=timeout, check=False, **run)
